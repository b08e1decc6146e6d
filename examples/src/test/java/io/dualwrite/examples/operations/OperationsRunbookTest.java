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
package io.dualwrite.examples.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.SinkOutcome;
import io.dualwrite.WriteResult;
import io.dualwrite.examples.Product;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.fault.FaultySink;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the runbook's snippets against the in-memory reference implementations. */
class OperationsRunbookTest {
    private final InMemoryPrimaryStore<Product> primary = new InMemoryPrimaryStore<>();
    private final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();

    private DualWriterBuilder<Product> base() {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::id).primary(primary)
                .deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry());
    }

    private static Product product(int n) {
        return new Product("p-" + n, "Product " + n, "books", 100 + n);
    }

    @Test
    void percentilesArePublishedForTheWriteTimer() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperationsRunbook.publishLatencyPercentiles(registry);
        try (DualWriter<Product> writer = base().meterRegistry(registry).sink("search", new InMemorySink<>()).build()) {
            writer.save(product(1));
        }
        Timer timer = registry.find(DualWriteMetrics.WRITE).timer();
        assertEquals(3, timer.takeSnapshot().percentileValues().length, "p50, p95 and p99 of the write timer");
    }

    @Test
    void deadLettersAreListedReplayedAfterTheFixAndDiscarded() {
        FaultySink<Product> search = FaultySink.wrap(new InMemorySink<Product>()).poison("p-17", "p-18").build();
        try (DualWriter<Product> writer = base().sink("search", search).build()) {
            assertEquals(SinkOutcome.DEAD_LETTERED, writer.save(product(17)).outcomes().get("search"),
                    "a poisoned product is dead-lettered at once");
            writer.save(product(18));
            assertEquals(2, writer.deadLetters().count(), "two dead letters wait");
            search.clearPoison();
            int replayed = OperationsRunbook.handleDeadLetters(writer);
            assertEquals(1, replayed, "p-17 was replayed on its own, p-18 by the filter");
            assertEquals(0, writer.deadLetters().count(), "nothing waits after the replays");
        }
    }

    @Test
    void redeliverySendsTheCurrentStateAgain() {
        InMemorySink<Product> search = new InMemorySink<>();
        try (DualWriter<Product> writer = base().sink("search", search).build()) {
            for (int n = 17; n <= 19; n++) {
                writer.save(product(n));
            }
            search.clear();
            Map<String, SinkOutcome> outcomes = OperationsRunbook.redeliverAfterRestore(writer);
            assertEquals(Map.of("p-17", SinkOutcome.APPLIED, "p-18", SinkOutcome.APPLIED, "p-19", SinkOutcome.APPLIED),
                    outcomes, "each id is delivered again");
            assertEquals(3, search.liveVersions().size(), "the flushed sink holds all three again");
        }
    }

    @Test
    void twoInstancesShareOneBacklog() {
        InMemorySink<Product> search = new InMemorySink<>();
        Map.Entry<DualWriter<Product>, RecoveryWorker> a = OperationsRunbook.instance(primary, deadLetters, search, "a");
        Map.Entry<DualWriter<Product>, RecoveryWorker> b = OperationsRunbook.instance(primary, deadLetters, search, "b");
        try {
            WriteResult fromA = a.getKey().save(product(1));
            WriteResult fromB = b.getKey().save(product(1));
            assertEquals(fromA.version() + 1, fromB.version(), "both instances write the same entity in turn");
            assertEquals(fromB.version(), search.versionOf("p-1").getAsLong(), "the sink holds the latest");
        } finally {
            a.getValue().close();
            b.getValue().close();
            a.getKey().close();
            b.getKey().close();
        }
    }

    @Test
    void newMappingGoesFromShadowToARampToEveryEntity() {
        int total = 200;
        InMemorySink<Product> v2 = new InMemorySink<>();
        try (DualWriter<Product> shadow = OperationsRunbook.rollOut(base(), v2, 1, 0).build()) {
            for (int n = 0; n < total; n++) {
                assertEquals(SinkOutcome.SKIPPED, shadow.save(product(n)).outcomes().get("search-v2"),
                        "a SHADOW sink is never sent anything");
            }
        }
        assertTrue(v2.liveVersions().isEmpty(), "nothing reached the new index in shadow mode");
        try (DualWriter<Product> ramp = OperationsRunbook.rollOut(base(), v2, 2, 25).build()) {
            for (int n = 0; n < total; n++) {
                ramp.save(product(n));
            }
        }
        int ramped = v2.liveVersions().size();
        assertTrue(ramped > total / 10 && ramped < total / 2, "about a quarter of the products, was " + ramped);
        try (DualWriter<Product> sync = OperationsRunbook.rollOut(base(), v2, 3, 0).build()) {
            for (int n = 0; n < total; n++) {
                sync.save(product(n));
            }
        }
        assertEquals(total, v2.liveVersions().size(), "every product after the switch to SYNC");
        assertNotEquals(0, ramped, "the ramp sent some");
        assertFalse(primary.pendingCount() > 0, "no intent left behind");
    }
}
