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
package io.dualwrite.testkit.fault;

import io.dualwrite.Change;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.util.Optional;

/**
 * A fault wrapper that duplicates every delivery still keeps the sink contract over a
 * version-guarded sink, its poison is a permanent rejection the classifier recognises, and a poison
 * in the mapping stage is a mapping failure.
 */
class FaultySinkContractTest extends AbstractSinkContractTest<TestItem> {
    private static final String POISONED = "poisoned-entity";

    @Override
    protected Sink<TestItem> createSink() {
        return FaultySink.wrap(new InMemorySink<TestItem>()).seed(3).duplicate(1.0).poison(POISONED).build();
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) {
        @SuppressWarnings("unchecked")
        InMemorySink<TestItem> s = (InMemorySink<TestItem>) ((FaultySink<TestItem>) sink).delegate();
        if (s.versionOf(id).isEmpty()) {
            return Optional.empty();
        }
        long v = s.versionOf(id).getAsLong();
        return Optional.of(s.isDeleted(id) ? Stored.deleted(v) : Stored.live(v, s.get(id).orElseThrow()));
    }

    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        return Optional.of(FaultySink.wrap(((FaultySink<TestItem>) sink()).delegate()).poison(unmappableId)
                .poisonStage(PoisonStage.MAPPING).build());
    }

    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        return Optional.of(upsert(POISONED, version, 1));
    }
}
