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

import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.spi.ReconcileCheckpoint;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Ending a run's checkpoint against stale executions and other runs, with the in-memory store: a stale execution's end
 * or late write never removes or replaces another execution's or another run's checkpoint; concurrent claims get
 * distinct numbers.
 */
class ReconcileEndedCheckpointTest {

    /**
     * Exec 0 (A, fresh run) stalls writing its checkpoint after chunk 4; it has stored no report yet. B resumes the
     * run from the checkpoint after chunk 3 and claims execution 1; B is in its first sink read. A comes back: its
     * checkpoint is refused (B claimed), it completes, its COMPLETED report is stored (there is no report of B yet),
     * but its end of the checkpoint leaves B's claimed checkpoint alone. B's read then fails: its FAILED report
     * (resumes 1) replaces A's COMPLETED one, and the run stays resumable: the next apply completes it.
     */
    @Test
    void aStaleFirstExecutionThatCompletesBeforeTheClaimerReportsLeavesTheClaimersCheckpoint() throws Exception {
        staleFirstExecutionAgainstAClaimer(ReconcileFixture.id(31), ReconcileFixture.id(24), "none");
    }

    /**
     * As above, but as it happens under a request worker: A stalls writing its LAST checkpoint (after its listener
     * heard of the last chunk, so no Watcher cancels it), B resumes from the checkpoint before and is reading the
     * last chunk when A comes back, stores COMPLETED (resumes 0, nothing stored yet) and leaves B's claimed
     * checkpoint alone; B's read fails: FAILED resumes 1 replaces COMPLETED, and the run stays resumable.
     */
    @Test
    void aStaleFirstExecutionStalledInItsLastCheckpointLeavesTheClaimersCheckpoint() throws Exception {
        staleFirstExecutionAgainstAClaimer("i-9000", "i-9000", "none");
    }

    /**
     * A (exec 0) stalls writing its checkpoint after {@code aStallsAfter}; B resumes the run and is reading the chunk of
     * {@code bReads} when A comes back and completes; then {@code probe} ("none", "unfinished" or "abandon") runs
     * while B still reads, and B's read fails: the run is completed or resumable (abandoned, after an abandon), never
     * stuck.
     */
    private void staleFirstExecutionAgainstAClaimer(String aStallsAfter, String bReads, String probeBy)
            throws Exception {
        boolean viaAbandon = probeBy.equals("abandon");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileExecutionFenceTest.StallingStore aStore = new ReconcileExecutionFenceTest.StallingStore(f.store,
                    cp -> cp.lastId().equals(aStallsAfter));
            Reconciler a = f.reconciler().store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled in its checkpoint write after chunk 4");
            String runId = f.store.checkpointsSeen().get(0).report().runId();

            CountDownLatch bReading = new CountDownLatch(1);
            CountDownLatch bFail = new CountDownLatch(1);
            HookedSink bSink = new HookedSink(f.search);
            bSink.afterVersionsOf = ids -> {
                if (ids.contains(bReads)) {
                    bReading.countDown();
                    ReconcileFixture.await(bFail);
                    throw new IllegalStateException("connection reset (injected, B's first read)");
                }
            };
            Reconciler b = f.reconciler(bSink, f.cache).useDigests(false).build();
            Future<ReconcileReport> bRun = pool.submit(() -> b.apply(scope));
            assertTrue(bReading.await(10, TimeUnit.SECONDS), "B resumed and is reading");

            aStore.release.countDown();
            ReconcileReport aReport;
            try {
                aReport = aRun.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                aReport = null;
            }
            // an operator's status query, or abandon, while B still runs, after exec 0's stale COMPLETED report
            Reconciler probing = f.reconciler().useDigests(false).build();
            Optional<ReconcileReport> probe = viaAbandon ? probing.abandon(scope)
                    : probeBy.equals("unfinished") ? probing.unfinished(scope) : Optional.empty();
            bFail.countDown();
            ExecutionException bFailed = assertThrows(ExecutionException.class, () -> bRun.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ReconcileException.class, bFailed.getCause());
            assertEquals(runId, ((ReconcileException) bFailed.getCause()).report().runId(), "B resumed A's run");

            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            Optional<ReconcileReport> unfinished = f.reconciler().useDigests(false).build().unfinished(scope);
            if (viaAbandon) {
                // the operator abandoned the run B was on: that stands (B's later failure does not replace it), and
                // the next run starts from the beginning
                assertTrue(probe.isPresent(), "abandon() while B ran abandons the run");
                assertTrue(stored.errors().get(stored.errors().size() - 1).startsWith("abandoned at sink '"),
                        "the audit log says the run was abandoned: " + stored.errors());
                assertTrue(unfinished.isEmpty(), "nothing left to resume after an abandon");
                return;
            }
            if (probeBy.equals("unfinished")) {
                assertTrue(probe.isPresent(), "unfinished() while B ran shows the run B is on");
            }
            if (stored.status() != RunStatus.COMPLETED && unfinished.isEmpty()) {
                fail("run " + runId + " is stuck: A (exec 0) returned " + (aReport == null ? "an exception"
                        : aReport.status() + " resumes " + aReport.resumes()) + " (stale) and the checkpoint B had"
                        + " claimed was ended; the audit log now says " + stored.status() + " resumes " + stored.resumes()
                        + " (last error: " + stored.errors().get(stored.errors().size() - 1) + ") and no checkpoint"
                        + " is left to resume; " + (viaAbandon ? "abandon()" : "unfinished()") + " while B ran said " + probe);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unfinishedWhileTheClaimerRunsAfterAStaleCompletionDoesNotStrandTheRun() throws Exception {
        staleFirstExecutionAgainstAClaimer(ReconcileFixture.id(31), ReconcileFixture.id(24), "unfinished");
    }

    @Test
    void unfinishedWhileTheClaimerReadsTheLastChunkDoesNotStrandTheRun() throws Exception {
        staleFirstExecutionAgainstAClaimer("i-9000", "i-9000", "unfinished");
    }

    @Test
    void abandonWhileTheClaimerRunsAfterAStaleCompletionAbandonsTheRun() throws Exception {
        staleFirstExecutionAgainstAClaimer(ReconcileFixture.id(31), ReconcileFixture.id(24), "abandon");
    }


    /**
     * A (exec 0 of run X) stalls writing its checkpoint after chunk 4 (its holder lost the lease). B resumes X and
     * completes it (COMPLETED, checkpoint removed). Later C starts run Y, which fails midway and leaves its
     * checkpoint. A's late checkpoint of X lands: X's checkpoint was ended, and Y's is another run's live one, so it
     * is refused; the next apply resumes Y.
     */
    @Test
    void aStaleHolderOfACompletedRunLeavesTheCheckpointOfTheNextRun() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileExecutionFenceTest.StallingStore aStore = new ReconcileExecutionFenceTest.StallingStore(f.store,
                    cp -> cp.lastId().equals(ReconcileFixture.id(31)));
            HookedSink aSink = new HookedSink(f.search);
            aSink.failOnVersionsOf = ReconcileFixture.id(35); // A's next read fails when it comes back
            Reconciler a = f.reconciler(aSink, f.cache).store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled");
            String runX = f.store.checkpointsSeen().get(0).report().runId();

            ReconcileReport b = f.reconciler().useDigests(false).build().apply(scope);
            assertEquals(runX, b.runId());
            assertEquals(RunStatus.COMPLETED, b.status());

            HookedSink cSink = new HookedSink(f.search);
            cSink.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException c = assertThrows(ReconcileException.class,
                    () -> f.reconciler(cSink, f.cache).useDigests(false).build().apply(scope));
            String runY = c.report().runId();
            assertNotEquals(runX, runY);
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertEquals(runY, healthy.unfinished(scope).map(ReconcileReport::runId).orElse(null), "Y resumable");

            aStore.release.countDown();
            assertThrows(ExecutionException.class, () -> aRun.get(10, TimeUnit.SECONDS));

            Optional<ReconcileReport> unfinished = healthy.unfinished(scope);
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions());
            assertEquals(runY, next.runId(), "run Y (failed, legitimately resumable) was not resumed: after stale A's"
                    + " late checkpoint of completed run X landed, unfinished() said " + unfinished.map(
                    r -> "run " + r.runId()).orElse("nothing") + " and the next apply started run " + next.runId());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Same as above with abandon() in place of B's completion. */
    @Test
    void aStaleHolderOfAnAbandonedRunLeavesTheCheckpointOfTheNextRun() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            ReconcileExecutionFenceTest.StallingStore aStore = new ReconcileExecutionFenceTest.StallingStore(f.store,
                    cp -> cp.lastId().equals(ReconcileFixture.id(31)));
            HookedSink aSink = new HookedSink(f.search);
            aSink.failOnVersionsOf = ReconcileFixture.id(35);
            Reconciler a = f.reconciler(aSink, f.cache).store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled");
            String runX = f.store.checkpointsSeen().get(0).report().runId();

            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertEquals(runX, healthy.abandon(scope).orElseThrow().runId());

            HookedSink cSink = new HookedSink(f.search);
            cSink.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException c = assertThrows(ReconcileException.class,
                    () -> f.reconciler(cSink, f.cache).useDigests(false).build().apply(scope));
            String runY = c.report().runId();
            assertEquals(runY, healthy.unfinished(scope).map(ReconcileReport::runId).orElse(null), "Y resumable");

            aStore.release.countDown();
            assertThrows(ExecutionException.class, () -> aRun.get(10, TimeUnit.SECONDS));

            Optional<ReconcileReport> unfinished = healthy.unfinished(scope);
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions());
            assertEquals(runY, next.runId(), "run Y was not resumed after stale A's late checkpoint of abandoned run X"
                    + " landed: unfinished() said " + unfinished.map(r -> "run " + r.runId()).orElse("nothing"));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A (run X, exec 0) completes: its COMPLETED report is stored, and it stalls removing its checkpoint (past its
     * lease). B takes over: X's checkpoint is not resumed (X completed), so B starts run Y, which fails midway and
     * leaves Y's checkpoint. A's end of X's checkpoint lands: it leaves Y's checkpoint alone (another run's), and the
     * next apply resumes Y.
     */
    @Test
    void aStaleHoldersLateEndLeavesTheNextRunsCheckpoint() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            CountDownLatch clearing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            DelegatingReconcileStore aStore = new DelegatingReconcileStore(f.store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    clearing.countDown();
                    ReconcileFixture.await(release);
                    super.endCheckpoint(runKey, runId, resumes);
                }
            };
            Reconciler a = f.reconciler().store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(clearing.await(10, TimeUnit.SECONDS), "A completed and stalls removing its checkpoint");
            String runX = f.store.checkpointsSeen().get(0).report().runId();

            HookedSink bSink = new HookedSink(f.search);
            bSink.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException b = assertThrows(ReconcileException.class,
                    () -> f.reconciler(bSink, f.cache).useDigests(false).build().apply(scope));
            String runY = b.report().runId();
            assertNotEquals(runX, runY, "X completed: B started a new run");
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertEquals(runY, healthy.unfinished(scope).map(ReconcileReport::runId).orElse(null), "Y resumable");

            release.countDown();
            assertEquals(RunStatus.COMPLETED, aRun.get(10, TimeUnit.SECONDS).status());

            Optional<ReconcileReport> unfinished = healthy.unfinished(scope);
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions());
            assertEquals(runY, next.runId(), "run Y (FAILED, 'the next apply resumes') was not resumed: stale A's"
                    + " late end removed Y's checkpoint; unfinished() said "
                    + unfinished.map(r -> "run " + r.runId()).orElse("nothing"));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Real concurrency on the in-memory store: claims of one checkpoint from many threads are all distinct. */
    @Test
    void concurrentClaimsOnTheInMemoryStoreAreDistinct() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(30);
            assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
            ReconcileCheckpoint cp = f.store.checkpointsSeen().get(f.store.checkpointsSeen().size() - 1);
            int threads = 8;
            int each = 500;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<List<Integer>>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    List<Integer> got = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        OptionalInt c = f.store.claimResume(cp);
                        got.add(c.orElseThrow());
                    }
                    return got;
                }));
            }
            Set<Integer> all = new HashSet<>();
            for (Future<List<Integer>> x : fs) {
                all.addAll(x.get(30, TimeUnit.SECONDS));
            }
            pool.shutdownNow();
            assertEquals(threads * each, all.size(), "claims tied");
            // and the original claimer's checkpoint is now refused
            f.store.saveCheckpoint(cp);
            assertEquals(threads * each, f.store.checkpoint(cp.runKey()).orElseThrow().report().resumes());
        }
    }

    /** Two real executions resuming one checkpoint at the same moment: distinct numbers, one completed report. */
    @Test
    void twoThreadsResumingTogetherGetDistinctNumbersAndTheLogHoldsACompletedReport() throws Exception {
        for (int round = 0; round < 20; round++) {
            try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
                f.injectCommon();
                ReconcileScope scope = ReconcileScope.all().sinks("search");
                HookedSink crashing = new HookedSink(f.search);
                crashing.failOnVersionsOf = ReconcileFixture.id(30);
                String runId = assertThrows(ReconcileException.class,
                        () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope)).report().runId();
                CyclicBarrier start = new CyclicBarrier(2);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                List<Future<Object>> fs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    Reconciler r = f.reconciler().useDigests(false).build();
                    fs.add(pool.submit(() -> {
                        start.await();
                        try {
                            return r.apply(scope);
                        } catch (RuntimeException e) {
                            return e;
                        }
                    }));
                }
                List<Object> outs = new ArrayList<>();
                for (Future<Object> x : fs) {
                    outs.add(x.get(30, TimeUnit.SECONDS));
                }
                pool.shutdownNow();
                assertEquals(f.primaryLive(), f.search.liveVersions(), "round " + round + ": " + outs);
                ReconcileReport stored = f.store.report("item", runId).orElseThrow();
                assertEquals(RunStatus.COMPLETED, stored.status(), "round " + round + ": " + outs + " stored "
                        + stored.errors());
                assertTrue(f.store.checkpoint(f.store.checkpointsSeen().get(0).runKey()).isEmpty()
                        || healthyUnfinishedEmpty(f, scope), "round " + round + ": a resumable checkpoint is left");
            }
        }
    }

    private static boolean healthyUnfinishedEmpty(ReconcileFixture f, ReconcileScope scope) {
        return f.reconciler().useDigests(false).build().unfinished(scope).isEmpty();
    }

    /** Unused helper to keep imports honest. */
    static Instant now() {
        return Instant.now();
    }

    static InMemoryReconcileStore fresh() {
        return new InMemoryReconcileStore();
    }
}
