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
package io.dualwrite.testkit.example;

import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.util.Optional;

/** A user proves their own sink keeps the contract: one small subclass. */
class PriceCacheSinkContractTest extends AbstractSinkContractTest<Product> {

    @Override
    protected Sink<Product> createSink() {
        return new PriceCacheSink();
    }

    @Override
    protected Product entity(String id, int variant) {
        return new Product(id, "title " + variant, 1000L + variant);
    }

    @Override
    protected Optional<Stored<Product>> readBack(Sink<Product> sink, String id) {
        PriceCacheSink.Entry e = ((PriceCacheSink) sink).entry(id);
        if (e == null) {
            return Optional.empty();
        }
        // the cache keeps only the price, so the content check compares what it has
        return Optional.of(e.cents() == null ? Stored.deleted(e.version()) : Stored.live(e.version()));
    }
}
