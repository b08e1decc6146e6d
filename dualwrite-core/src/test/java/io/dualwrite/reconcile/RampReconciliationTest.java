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
package io.dualwrite.reconcile;

import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.Ramp;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.memory.InMemorySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconciliation compares a ramped sink with what it is to hold: the entities within its ramp;
 * none of those that left a lowered ramp; and, of the others, whatever it holds is left alone.
 */
class RampReconciliationTest {
    private static final int N = 60;
    private final Clock clock = Clock.fixed(ReconcileFixture.T0, ZoneOffset.UTC);
    private final InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
    private final InMemorySink<Item> search = new InMemorySink<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private DualWriter<Item> writer(SinkSettings settings) {
        return DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search, settings)
                .meterRegistry(meters).clock(clock).build();
    }

    private static SinkSettings.Builder fast() {
        return SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(5));
    }

    private ReconcileReport reconcile(DualWriter<Item> w, boolean digests) {
        return Reconciler.<Item>builder().writer(w).primary(primary).sink("search", search)
                .store(new InMemoryReconcileStore()).meterRegistry(meters).clock(clock).chunkSize(8)
                .digestLeafSize(2).useDigests(digests).repairsPerSecond(1_000_000).build().apply(ReconcileScope.all());
    }

    private Map<String, Long> primaryWithin(double percent) {
        Map<String, Long> out = new TreeMap<>();
        for (int i = 0; i < N; i++) {
            String id = ReconcileFixture.id(i);
            if (Ramp.includes(id, percent)) {
                out.put(id, primary.read(id).orElseThrow().version());
            }
        }
        return out;
    }

    private static String first(double inside, double outside) {
        for (int i = 0; i < N; i++) {
            String id = ReconcileFixture.id(i);
            if (Ramp.includes(id, inside) && !Ramp.includes(id, outside)) {
                return id;
            }
        }
        throw new AssertionError("no id in " + inside + " % outside " + outside + " %");
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void entitiesOutsideARampAreNeitherMissingNorTouched(boolean digests) {
        try (DualWriter<Item> w = writer(fast().rampPercent(30).build())) {
            for (int i = 0; i < N; i++) {
                w.save(new Item(ReconcileFixture.id(i), "item " + i, 1));
            }
            w.operations().flushAcknowledgements();
            String lost = first(30, 0);
            search.force(lost, 0, null);
            // held from before a ramp lowered without saying where it was: left alone, as configuration.md says
            String leftOver = first(100, 30);
            search.force(leftOver, 3, new Item(leftOver, "left over", 0));

            ReconcileReport report = reconcile(w, digests);

            assertEquals(1, report.count("search", DriftClass.MISSING), report.summary());
            assertEquals(1, report.drift(), "only the lost entity within the ramp is drift: " + report.summary());
            assertEquals(1, report.actions(RepairOutcome.REPUBLISHED), report.summary());
            Map<String, Long> expected = primaryWithin(30);
            expected.put(leftOver, 3L);
            assertEquals(expected, search.liveVersions());
        }
    }

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void entitiesThatLeftALoweredRampAreRemovedWithoutBarringTheirNextWrite(boolean digests) {
        try (DualWriter<Item> full = writer(fast().build())) {
            for (int i = 0; i < N; i++) {
                full.save(new Item(ReconcileFixture.id(i), "item " + i, 1));
            }
            full.operations().flushAcknowledgements();
        }
        String older = first(100, 30);
        long olderVersion = primary.read(older).orElseThrow().version();
        search.force(older, olderVersion - 1, new Item(older, "older", 0));
        Map<String, Long> before = primaryWithin(100);
        long leaving = before.keySet().stream().filter(id -> !Ramp.includes(id, 30)).count();

        try (DualWriter<Item> lowered = writer(fast().rampPercent(30).rampDownFrom(100).build())) {
            ReconcileReport report = reconcile(lowered, digests);

            assertEquals(leaving, report.count("search", DriftClass.ORPHAN), report.summary());
            assertEquals(leaving, report.drift(), report.summary());
            // the one held at an older version goes with a delete at the primary's version; the others
            // are committed again, and their new version reaches the sink as a delete
            assertEquals(1, report.actions(RepairOutcome.ORPHAN_DELETED), report.summary());
            assertEquals(leaving - 1, report.actions(RepairOutcome.REWRITTEN), report.summary());
            assertEquals(olderVersion, primary.read(older).orElseThrow().version(), "a delete changes no primary version");
            assertEquals(primaryWithin(30), search.liveVersions());

            ReconcileReport again = reconcile(lowered, digests);
            assertEquals(0, again.drift(), "a second run finds nothing: " + again.summary());
        }

        // the ramp is raised again: the next write of an entity that was removed reaches the sink
        String back = before.keySet().stream().filter(id -> !Ramp.includes(id, 30) && !id.equals(older)).findFirst()
                .orElseThrow();
        try (DualWriter<Item> raised = writer(fast().build())) {
            long v = raised.save(new Item(back, "back", 2)).version();
            assertEquals(v, search.liveVersions().get(back), "the removal barred nothing");
            assertFalse(search.liveVersions().containsKey(older), older + " is written by nobody and stays out");
            ReconcileReport report = reconcile(raised, digests);
            assertTrue(report.count("search", DriftClass.MISSING) > 0, "a raised ramp brings back the others: "
                    + report.summary());
            assertEquals(primaryWithin(100), search.liveVersions());
        }
    }
}
