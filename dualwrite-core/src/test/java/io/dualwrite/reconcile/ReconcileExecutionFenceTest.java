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

import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Executions of one reconciliation run against each other, with the in-memory store: each execution that resumes a
 * checkpoint (or abandons the run) claims its own number in the store, and no write of an earlier execution (a stale
 * request holder, a timed-out write landing late) replaces what a later one stored.
 */
class ReconcileExecutionFenceTest {

    /** A store whose first saveCheckpoint matching {@code when} stalls until released (a holder that lost its lease). */
    static final class StallingStore extends DelegatingReconcileStore {
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Predicate<ReconcileCheckpoint> when;
        volatile boolean armed = true;

        StallingStore(ReconcileStore delegate, Predicate<ReconcileCheckpoint> when) {
            super(delegate);
            this.when = when;
        }

        @Override
        public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
            if (armed && when.test(checkpoint)) {
                armed = false;
                stalled.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            super.saveCheckpoint(checkpoint);
        }
    }

    /** Exec 0 crashes on id(30): cp after chunk 3 (i-0023), FAILED report, resumes 0. */
    private static ReconcileException crashFirst(ReconcileFixture f, ReconcileScope scope) {
        HookedSink crashing = new HookedSink(f.search);
        crashing.failOnVersionsOf = ReconcileFixture.id(30);
        return assertThrows(ReconcileException.class,
                () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope));
    }

    /**
     * Exec 1 resumes the failed run; its first checkpoint write times out (the write did not land yet), so it fails
     * with a FAILED report of resumes 1 and chunks 4, the stored checkpoint still being exec 0's (chunks 3). The
     * operator abandons the run: abandon() claims an execution of its own above exec 1, so its "abandoned" report is
     * stored, and the audit log says the run was abandoned.
     */
    @Test
    void abandonAfterAResumedExecutionFailedInItsFirstCheckpointWriteIsRecorded() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            String runId = crashFirst(f, scope).report().runId();
            AtomicReference<ReconcileCheckpoint> inFlight = new AtomicReference<>();
            ReconcileStore timingOut = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    if (inFlight.compareAndSet(null, checkpoint)) {
                        throw new IllegalStateException("checkpoint write timed out (injected; still in flight)");
                    }
                    super.saveCheckpoint(checkpoint);
                }
            };
            ReconcileException second = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(timingOut).useDigests(false).build().apply(scope));
            assertEquals(runId, second.report().runId(), "exec 1 resumed the run");
            assertEquals(1, second.report().resumes());

            Reconciler healthy = f.reconciler().useDigests(false).build();
            Optional<ReconcileReport> abandoned = healthy.abandon(scope);
            assertTrue(abandoned.isPresent(), "abandoned");
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            String last = stored.errors().get(stored.errors().size() - 1);
            assertTrue(last.startsWith("abandoned at sink '"), "abandon() returned a report saying the run was"
                    + " abandoned, but the audit log still holds exec 1's FAILED report (resumes " + stored.resumes()
                    + ", last error: " + last + "); abandon's report had resumes " + abandoned.get().resumes()
                    + " and was dropped by the fence");
        }
    }

    /**
     * Continuation of the above: exec 1's timed-out checkpoint write lands after the abandon (the late write the
     * fence was made for): the abandoned run is not resumed from it; the next run starts from the beginning.
     */
    @Test
    void aLateCheckpointAfterAnAbandonWhoseReportWasFencedIsNotResumed() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            String runId = crashFirst(f, scope).report().runId();
            AtomicReference<ReconcileCheckpoint> inFlight = new AtomicReference<>();
            ReconcileStore timingOut = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    if (inFlight.compareAndSet(null, checkpoint)) {
                        throw new IllegalStateException("checkpoint write timed out (injected; still in flight)");
                    }
                    super.saveCheckpoint(checkpoint);
                }
            };
            assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(timingOut).useDigests(false).build().apply(scope));
            Reconciler healthy = f.reconciler().useDigests(false).build();
            assertTrue(healthy.abandon(scope).isPresent(), "abandoned");
            f.store.saveCheckpoint(inFlight.get()); // the timed-out write lands late

            f.search.clear(); // later, the sink is flushed
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions(), "the apply after abandon() (run " + next.runId()
                    + (next.runId().equals(runId) ? ", the abandoned run resumed after '" + inFlight.get().lastId()
                    + "'" : ", a new run") + ") left ids out: " + next.summary());
            assertNotEquals(runId, next.runId(), "abandon() promises the next run starts from the beginning");
        }
    }

    /**
     * Two executions resuming the same checkpoint: exec 0 failed after chunk 3; A resumes it and stalls writing its
     * first checkpoint (past its lease); B resumes the same checkpoint, completes, stores COMPLETED and removes the
     * checkpoint. A's write lands and A's next chunk's sink read fails: A's FAILED report (its claimed execution is
     * below B's) does not replace B's COMPLETED one, and A's late checkpoint is not resumed.
     */
    @Test
    void aStaleHolderWithTheSameResumesDoesNotReplaceTheCompletedReport() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            String runId = crashFirst(f, scope).report().runId();

            StallingStore aStore = new StallingStore(f.store, cp -> true); // A's first checkpoint write stalls
            HookedSink aSink = new HookedSink(f.search);
            aSink.failOnVersionsOf = ReconcileFixture.id(35); // A's next chunk's read fails
            Reconciler a = f.reconciler(aSink, f.cache).store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled in its checkpoint write");

            ReconcileReport b = f.reconciler().useDigests(false).build().apply(scope);
            assertEquals(runId, b.runId(), "B resumed the run");
            assertEquals(RunStatus.COMPLETED, b.status());
            assertEquals(f.primaryLive(), f.search.liveVersions());

            aStore.release.countDown();
            ExecutionException aFailed = assertThrows(ExecutionException.class, () -> aRun.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ReconcileException.class, aFailed.getCause());

            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            Reconciler healthy = f.reconciler().useDigests(false).build();
            Optional<ReconcileReport> unfinished = healthy.unfinished(scope);
            f.search.clear(); // later, the sink is flushed
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions(), "the next apply (run " + next.runId()
                    + (next.runId().equals(runId) ? ", the completed run resumed" : ", a new run") + ") left ids out;"
                    + " stored report of the run after A came back: " + stored.status() + " resumes "
                    + stored.resumes() + " " + stored.errors() + "; unfinished() said " + unfinished.map(
                            r -> "run " + r.runId() + " resumes " + r.resumes() + " chunks " + r.chunks())
                    + "; " + next.summary());
            assertEquals(RunStatus.COMPLETED, stored.status(), "B's COMPLETED report was replaced by stale A's: "
                    + stored.errors());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The stale holder is exec 0 and it stalls writing its LAST checkpoint (after its listener heard of the chunk).
     * B takes over from the checkpoint before it (resumes 1) and fails reading that last chunk: FAILED, resumes 1.
     * A's write lands and is refused (B claimed the run); A completes, but its report is refused too, so A stops as
     * cancelled and leaves the checkpoint alone: the run stays resumable, and the next apply completes it.
     */
    @Test
    void aStaleHolderThatCompletesLeavesTheRunEitherCompletedOrResumable() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            StallingStore aStore = new StallingStore(f.store, cp -> cp.lastId().equals("i-9000"));
            Reconciler a = f.reconciler().store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled in its last checkpoint write");
            String runId = f.store.checkpoint(f.store.checkpointsSeen().get(0).runKey()).orElseThrow().report().runId();

            HookedSink bSink = new HookedSink(f.search);
            bSink.failOnVersionsOf = "i-9000";
            ReconcileException b = assertThrows(ReconcileException.class,
                    () -> f.reconciler(bSink, f.cache).useDigests(false).build().apply(scope));
            assertEquals(runId, b.report().runId(), "B resumed A's run");
            assertEquals(1, b.report().resumes());

            aStore.release.countDown();
            ExecutionException aFenced = assertThrows(ExecutionException.class, () -> aRun.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ReconcileCancelledException.class, aFenced.getCause(),
                    "A completed after B took the run over: its report is not stored, nor its checkpoint removed");

            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            Optional<ReconcileReport> unfinished = f.reconciler().useDigests(false).build().unfinished(scope);
            if (stored.status() != RunStatus.COMPLETED && unfinished.isEmpty()) {
                fail("run " + runId + " is stuck: the audit log says " + stored.status() + " (resumes "
                        + stored.resumes() + ", last error " + stored.errors().get(stored.errors().size() - 1)
                        + ", i.e. 'the next apply resumes'), A's COMPLETED report was dropped, and A's removal of the"
                        + " checkpoint took the run's checkpoint away, so no apply ever resumes or completes it");
            }
            ReconcileReport resumed = f.reconciler().useDigests(false).build().apply(scope);
            assertEquals(runId, resumed.runId(), "B's failed run is resumed");
            assertEquals(RunStatus.COMPLETED, resumed.status());
            assertEquals(f.primaryLive(), f.search.liveVersions(), resumed.summary());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A stale holder of a different run: A (run X, first execution) stalls writing its very first checkpoint; B finds
     * none and starts run Y, which fails midway (sink down) leaving its checkpoint. A's late checkpoint of X lands: it
     * does not replace Y's live checkpoint (another run's), and the next apply resumes Y.
     */
    @Test
    void aStaleHoldersFirstCheckpointOfAnotherRunDoesNotReplaceTheLaterRunsCheckpoint() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            StallingStore aStore = new StallingStore(f.store, cp -> true);
            CountDownLatch lost = new CountDownLatch(1);
            ReconcileListener watcher = new ReconcileListener() {
                @Override
                public void onProgress(ReconcileProgress progress) {
                    if (lost.getCount() == 0) {
                        throw new ReconcileCancelledException("no longer holds the request (test)");
                    }
                }
            };
            Reconciler a = f.reconciler().store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope, watcher));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled in its first checkpoint write");
            lost.countDown();

            HookedSink bSink = new HookedSink(f.search);
            bSink.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException b = assertThrows(ReconcileException.class,
                    () -> f.reconciler(bSink, f.cache).useDigests(false).build().apply(scope));
            String runY = b.report().runId();
            assertEquals(0, b.report().resumes());

            aStore.release.countDown();
            ExecutionException aCancelled = assertThrows(ExecutionException.class,
                    () -> aRun.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ReconcileCancelledException.class, aCancelled.getCause());

            Reconciler healthy = f.reconciler().useDigests(false).build();
            Optional<ReconcileReport> unfinished = healthy.unfinished(scope);
            assertEquals(Optional.of(runY), unfinished.map(ReconcileReport::runId), "Y's checkpoint stays");
            ReconcileReport next = healthy.apply(scope);
            assertEquals(runY, next.runId(), next.summary());
            assertEquals(RunStatus.COMPLETED, next.status());
            assertEquals(f.primaryLive(), f.search.liveVersions(), next.summary());
        }
    }

    /**
     * abandon() against a stale holder of the same resumes: exec 0 failed after chunk 3. A resumes (resumes 1) and
     * stalls writing its first checkpoint. B takes over (resumes 1), writes its checkpoint after chunk 4 and fails on
     * chunk 5 (sink down). The operator abandons the run: its FAILED "abandoned" report (resumes 1) is stored and the
     * checkpoint removed. A's write lands, A's next read fails: A's FAILED report does not replace the abandoned one
     * (abandon claimed an execution above A's and B's), and the next apply starts from the beginning.
     */
    @Test
    void anAbandonedRunIsNotResumedAfterAStaleHolderOfTheSameResumesComesBack() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            String runId = crashFirst(f, scope).report().runId();

            StallingStore aStore = new StallingStore(f.store, cp -> true);
            HookedSink aSink = new HookedSink(f.search);
            aSink.failOnVersionsOf = ReconcileFixture.id(35);
            Reconciler a = f.reconciler(aSink, f.cache).store(aStore).useDigests(false).build();
            Future<ReconcileReport> aRun = pool.submit(() -> a.apply(scope));
            assertTrue(aStore.stalled.await(10, TimeUnit.SECONDS), "A stalled in its checkpoint write");

            HookedSink bSink = new HookedSink(f.search);
            bSink.failOnVersionsOf = ReconcileFixture.id(35);
            ReconcileException b = assertThrows(ReconcileException.class,
                    () -> f.reconciler(bSink, f.cache).useDigests(false).build().apply(scope));
            assertEquals(runId, b.report().runId());
            Reconciler healthy = f.reconciler().useDigests(false).build();
            ReconcileReport abandoned = healthy.abandon(scope).orElseThrow();
            assertEquals(3, abandoned.resumes(), "abandon is an execution above A's (1) and B's (2)");
            ReconcileReport afterAbandon = f.store.report("item", runId).orElseThrow();
            assertTrue(afterAbandon.errors().get(afterAbandon.errors().size() - 1).startsWith("abandoned at sink '"),
                    "abandon stored");

            aStore.release.countDown();
            ExecutionException aFailed = assertThrows(ExecutionException.class, () -> aRun.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ReconcileException.class, aFailed.getCause());

            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            f.search.clear();
            ReconcileReport next = healthy.apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions(), "the apply after abandon() (run " + next.runId()
                    + (next.runId().equals(runId) ? ", the abandoned run resumed" : ", a new run") + ") left ids out;"
                    + " the stored report after A came back: " + stored.status() + " resumes " + stored.resumes()
                    + " " + stored.errors() + "; " + next.summary());
            assertNotEquals(runId, next.runId(), "abandon() promises the next run starts from the beginning");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One process, no lost holder: exec 0's checkpoint write after chunk 4 times out (it is still in flight) and the run
     * fails; the operator applies again at once: exec 1 resumes from the checkpoint after chunk 3 (resumes 1) and fails
     * on its first read (the sink is still down): FAILED, resumes 1, chunks 3. Exec 0's write lands. The third apply is
     * a legitimate resume after a failure: it keeps the run id.
     */
    @Test
    void aLegitimateResumeAfterAnOwnTimedOutCheckpointWriteKeepsTheRunId() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            AtomicReference<ReconcileCheckpoint> inFlight = new AtomicReference<>();
            ReconcileStore timingOutFourth = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    if (checkpoint.report().chunks() == 4 && inFlight.compareAndSet(null, checkpoint)) {
                        throw new IllegalStateException("checkpoint write timed out (injected; still in flight)");
                    }
                    super.saveCheckpoint(checkpoint);
                }
            };
            ReconcileException first = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(timingOutFourth).useDigests(false).build().apply(scope));
            String runId = first.report().runId();
            HookedSink down = new HookedSink(f.search);
            down.failOnVersionsOf = ReconcileFixture.id(30);
            ReconcileException second = assertThrows(ReconcileException.class,
                    () -> f.reconciler(down, f.cache).useDigests(false).build().apply(scope));
            assertEquals(runId, second.report().runId(), "exec 1 resumed");
            f.store.saveCheckpoint(inFlight.get()); // exec 0's write lands

            ReconcileReport third = f.reconciler().useDigests(false).build().apply(scope);
            assertEquals(f.primaryLive(), f.search.liveVersions());
            assertEquals(runId, third.runId(), "the third apply, after two failures and no lost holder, did not"
                    + " resume run " + runId + " (stored: " + f.store.report("item", runId).map(r -> r.status()
                    + " resumes " + r.resumes() + " chunks " + r.chunks()).orElse("none") + "; checkpoint was resumes "
                    + inFlight.get().report().resumes() + " chunks " + inFlight.get().report().chunks() + ")");
        }
    }
}
