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

import io.dualwrite.DelegatingStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stale checkpoints (one of a run that completed, was abandoned, or was taken over by a later execution is never
 * resumed; a legitimate resume still is) and AHEAD ids the primary cannot read a second time (not judged, listed or
 * counted, never failing the run), with the in-memory stores.
 */
class ReconcileStaleCheckpointTest {

    /** A primary whose read() of the listed ids throws what {@code failure} gives (scans are untouched). */
    static final class BusyPrimary extends DelegatingStore<Item> {
        final Set<String> busy = ConcurrentHashMap.newKeySet();
        /** Ids whose reads fail from their second read on (the run's first read of an IDS scope succeeds). */
        final Set<String> busyAfterFirstRead = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> reads = new ConcurrentHashMap<>();
        volatile Supplier<Throwable> failure = () -> new IllegalStateException("a write turn holds it (injected)");

        BusyPrimary(PrimaryStore<Item> delegate) {
            super(delegate);
        }

        @Override
        public Optional<Snapshot<Item>> read(String id) {
            int n = reads.merge(id, 1, Integer::sum);
            if (busy.contains(id) || (busyAfterFirstRead.contains(id) && n >= 2)) {
                Throwable t = failure.get();
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                throw (Error) t;
            }
            return super.read(id);
        }
    }

    private static long sum(Map<DriftClass, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * The run has compared and repaired every id and stored its COMPLETED report; removing its checkpoint fails once
     * (the store hiccups). The run stays COMPLETED, and days later, after the sink was flushed, the next apply starts
     * afresh instead of resuming the finished run from its last checkpoint and comparing nothing.
     */
    @Test
    void aCheckpointLeftBecauseItsRemovalFailedAfterTheCompletedReportIsNotResumed() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            AtomicBoolean clearFails = new AtomicBoolean(true);
            ReconcileStore hiccup = new DelegatingReconcileStore(f.store) {
                @Override
                public void clearCheckpoint(String runKey) {
                    if (clearFails.compareAndSet(true, false)) {
                        throw new IllegalStateException("the store timed out (injected, once)");
                    }
                    super.clearCheckpoint(runKey);
                }
            };
            Reconciler reconciler = f.reconciler().store(hiccup).useDigests(false).build();
            String firstRun;
            try {
                firstRun = reconciler.apply(scope).runId();
            } catch (ReconcileException e) {
                firstRun = e.report().runId();
            }
            assertEquals(f.primaryLive(), f.search.liveVersions(), "the first run repaired everything");
            ReconcileReport stored = reconciler.history(1).get(0);
            String storedStatus = stored.status() + " " + stored.errors();

            f.search.clear(); // days later the sink is flushed
            ReconcileReport next = reconciler.apply(scope);

            assertEquals(f.primaryLive(), f.search.liveVersions(), "the next COMPLETED apply (run " + next.runId()
                    + (next.runId().equals(firstRun) ? ", the first run resumed" : ", a new run") + ", resumes "
                    + next.resumes() + ") left the sink without what the primary holds; the first run's stored report"
                    + " says " + storedStatus + "; " + next.summary());
            assertNotEquals(firstRun, next.runId(), "a new run");
        }
    }

    /** The legit case: a run that FAILED (sink down) is resumed, fails again, and is resumed again: same run id. */
    @Test
    void aFailedRunIsStillResumedEvenAfterItFailedTwice() {
        ReconcileReport uninterrupted;
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            uninterrupted = f.reconciler().useDigests(false).build().apply(ReconcileScope.all());
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            ReconcileScope scope = ReconcileScope.all();
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(15);
            ReconcileException first = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
            crashing.failOnVersionsOf = ReconcileFixture.id(40);
            ReconcileException second = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
            assertEquals(first.report().runId(), second.report().runId(), "the second attempt resumed the first");
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertTrue(healthy.unfinished(scope).isPresent(), "a FAILED run is unfinished");
            ReconcileReport resumed = healthy.apply(scope);
            assertEquals(first.report().runId(), resumed.runId());
            assertEquals(2, resumed.resumes());
            assertEquals(uninterrupted.counts(), resumed.counts(), resumed.summary());
            assertEquals(uninterrupted.idsCovered(), resumed.idsCovered());
            assertTrue(healthy.unfinished(scope).isEmpty());
        }
    }

    /**
     * A checkpoint written late (a stalled holder's write) after its run was abandoned is not resumed: the next run
     * starts from the beginning, as abandon promises.
     */
    @Test
    void aLateCheckpointOfAnAbandonedRunIsNotResumed() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException crash = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
            ReconcileCheckpoint stalled = f.store.checkpointsSeen().get(2); // a holder's write that was in flight
            assertEquals(crash.report().runId(), stalled.report().runId());
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertTrue(healthy.abandon(scope).isPresent(), "abandoned");
            f.store.saveCheckpoint(stalled); // lands late

            f.search.clear();
            ReconcileReport next = healthy.apply(scope);
            assertNotEquals(crash.report().runId(), next.runId(), "the abandoned run was resumed from the late"
                    + " checkpoint after '" + stalled.lastId() + "': " + next.summary());
            assertEquals(f.primaryLive(), f.search.liveVersions(), next.summary());
        }
    }

    /** A third-party store that keeps the SPI's default report(): a late checkpoint of a completed run is ignored. */
    @Test
    void aThirdPartyStoreWithTheDefaultLookupIgnoresACompletedRunsLateCheckpoint() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            InMemoryReconcileStore mem = new InMemoryReconcileStore();
            List<ReconcileCheckpoint> seen = new ArrayList<>();
            ReconcileStore store = new DelegatingReconcileStore(mem, true) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    seen.add(checkpoint);
                    super.saveCheckpoint(checkpoint);
                }
            };
            Reconciler reconciler = f.reconciler().store(store).useDigests(false).build();
            ReconcileReport completed = reconciler.apply(scope);
            // a few other runs in between (dry runs store reports too)
            for (int i = 0; i < 3; i++) {
                reconciler.dryRun(ReconcileScope.all());
            }
            mem.saveCheckpoint(seen.get(1));
            assertTrue(reconciler.unfinished(scope).isEmpty());
            assertTrue(reconciler.abandon(scope).isEmpty());
            f.search.clear();
            ReconcileReport next = reconciler.apply(scope);
            assertNotEquals(completed.runId(), next.runId());
            assertEquals(f.primaryLive(), f.search.liveVersions(), next.summary());
        }
    }

    // ------------------------------------------------------------------ not judged

    /**
     * plan() and dryRun() over an AHEAD id whose second read fails: the dry run's report lists it among its errors; the
     * plan, which has no errors, does not count it as a phantom either (it is logged, at WARN).
     */
    @Test
    void aPlanAndADryRunLeaveAnAheadIdThePrimaryCannotReadAgainUnjudged() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectInto(f.search); // i-0015 AHEAD
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busy.add(ReconcileFixture.id(15));
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            Reconciler reconciler = f.reconciler().primary(busy).useDigests(false).build();
            ReconcileReport dry = reconciler.dryRun(scope);
            assertTrue(dry.errors().stream().anyMatch(e -> e.contains("i-0015") && e.contains("not judged")),
                    "the dry run lists it: " + dry.errors());
            assertEquals(0, dry.count(DriftClass.AHEAD), dry.summary());

            ReconcilePlan plan = reconciler.plan(scope);
            assertTrue(plan.entries().stream().noneMatch(e -> e.id().equals(ReconcileFixture.id(15))), plan.toText());
            assertEquals(List.of("i-0003", "i-0007", "zz-ghost"), plan.entries().stream().map(e -> e.id()).toList(),
                    "the other drift is planned as without the busy id");
        }
    }

    /**
     * More AHEAD ids than a report lists errors, each of whose second read fails: the report lists the first ones and
     * counts the rest in one line, so none is left out without a word.
     */
    @Test
    void aheadIdsLeftUnjudgedBeyondTheListedErrorsAreCounted() {
        int n = ReconcileReport.MAX_ERRORS + 20;
        try (ReconcileFixture f = new ReconcileFixture().seed(n)) {
            BusyPrimary busy = new BusyPrimary(f.primary);
            for (int i = 0; i < n; i++) {
                String id = ReconcileFixture.id(i);
                f.search.force(id, f.version(id) + 5, new Item(id, "ahead", 9));
                busy.busy.add(id);
            }
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileReport report = f.reconciler().primary(busy).useDigests(false).build().apply(scope);
            assertEquals(RunStatus.COMPLETED, report.status());
            assertEquals(0, report.idsCovered(), report.summary());
            long listed = 0;
            for (int i = 0; i < n; i++) {
                String id = ReconcileFixture.id(i);
                if (report.errors().stream().anyMatch(e -> e.contains(" " + id + ":"))) {
                    listed++;
                }
            }
            assertTrue(report.errors().size() <= ReconcileReport.MAX_ERRORS, "errors: " + report.errors().size());
            String last = report.errors().get(report.errors().size() - 1);
            assertEquals("... and " + (n - listed) + " more error(s) not listed", last,
                    listed + " listed of " + n);
            assertTrue(listed >= ReconcileReport.MAX_ERRORS - 2, "listed " + listed);
        }
    }

    /** Unjudged ids fill the errors; then the run fails: the stored FAILED report still says why it stopped. */
    @Test
    void aRunThatFailsAfterUnjudgedIdsFilledTheErrorsStillSaysWhyItStopped() {
        int n = ReconcileReport.MAX_ERRORS + 20;
        try (ReconcileFixture f = new ReconcileFixture().seed(n)) {
            BusyPrimary busy = new BusyPrimary(f.primary);
            for (int i = 0; i < ReconcileReport.MAX_ERRORS; i++) {
                String id = ReconcileFixture.id(i);
                f.search.force(id, f.version(id) + 5, new Item(id, "ahead", 9));
                busy.busy.add(id);
            }
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(n - 5);
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).primary(busy).useDigests(false).build().apply(scope));
            ReconcileReport stored = f.store.reports("item", 1).get(0);
            assertEquals(RunStatus.FAILED, stored.status());
            assertTrue(stored.errors().stream().anyMatch(m -> m.contains("connection reset")),
                    "the stored FAILED report (what history() and a request show) does not say why the run stopped;"
                            + " its " + stored.errors().size() + " errors are all 'not judged' ones; the exception"
                            + " said: " + e.getMessage());
        }
    }

    /** Report invariants on every comparison path, with one id not judged. */
    @ParameterizedTest(name = "digests={0} content={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void anUnjudgedIdKeepsTheReportConsistentOnEveryPath(boolean digests, boolean content) {
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            ReconcileScope scope = ReconcileScope.all();
            ReconcileReport baseline = f.reconciler().useDigests(digests).compareContent(content).build()
                    .dryRun(scope);
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busy.add(ReconcileFixture.id(15));
            Reconciler reconciler = f.reconciler().primary(busy).useDigests(digests).compareContent(content).build();
            ReconcileReport dry = reconciler.dryRun(scope);
            assertEquals(RunStatus.COMPLETED, dry.status());
            assertEquals(0, dry.count(DriftClass.AHEAD), dry.summary());
            assertEquals(2, dry.errors().stream().filter(e -> e.contains("i-0015")).count(), dry.errors().toString());
            assertEquals(baseline.idsCovered() - 2, dry.idsCovered(), dry.summary());
            long counted = dry.counts().values().stream().mapToLong(ReconcileStaleCheckpointTest::sum).sum();
            assertEquals(dry.idsCovered(), counted, "counts add up to the ids covered: " + dry.summary());
            assertEquals(baseline.count(DriftClass.MISSING), dry.count(DriftClass.MISSING));
            assertEquals(baseline.count(DriftClass.STALE), dry.count(DriftClass.STALE));
            assertEquals(baseline.count(DriftClass.ORPHAN), dry.count(DriftClass.ORPHAN));
            assertEquals(baseline.count(DriftClass.CONTENT_MISMATCH), dry.count(DriftClass.CONTENT_MISMATCH));
            assertTrue(dry.samples().stream().noneMatch(e -> e.id().equals("i-0015")), dry.samples().toString());

            ReconcileReport applied = reconciler.apply(scope);
            assertEquals(RunStatus.COMPLETED, applied.status(), applied.errors().toString());
            assertEquals(ReconcileFixture.id(15) + "", "i-0015");
            assertEquals(f.version("i-0015") + 5, f.search.versionOf("i-0015").getAsLong(), "AHEAD never repaired");
            Map<String, Long> live = f.primaryLive();
            live.remove("i-0015");
            Map<String, Long> held = new java.util.TreeMap<>(f.search.liveVersions());
            held.remove("i-0015");
            assertEquals(live, held, "every other id repaired: " + applied.summary());
        }
    }

    /** A resumed run with an unjudged id ends like an uninterrupted one. */
    @ParameterizedTest(name = "digests={0}")
    @CsvSource({"false", "true"})
    void aResumedRunWithAnUnjudgedIdEndsLikeAnUninterruptedOne(boolean digests) {
        ReconcileReport uninterrupted;
        Map<String, Long> searchU;
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busy.add(ReconcileFixture.id(15));
            uninterrupted = f.reconciler().primary(busy).useDigests(digests).build().apply(ReconcileScope.all());
            searchU = f.search.liveVersions();
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busy.add(ReconcileFixture.id(15));
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = "i-9000"; // a drifted id after i-0015: asked for on both paths
            assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).primary(busy).useDigests(digests).build()
                            .apply(ReconcileScope.all()));
            ReconcileReport resumed = f.reconciler().primary(busy).useDigests(digests).build()
                    .apply(ReconcileScope.all());
            assertEquals(1, resumed.resumes());
            assertEquals(uninterrupted.counts(), resumed.counts(), resumed.summary());
            assertEquals(uninterrupted.actions(), resumed.actions(), resumed.summary());
            assertEquals(uninterrupted.idsCovered(), resumed.idsCovered());
            assertEquals(searchU, f.search.liveVersions());
        }
    }

    /** A non-fatal Error on the second read leaves the id unjudged; a fatal one (OOM) still stops everything. */
    @Test
    void anErrorOnTheSecondReadIsNotJudgedUnlessFatal() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectInto(f.search);
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busy.add(ReconcileFixture.id(15));
            busy.failure = () -> new NoClassDefFoundError("com/example/Codec (injected)");
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            Reconciler reconciler = f.reconciler().primary(busy).useDigests(false).build();
            ReconcileReport r = reconciler.apply(scope);
            assertEquals(RunStatus.COMPLETED, r.status());
            assertTrue(r.errors().stream().anyMatch(e -> e.contains("NoClassDefFoundError")), r.errors().toString());
            busy.failure = () -> new OutOfMemoryError("injected");
            assertThrows(OutOfMemoryError.class, () -> reconciler.apply(scope));
        }
    }

    /** An IDS scope: the first read of the AHEAD id succeeds, the second fails: not judged, the others compared. */
    @Test
    void anIdsScopeLeavesAnAheadIdItCannotReadAgainUnjudged() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectInto(f.search);
            BusyPrimary busy = new BusyPrimary(f.primary);
            busy.busyAfterFirstRead.add(ReconcileFixture.id(15));
            List<String> ids = List.of(ReconcileFixture.id(3), ReconcileFixture.id(7), ReconcileFixture.id(14),
                    ReconcileFixture.id(15), ReconcileFixture.id(16), "zz-ghost");
            ReconcileScope scope = ReconcileScope.ids(ids).sinks("search");
            ReconcileReport r = f.reconciler().primary(busy).useDigests(false).build().apply(scope);
            assertEquals(RunStatus.COMPLETED, r.status(), r.errors().toString());
            assertEquals(5, r.idsCovered(), r.summary());
            assertEquals(0, r.count(DriftClass.AHEAD));
            assertEquals(1, r.count(DriftClass.MISSING));
            assertEquals(1, r.count(DriftClass.STALE));
            assertEquals(1, r.count(DriftClass.ORPHAN));
            assertTrue(r.errors().stream().anyMatch(e -> e.contains("i-0015")), r.errors().toString());
        }
    }
}
