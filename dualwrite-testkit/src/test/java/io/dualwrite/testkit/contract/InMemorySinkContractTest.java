/*
 * Copyright The dualwrite authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.dualwrite.testkit.contract;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;

import java.util.List;
import java.util.Optional;

/**
 * The reference in-memory sink keeps the sink contract; its state is read through its own
 * accessors, and written past its version guard with {@link InMemorySink#force}.
 */
class InMemorySinkContractTest extends AbstractSinkContractTest<TestItem> {

    @Override
    protected Sink<TestItem> createSink() {
        return new InMemorySink<>();
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected boolean overwriteKeepingVersion(Sink<TestItem> sink, String id, long version, TestItem state) {
        ((InMemorySink<TestItem>) sink).force(id, version, state);
        return true;
    }

    /** An equal state in another object: the in-memory sink holds objects, so that is its only other form. */
    @Override
    protected boolean rewriteInAnotherForm(Sink<TestItem> sink, String id) {
        InMemorySink<TestItem> s = (InMemorySink<TestItem>) sink;
        TestItem held = s.get(id).orElseThrow();
        s.force(id, s.versionOf(id).getAsLong(), new TestItem(held.id(), new String(held.name()), held.price(),
                List.copyOf(held.tags())));
        return true;
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) {
        InMemorySink<TestItem> s = (InMemorySink<TestItem>) sink;
        if (s.versionOf(id).isEmpty()) {
            return Optional.empty();
        }
        long v = s.versionOf(id).getAsLong();
        return Optional.of(s.isDeleted(id) ? Stored.deleted(v) : Stored.live(v, s.get(id).orElseThrow()));
    }
}
