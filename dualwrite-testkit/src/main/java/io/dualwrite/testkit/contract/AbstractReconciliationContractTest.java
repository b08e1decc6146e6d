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

import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.TestItem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reconciliation against a real destination, as {@code @Test final} methods: every drift class
 * ({@link DriftClass#MISSING}, {@link DriftClass#STALE}, {@link DriftClass#ORPHAN} both for an
 * entity the primary deleted and for one it never had, and an {@link DriftClass#AHEAD} phantom) is
 * found by a dry run that changes nothing, repaired through the coordinator by an apply run (the
 * primary's state republished, orphans deleted one version above what the sink held or at the
 * primary's tombstone, leaving a tombstone behind), and a second run finds only the phantom, which
 * is reported and never repaired. A run that fails halfway resumes from its checkpoint, counts every
 * drifted id once and ends in sync.
 *
 * <p>The drift is made two ways. Writes the destination never got (the primary changed while the
 * destination was away) need nothing but the sink; drift made in the destination by hand (an entry
 * removed, a version changed) needs {@link #removeDirectly} and {@link #setVersionDirectly}, and
 * that test is skipped where the subclass does not supply them. A sink's test is a small subclass:
 *
 * <pre>{@code
 * class SearchReconciliationTest extends AbstractReconciliationContractTest {
 *     protected ReconcilableSink<TestItem> newSink() { return new SearchSink(client, "items-" + UUID.randomUUID()); }
 *     protected Optional<Stored<TestItem>> readBack(String id) { ... read the index directly ... }
 * }
 * }</pre>
 *
 * <p>Before each test a writer over an in-memory primary saves {@value #SEEDED} entities
 * ({@link #id(int)}, {@link TestItem#variant}) to the sink from {@link #newSink()}; after it the
 * writer is closed and the sink handed to {@link #dispose}. A subclass's own tests may use the same
 * fixture through {@link #sink()}, {@link #primary()}, {@link #makeDriftTheDestinationNeverGot()},
 * {@link #makeDriftByHand()}, {@link #reconciler} and {@link #assertInSyncButForThePhantom}. Not
 * thread-safe (JUnit creates one instance per test method).
 */
public abstract class AbstractReconciliationContractTest {
    /** The entity type of the writer and of every change. */
    protected static final String TYPE = "item";
    /** How many entities the writer saves before each test. */
    protected static final int SEEDED = 24;
    /** The id of an entity the destination holds and the primary never had. */
    protected static final String GHOST = "zz-ghost";
    /** The version the destination holds {@link #GHOST} at. */
    protected static final long GHOST_VERSION = 42;
    /** The seeded entity the destination holds ahead of the primary: a phantom, reported, never repaired. */
    protected static final int PHANTOM = 15;
    /** How far ahead of the primary the phantom is. */
    protected static final long PHANTOM_LEAD = 5;
    private static final String SINK = "sink";
    private static final int CHUNK = 6;

    private ReconcilableSink<TestItem> sink;
    private InMemoryPrimaryStore<TestItem> primary;
    private InMemoryReconcileStore store;
    private DualWriter<TestItem> writer;

    /**
     * Creates a new sink on its real server, holding nothing (a fresh index, table, key prefix…),
     * for entities of type {@value #TYPE}.
     *
     * @return the sink under test
     * @throws Exception if the server cannot be reached; the test fails
     */
    protected abstract ReconcilableSink<TestItem> newSink() throws Exception;

    /**
     * Reads what the destination holds for an id straight from the destination (its own client,
     * not the sink's code path), so a repair the sink reports without making is caught.
     *
     * @param id the entity id
     * @return a live entity (with its state where it can be read back), a tombstone, or empty when
     *         the destination holds nothing for the id
     * @throws Exception if the destination cannot be read; the test fails
     */
    protected abstract Optional<Stored<TestItem>> readBack(String id) throws Exception;

    /**
     * Removes an entity from the destination with its own client, leaving no tombstone: what an
     * eviction, a lost shard or a hand edit leaves behind. Override, with
     * {@link #setVersionDirectly}, to run the test of drift made by hand; the default removes
     * nothing and returns false, and that test is skipped.
     *
     * @param id an entity the destination holds live
     * @return true when the destination now holds nothing for the id
     * @throws Exception if the destination cannot be written; the test fails
     */
    protected boolean removeDirectly(String id) throws Exception {
        return false;
    }

    /**
     * Changes the version the destination holds for an entity with its own client, keeping its
     * state, past the sink's version guard. The default changes nothing and returns false.
     *
     * @param id      an entity the destination holds live
     * @param version the version it must hold from now on
     * @return true when the destination now holds the entity at {@code version}
     * @throws Exception if the destination cannot be written; the test fails
     */
    protected boolean setVersionDirectly(String id, long version) throws Exception {
        return false;
    }

    /**
     * Releases the sink after its test (drops the index or table…). The default closes it when it
     * is {@link AutoCloseable}.
     *
     * @param sink the sink of the test
     * @throws Exception if it cannot be released
     */
    protected void dispose(ReconcilableSink<TestItem> sink) throws Exception {
        if (sink instanceof AutoCloseable) {
            ((AutoCloseable) sink).close();
        }
    }

    @BeforeEach
    final void seed() throws Exception {
        sink = newSink();
        primary = new InMemoryPrimaryStore<>();
        store = new InMemoryReconcileStore();
        writer = DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink(SINK, sink)
                .meterRegistry(new SimpleMeterRegistry()).build();
        for (int i = 0; i < SEEDED; i++) {
            writer.save(TestItem.variant(id(i), i));
        }
        writer.operations().flushAcknowledgements();
    }

    @AfterEach
    final void release() throws Exception {
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            if (sink != null) {
                dispose(sink);
            }
        }
    }

    @Test
    final void writesTheDestinationNeverGotAreFoundAndRepairedAndASecondRunFindsOnlyThePhantom() throws Exception {
        String created = id(100);
        long staleHeld = version(id(4));
        long phantom = makeDriftTheDestinationNeverGot();
        Reconciler reconciler = reconciler(sink, false);

        ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
        assertCounts(dry, 1, 1, 3, SEEDED - 4);
        assertTrue(readBack(created).isEmpty(), "the dry run wrote nothing");
        assertEquals(staleHeld, readBack(id(4)).orElseThrow().version(), "the dry run left the stale entity alone");

        ReconcileReport applied = reconciler.apply(ReconcileScope.all());
        assertCounts(applied, 1, 1, 3, SEEDED - 4);
        assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
        assertEquals(3, applied.actions(RepairOutcome.ORPHAN_DELETED), "e-009, e-013 and the ghost: " + applied.summary());
        assertInSyncButForThePhantom(phantom);
        assertHeld(created, Stored.live(version(created), TestItem.variant(created, 100)),
                "the missing entity was published");
        assertHeld(id(4), Stored.live(version(id(4)), TestItem.variant(id(4), 44)), "the primary's state was republished");
        assertOrphansDeleted(id(9), id(13));

        assertOnlyThePhantomIsLeft(reconciler);
    }

    @Test
    final void driftMadeInTheDestinationByHandIsFoundAndRepairedAndASecondRunFindsOnlyThePhantom() throws Exception {
        long phantom = makeDriftByHand();
        Reconciler reconciler = reconciler(sink, false);

        ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
        assertCounts(dry, 1, 1, 2, SEEDED - 4);
        assertTrue(readBack(id(3)).isEmpty(), "the dry run left the destination alone");

        ReconcileReport applied = reconciler.apply(ReconcileScope.all());
        assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
        assertEquals(2, applied.actions(RepairOutcome.ORPHAN_DELETED), applied.summary());
        assertInSyncButForThePhantom(phantom);
        assertHeld(id(3), Stored.live(version(id(3)), TestItem.variant(id(3), 3)), "the primary's state was republished");
        assertHeld(id(7), Stored.live(version(id(7)), TestItem.variant(id(7), 7)), "the stale entity is current again");
        assertOrphansDeleted(id(11));

        assertOnlyThePhantomIsLeft(reconciler);
    }

    @Test
    final void aRunKilledHalfwayResumesAndEndsWithTheDestinationInSync() throws Exception {
        long phantom = makeDriftTheDestinationNeverGot();
        AtomicInteger calls = new AtomicInteger();
        ReconcilableSink<TestItem> dying = new ReconcilableSink<>() {
            @Override
            public ApplyResult apply(Change<TestItem> change) throws Exception {
                return sink.apply(change);
            }

            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                // the comparison of the third chunk fails: two are done and checkpointed
                if (ids.contains(id(12)) && calls.incrementAndGet() == 1) {
                    throw new IOException("connection lost (injected)");
                }
                return sink.versionsOf(ids);
            }

            @Override
            public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
                return sink.idsAfter(afterExclusive, limit);
            }
        };
        ReconcileException crash = assertThrows(ReconcileException.class,
                () -> reconciler(dying, false).apply(ReconcileScope.all()));
        assertEquals(2, crash.report().chunks(), crash.report().summary());

        ReconcileReport resumed = reconciler(sink, false).apply(ReconcileScope.all());

        assertEquals(RunStatus.COMPLETED, resumed.status());
        assertEquals(1, resumed.resumes());
        assertEquals(6, resumed.drift(), "every drifted id counted once across the crash: " + resumed.summary());
        assertEquals(5, resumed.repaired(), resumed.summary());
        assertInSyncButForThePhantom(phantom);
    }

    // ------------------------------------------------------------------ for subclasses

    /**
     * @param i a number
     * @return the id of the i-th entity ({@code e-003}); ids sort as their numbers do
     */
    protected static String id(int i) {
        return String.format("e-%03d", i);
    }

    /** @return the sink of the running test */
    protected final ReconcilableSink<TestItem> sink() {
        return sink;
    }

    /** @return the primary of the running test, holding the seeded entities */
    protected final InMemoryPrimaryStore<TestItem> primary() {
        return primary;
    }

    /**
     * @param id an id the primary holds, live or deleted
     * @return the version the primary holds for it
     */
    protected final long version(String id) {
        return primary.read(id).orElseThrow().version();
    }

    /**
     * Makes one drift of every class through the primary and the sink alone, as while the
     * destination was away: {@code e-100} created (missing), {@code e-004} changed to variant 44
     * (stale), {@code e-009} and {@code e-013} deleted (orphans), all committed to the primary
     * without being sent; {@value #GHOST} applied to the sink at {@value #GHOST_VERSION} (an orphan
     * too) and {@code e-015} applied {@value #PHANTOM_LEAD} versions ahead (a phantom).
     *
     * @return the phantom's version in the destination
     * @throws Exception if the sink refuses a change
     */
    protected final long makeDriftTheDestinationNeverGot() throws Exception {
        commitUnseen(id(100), TestItem.variant(id(100), 100));
        commitUnseen(id(4), TestItem.variant(id(4), 44));
        commitUnseen(id(9), null);
        commitUnseen(id(13), null);
        applyGhost();
        long phantom = version(id(PHANTOM)) + PHANTOM_LEAD;
        assertEquals(ApplyResult.APPLIED, sink.apply(change(id(PHANTOM), phantom, TestItem.variant(id(PHANTOM), 99))));
        return phantom;
    }

    /**
     * Makes one drift of every class, in the destination by hand where it can: {@code e-003}
     * removed (missing), {@code e-007} a version behind (stale), {@code e-011} deleted in the
     * primary without the delete being sent and {@value #GHOST} applied at {@value #GHOST_VERSION}
     * (orphans), {@code e-015} {@value #PHANTOM_LEAD} versions ahead (a phantom). Skips the test
     * unless the subclass supplies {@link #removeDirectly} and {@link #setVersionDirectly}.
     *
     * @return the phantom's version in the destination
     * @throws Exception if the destination cannot be written
     */
    protected final long makeDriftByHand() throws Exception {
        assumeTrue(removeDirectly(id(3)), "the subclass cannot remove an entry from the destination by hand");
        assertTrue(setVersionDirectly(id(7), version(id(7)) - 1), "the stale version was set");
        commitUnseen(id(11), null);
        applyGhost();
        long phantom = version(id(PHANTOM)) + PHANTOM_LEAD;
        assertTrue(setVersionDirectly(id(PHANTOM), phantom), "the phantom's version was set");
        return phantom;
    }

    /**
     * @param of             the sink to reconcile (the test's, or one wrapping it)
     * @param compareContent whether the reconciler compares content at equal versions
     * @return a reconciler of the test's writer, primary and checkpoint store, in chunks of six
     */
    protected final Reconciler reconciler(ReconcilableSink<TestItem> of, boolean compareContent) {
        return Reconciler.<TestItem>builder().writer(writer).primary(primary).sink(SINK, of).store(store)
                .meterRegistry(new SimpleMeterRegistry()).chunkSize(CHUNK).repairsPerSecond(10_000)
                .compareContent(compareContent).build();
    }

    /**
     * Asserts that the sink lists exactly the primary's live entities at the primary's versions,
     * but for the phantom, which it holds ahead.
     *
     * @param phantom the phantom's version in the destination
     * @throws Exception if the sink cannot be read
     */
    protected final void assertInSyncButForThePhantom(long phantom) throws Exception {
        Map<String, Long> expected = new TreeMap<>();
        for (Snapshot<TestItem> s : primary.scan(null, 10_000)) {
            if (!s.deleted()) {
                expected.put(s.id(), s.version());
            }
        }
        expected.put(id(PHANTOM), phantom);
        assertEquals(expected, new TreeMap<>(sink.versionsOf(sink.idsAfter(null, 10_000))),
                "the destination matches the primary but for the phantom");
    }

    // ------------------------------------------------------------------ helpers

    private void assertCounts(ReconcileReport report, int missing, int stale, int orphans, int inSync) {
        assertEquals(missing, report.count(DriftClass.MISSING), report.summary());
        assertEquals(stale, report.count(DriftClass.STALE), report.summary());
        assertEquals(orphans, report.count(DriftClass.ORPHAN), report.summary());
        assertEquals(1, report.count(DriftClass.AHEAD), report.summary());
        assertEquals(inSync, report.count(DriftClass.IN_SYNC), report.summary());
    }

    private void assertOrphansDeleted(String... deletedInThePrimary) throws Exception {
        assertHeld(GHOST, Stored.deleted(GHOST_VERSION + 1), "the orphan's delete carried 42 + 1 and left a tombstone");
        for (String id : deletedInThePrimary) {
            assertHeld(id, Stored.deleted(version(id)), "the deleted entity's orphan is deleted at the tombstone's version");
        }
    }

    private static void assertOnlyThePhantomIsLeft(Reconciler reconciler) {
        ReconcileReport second = reconciler.apply(ReconcileScope.all());
        assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
        assertEquals(1, second.count(DriftClass.AHEAD), second.summary());
        assertEquals(0, second.repaired(), second.summary());
    }

    /** Asserts what the destination holds; its state is compared only where {@link #readBack} reads one. */
    private void assertHeld(String id, Stored<TestItem> expected, String what) throws Exception {
        Stored<TestItem> held = readBack(id).orElseThrow(() -> new AssertionError(what + ": nothing held for " + id));
        assertEquals(expected.live(), held.live(), what + ": " + id + " is " + held);
        assertEquals(expected.version(), held.version(), what + ": " + id + " is " + held);
        if (held.state().isPresent()) {
            assertEquals(expected.state(), held.state(), what + ": the state of " + id);
        }
    }

    private void applyGhost() throws Exception {
        assertEquals(ApplyResult.APPLIED, sink.apply(change(GHOST, GHOST_VERSION, TestItem.variant(GHOST, 1))));
    }

    private static Change<TestItem> change(String id, long version, TestItem state) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.UPSERT)
                .state(state).correlationId("test").time(Instant.now()).build();
    }

    /** Commits a write to the primary alone, as if the delivery to the destination never happened. */
    private void commitUnseen(String id, TestItem state) {
        primary.commit(PrimaryWrite.<TestItem>builder().id(id).operation(state == null ? Operation.DELETE : Operation.UPSERT)
                .state(state).intents(List.of()).correlationId("test").time(Instant.now()).build());
    }
}
