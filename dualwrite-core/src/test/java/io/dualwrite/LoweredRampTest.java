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
package io.dualwrite;

import io.dualwrite.internal.Ramp;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What guarantees.md, configuration.md and operations.md promise for a lowered ramp
 * ({@code SinkSettings.rampDownFrom}): entities that left it are removed from the sink, and "a
 * reconciliation removes those nobody writes". A dead-letter replay and a reconciliation are
 * both "the normal delivery path".
 */
class LoweredRampTest {
    private final WriterFixture fx = new WriterFixture();

    private static String outsideThirtyPercent() {
        return IntStream.range(0, 1000).mapToObj(i -> "id-" + i).filter(id -> !Ramp.includes(id, 30)).findFirst()
                .orElseThrow();
    }

    @Test
    void aDeadLetterReplayOfAnEntityThatLeftTheRampRemovesItInsteadOfDeliveringIt() {
        String id = outsideThirtyPercent();
        InMemorySink<Product> search = new InMemorySink<>();
        boolean[] refusing = {true};
        Sink<Product> sink = change -> {
            if (refusing[0]) {
                throw new SinkException("rejected", ErrorKind.PERMANENT, null);
            }
            return search.apply(change);
        };
        try (DualWriter<Product> full = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            assertEquals(SinkOutcome.DEAD_LETTERED, full.save(new Product(id, "v1", 1)).outcome("search").orElseThrow());
        }
        refusing[0] = false;
        // the rollout is lowered to 30 %; the operator then replays the dead letters of the sink
        try (DualWriter<Product> lowered = fx.builder().sink("search", sink, WriterFixture.fast().rampPercent(30)
                .rampDownFrom(100).build()).build()) {
            lowered.deadLetters().replay(DeadLetter.idOf("product", id, "search"));
            assertTrue(search.get(id).isEmpty(), id + " is outside the lowered ramp, yet the replay put it in the sink");
        }
    }

    @Test
    void aReconciliationRemovesTheEntitiesThatLeftALoweredRampThatNobodyWrites() {
        InMemorySink<Product> search = new InMemorySink<>();
        try (DualWriter<Product> full = fx.builder().sink("search", search, WriterFixture.fast().build()).build()) {
            for (int i = 0; i < 50; i++) {
                full.save(new Product("id-" + i, "v1", i));
            }
            full.operations().flushAcknowledgements();
        }
        try (DualWriter<Product> lowered = fx.builder().sink("search", search, WriterFixture.fast().rampPercent(30)
                .rampDownFrom(100).build()).build()) {
            ReconcileReport report = Reconciler.<Product>builder().writer(lowered).primary(fx.primary)
                    .sink("search", search).store(new InMemoryReconcileStore()).meterRegistry(fx.meters)
                    .clock(fx.clock).repairsPerSecond(1_000_000).build().apply(ReconcileScope.all());
            Map<String, Long> left = new java.util.TreeMap<>(search.liveVersions());
            left.keySet().removeIf(id -> Ramp.includes(id, 30));
            assertTrue(left.isEmpty(), left.size() + " entities outside the lowered ramp are still in the sink after"
                    + " a reconciliation (" + report.summary() + "): " + left.keySet());
        }
    }
}
