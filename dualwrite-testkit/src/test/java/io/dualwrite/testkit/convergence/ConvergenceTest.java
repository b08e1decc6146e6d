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
package io.dualwrite.testkit.convergence;

import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.TestItem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvergenceTest {
    private final InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
    private final InMemorySink<TestItem> search = new InMemorySink<>();
    private final InMemorySink<TestItem> cache = new InMemorySink<>();
    private final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    private DualWriter<TestItem> writer;

    @BeforeEach
    void writeSomeEntities() {
        writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id).primary(primary)
                .deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry()).sink("search", search).sink("cache", cache).build();
        for (String id : List.of("a", "b", "c", "d", "e")) {
            writer.save(TestItem.variant(id, 1));
        }
        writer.delete("e");
        writer.operations().flushAcknowledgements();
    }

    @AfterEach
    void close() {
        writer.close();
    }

    private long v(String id) {
        return primary.read(id).orElseThrow().version();
    }

    @Test
    void aQuietSystemConverges() {
        ConvergenceReport r = Convergence.<TestItem>check().primary(primary).sink("search", search)
                .sink("cache", cache).deadLetters(deadLetters).assertConverged();
        assertTrue(r.converged(), "nothing differs");
        assertEquals(5, r.entities(), "four live entities and the delete's tombstone, which stays");
        assertEquals("converged", r.summary().substring(0, 9), "the summary says so");
    }

    @Test
    void listsEveryKindOfDifferenceWithBothVersions() {
        search.force("a", v("a") - 1, TestItem.variant("a", 0));          // stale
        search.force("b", v("b") + 5, TestItem.variant("b", 1));          // phantom: ahead of the primary
        search.force("c", v("c"), TestItem.variant("c", 99));             // divergent: same version, other state
        search.force("d", v("d"), null);                                  // missing: the sink dropped it
        search.force("z", 12, TestItem.variant("z", 1));                  // orphan: the primary never had it
        ConvergenceReport r = Convergence.<TestItem>check().primary(primary).sink("search", search)
                .sink("cache", cache).report();
        assertFalse(r.converged(), "the search sink differs");
        Map<Discrepancy.Kind, Long> counts = r.counts();
        for (Discrepancy.Kind k : Discrepancy.Kind.values()) {
            assertEquals(1L, counts.get(k), "exactly one " + k + " in " + r);
        }
        assertEquals(0, r.issues().stream().filter(d -> d.sink().equals("cache")).count(), "the cache converged");
        String diff = r.toString();
        assertTrue(diff.contains("STALE     search  a  primary live@" + v("a") + "  sink live@" + (v("a") - 1)),
                "the stale line shows both versions: " + diff);
        assertTrue(diff.contains("PHANTOM   search  b"), "the phantom line: " + diff);
        assertTrue(diff.contains("ORPHAN    search  z  primary absent  sink live@12"), "the orphan line: " + diff);
        AssertionError e = assertThrows(AssertionError.class, r::assertConverged);
        assertTrue(e.getMessage().contains("NOT converged"), "the assertion carries the diff: " + e.getMessage());
    }

    @Test
    void aDeadLetterExplainsAMissingEntityButNeverAPhantom() {
        search.force("d", v("d"), null);
        search.force("b", v("b") + 1, TestItem.variant("b", 1));
        Instant now = Instant.now();
        deadLetters.add(new DeadLetter("item", "d", v("d"), "search", 3, ErrorKind.PERMANENT, "rejected", "rejected",
                null, null, now, now));
        deadLetters.add(new DeadLetter("item", "b", v("b"), "search", 3, ErrorKind.PERMANENT, "rejected", "rejected",
                null, null, now, now));
        ConvergenceReport r = Convergence.<TestItem>check().primary(primary).sink("search", search)
                .deadLetters(deadLetters).entityType("item").report();
        assertEquals(0, r.count(Discrepancy.Kind.MISSING), "the dead letter explains the missing entity");
        assertEquals(1, r.explainedByDeadLetters().size(), "and is listed as explained");
        assertEquals(1, r.count("search", Discrepancy.Kind.PHANTOM), "a phantom is never excused");
        assertEquals(2, r.deadLetters(), "both dead letters were seen");
    }

    @Test
    void aVersionThePrimaryNeverCommittedIsAPhantomEvenWhenOlder() {
        long va = v("a");
        search.force("a", va - 3, TestItem.variant("a", 1));
        ConvergenceReport withoutLog = Convergence.<TestItem>check().primary(primary).sink("search", search).report();
        assertEquals(1, withoutLog.count(Discrepancy.Kind.STALE), "without a commit log an older version is stale");
        ConvergenceReport withLog = Convergence.<TestItem>check().primary(primary).sink("search", search)
                .committedVersions(Map.of("a", Set.of(va), "b", Set.of(v("b")), "c", Set.of(v("c")), "d", Set.of(v("d"))))
                .report();
        assertEquals(1, withLog.count(Discrepancy.Kind.PHANTOM), "with the log it is a version never committed");
    }

    @Test
    void readsThePrimaryThroughTheWriterForTheGivenIds() {
        cache.force("c", v("c") - 1, TestItem.variant("c", 0));
        ConvergenceReport r = Convergence.<TestItem>check().primary(writer, List.of("a", "b", "c", "d"))
                .sink("cache", cache).report();
        assertEquals(1, r.count("cache", Discrepancy.Kind.STALE), "the stale cache entry is found: " + r);
        assertThrows(IllegalStateException.class, () -> Convergence.<TestItem>check().sink("s", search).report(),
                "a check without a primary is refused");
    }

    /** What the caller's path left (a sink that was down) converges once recovery has run: one call waits for it. */
    @Test
    void awaitConvergedRunsRecoveryUntilQuietAndFailsWithTheReportWhenItCannot() {
        InMemoryPrimaryStore<TestItem> own = new InMemoryPrimaryStore<>();
        java.util.concurrent.atomic.AtomicBoolean up = new java.util.concurrent.atomic.AtomicBoolean();
        InMemorySink<TestItem> target = new InMemorySink<>();
        io.dualwrite.spi.Sink<TestItem> flaky = change -> {
            if (!up.get()) {
                throw new io.dualwrite.spi.SinkException("503 down", io.dualwrite.ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        };
        try (DualWriter<TestItem> w = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                .primary(own).deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry())
                .gracePeriod(java.time.Duration.ZERO).sink("flaky", flaky, io.dualwrite.SinkSettings.builder()
                        .maxAttempts(1).build()).build()) {
            w.save(TestItem.variant("f", 1));
            AssertionError notYet = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                    () -> Convergence.<TestItem>check().primary(own).sink("flaky", target)
                            .awaitConverged(java.time.Duration.ofMillis(200), w));
            assertTrue(notYet.getMessage().contains("still have intents pending"), notYet.getMessage());
            up.set(true);
            ConvergenceReport r = Convergence.<TestItem>check().primary(own).sink("flaky", target)
                    .awaitConverged(java.time.Duration.ofSeconds(10), w);
            assertTrue(r.converged());
            assertEquals(0, w.operations().backlog());
        }
    }
}
