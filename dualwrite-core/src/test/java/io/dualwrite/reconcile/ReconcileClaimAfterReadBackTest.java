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
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Another instance claims the run (abandon, or a second apply) just before the run's COMPLETED report is written, and
 * writes its own report only after the run read its COMPLETED report back. The read-back confirms the run's report,
 * but the claim shows on the checkpoint the run could not end: the run was taken over, and it does not say COMPLETED
 * while the later execution's report is about to replace its own.
 */
class ReconcileClaimAfterReadBackTest {

    /** The running execution's store: before its COMPLETED save, starts the other instance and waits for its claim. */
    static final class RunnerStore extends DelegatingReconcileStore {
        final AtomicBoolean once = new AtomicBoolean(true);
        volatile Runnable beforeCompletedSave = () -> { };
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch readBackDone = new CountDownLatch(1);

        RunnerStore(ReconcileStore delegate) {
            super(delegate);
        }

        @Override
        public void saveReport(ReconcileReport report) {
            if (report.status() == RunStatus.COMPLETED && report.mode() == ReconcileMode.APPLY
                    && once.compareAndSet(true, false)) {
                beforeCompletedSave.run();
                super.saveReport(report);
                armed.set(true);
                return;
            }
            super.saveReport(report);
        }

        @Override
        public Optional<ReconcileReport> report(String entityType, String runId) {
            Optional<ReconcileReport> r = super.report(entityType, runId);
            if (armed.compareAndSet(true, false)) {
                readBackDone.countDown();
            }
            return r;
        }

        /** The run reads its checkpoint back first (then its report): that read counts as its read-back too. */
        @Override
        public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
            Optional<ReconcileCheckpoint> c = super.checkpoint(runKey);
            if (armed.compareAndSet(true, false)) {
                readBackDone.countDown();
            }
            return c;
        }
    }

    /** The other instance's store: signals its claim, then holds its next report until the run's read-back. */
    static final class OtherStore extends DelegatingReconcileStore {
        final CountDownLatch claimed = new CountDownLatch(1);
        final CountDownLatch release;
        final boolean failReadBack;

        OtherStore(ReconcileStore delegate, CountDownLatch release, boolean failReadBack) {
            super(delegate);
            this.release = release;
            this.failReadBack = failReadBack;
        }

        @Override
        public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
            OptionalInt r = super.claimResume(checkpoint);
            claimed.countDown();
            return r;
        }

        @Override
        public void saveReport(ReconcileReport report) {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.saveReport(report);
        }

        @Override
        public Optional<ReconcileReport> report(String entityType, String runId) {
            if (failReadBack && claimed.getCount() == 0) {
                throw new IllegalStateException("read-back failed (injected)");
            }
            return super.report(entityType, runId);
        }
    }

    @Test
    void anAbandonClaimedBeforeTheCompletedReportAndStoredAfterItsReadBack() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            RunnerStore runner = new RunnerStore(f.store);
            OtherStore other = new OtherStore(f.store, runner.readBackDone, false);
            Reconciler operator = f.reconciler().store(other).build();
            AtomicReference<CompletableFuture<Optional<ReconcileReport>>> abandon = new AtomicReference<>();
            runner.beforeCompletedSave = () -> {
                abandon.set(CompletableFuture.supplyAsync(() -> operator.abandon(scope)));
                try {
                    assertTrue(other.claimed.await(10, TimeUnit.SECONDS), "the abandon claimed the run");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            };
            ReconcileReport result = null;
            Throwable thrown = null;
            try {
                result = f.reconciler().store(runner).build().apply(scope);
            } catch (RuntimeException e) {
                thrown = e;
            }
            Optional<ReconcileReport> abandoned = abandon.get().get(20, TimeUnit.SECONDS);
            String runId = abandoned.map(ReconcileReport::runId).orElseGet(() -> f.store.reports("item", 1).get(0).runId());
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            if (abandoned.isPresent()) {
                // the abandon took effect: the run was taken over, whatever its read-back said
                assertTrue(stored.errors().get(stored.errors().size() - 1).startsWith("abandoned at sink '"),
                        stored.summary());
                assertTrue(result == null && thrown instanceof ReconcileTakenOverException, "execution of run " + runId
                        + " returned " + (result == null ? "nothing" : result.status()) + " while the store holds "
                        + stored.status() + " (resumes " + stored.resumes() + "); thrown=" + thrown);
            } else {
                // the abandon saw, once it had claimed the run, that the run had completed meanwhile: it ended the
                // checkpoint and left the run's report alone
                assertTrue(result != null && result.status() == RunStatus.COMPLETED, "thrown=" + thrown);
                assertEquals(RunStatus.COMPLETED, stored.status(), stored.summary());
            }
        }
    }

    @Test
    void aSecondApplyClaimsBeforeTheCompletedReportAndFailsAfterItsReadBack() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            RunnerStore runner = new RunnerStore(f.store);
            OtherStore other = new OtherStore(f.store, runner.readBackDone, true);
            Reconciler second = f.reconciler().store(other).build();
            AtomicReference<CompletableFuture<ReconcileReport>> secondRun = new AtomicReference<>();
            runner.beforeCompletedSave = () -> {
                secondRun.set(CompletableFuture.supplyAsync(() -> second.apply(scope)));
                try {
                    assertTrue(other.claimed.await(10, TimeUnit.SECONDS), "the second apply claimed the run");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            };
            ReconcileReport result = null;
            Throwable thrown = null;
            try {
                result = f.reconciler().store(runner).build().apply(scope);
            } catch (RuntimeException e) {
                thrown = e;
            }
            Throwable secondThrown = null;
            try {
                secondRun.get().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                secondThrown = e;
            }
            assertTrue(result != null || thrown != null);
            String runId = result != null ? result.runId() : f.store.reports("item", 1).get(0).runId();
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            ReconcileReport returned = result;
            Throwable secondFailure = secondThrown;
            assertTrue(returned == null || returned.status() != RunStatus.COMPLETED
                            || stored.status() == RunStatus.COMPLETED,
                    () -> "execution " + returned.resumes() + " of run " + runId + " returned COMPLETED while the"
                            + " store holds " + stored.status() + " (resumes " + stored.resumes() + "); second: "
                            + secondFailure);
            assertTrue(returned != null || thrown instanceof ReconcileTakenOverException,
                    "the run was taken over: " + thrown);
        }
    }
}
