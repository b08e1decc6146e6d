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

import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.testkit.RecordingSink;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.fault.Fault;
import io.dualwrite.testkit.fault.FaultySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A user tests their wiring: the cache is down for a while, saves go on, the cache comes back,
 * recovery catches up, and every price is applied once and ends at the primary's latest.
 */
class PriceCacheWiringTest {

    @Test
    void theCacheCatchesUpAfterAnOutageAndAppliesEachPriceOnce() {
        InMemoryPrimaryStore<Product> products = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        PriceCacheSink cache = new PriceCacheSink();
        RecordingSink<Product> recorded = new RecordingSink<>(cache);
        FaultySink<Product> flaky = FaultySink.wrap(recorded).seed(7).duplicate(0.3).build();
        try (DualWriter<Product> writer = DualWriter.<Product>builder().entityType("product").idOf(Product::sku)
                .primary(products).deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry())
                .gracePeriod(Duration.ZERO).recoveryRetry(20, Duration.ofMillis(1), Duration.ofMillis(2))
                .sink("prices", flaky, SinkSettings.builder().maxAttempts(1).build())
                .build()) {
            flaky.failNext(6, ErrorKind.TRANSIENT);   // the cache is down for the next six calls
            for (int i = 0; i < 6; i++) {
                SinkOutcome o = writer.save(new Product("sku-" + (i % 3), "kettle", 1000 + i)).outcome("prices")
                        .orElseThrow();
                assertEquals(SinkOutcome.DEFERRED, o, "while the cache is down saves are deferred, not lost");
            }
            writer.delete("sku-2");
            for (int pass = 0; pass < 100 && writer.operations().backlog() > 0; pass++) {
                writer.operations().recoverDue();
                writer.operations().flushAcknowledgements();
            }
            assertEquals(0, writer.operations().backlog(), "recovery must catch the cache up");
        }
        Convergence.<Product>check().primary(products).sink("prices", cache).deadLetters(deadLetters)
                .assertConverged();
        recorded.assertEachVersionAppliedAtMostOnce();
        assertEquals(6, flaky.injected(Fault.FAIL_NEXT), "the outage took six calls");
    }
}
