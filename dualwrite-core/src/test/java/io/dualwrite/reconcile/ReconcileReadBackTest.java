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

import io.dualwrite.spi.ReconcileStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An applied run reads its completed report back to learn whether a later execution's stands: the read failing alone
 * and with other store faults, a read that lags behind the write, a store's Error on the way, and dry runs and plans,
 * which read nothing back.
 */
class ReconcileReadBackTest {

    /**
     * A store whose report() read-back fails once right after a COMPLETED report was saved; optionally the FAILED
     * report that follows is refused too, and optionally something runs just before the read-back fails.
     */
    static class ReadBackFailing extends DelegatingReconcileStore {
        final AtomicBoolean armed = new AtomicBoolean();
        final AtomicBoolean failNextFailedReport = new AtomicBoolean();
        final AtomicInteger readBacksFailed = new AtomicInteger();
        Runnable beforeFailing = () -> { };

        ReadBackFailing(ReconcileStore delegate) {
            super(delegate);
        }

        @Override
        public void saveReport(ReconcileReport report) {
            if (report.status() == RunStatus.FAILED && failNextFailedReport.compareAndSet(true, false)) {
                throw new IllegalStateException("failed report write failed (injected)");
            }
            super.saveReport(report);
            if (report.status() == RunStatus.COMPLETED && report.mode() == ReconcileMode.APPLY) {
                armed.set(true);
            }
        }

        @Override
        public Optional<ReconcileReport> report(String entityType, String runId) {
            if (armed.compareAndSet(true, false)) {
                beforeFailing.run();
                readBacksFailed.incrementAndGet();
                throw new IllegalStateException("report read failed (injected)");
            }
            return super.report(entityType, runId);
        }
    }

    /**
     * Read-back fails (after the run ended its checkpoint), the FAILED report is stored: the caller, the listener and
     * the audit log all say FAILED; nothing is left to resume, so the next apply starts afresh, compares every id and
     * completes; the sinks hold what an uninterrupted run leaves.
     */
    @Test
    void readBackFailsThenTheNextApplyStartsAfreshAndConverges() {
        Map<String, Long> searchU;
        ReconcileReport uninterrupted;
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            uninterrupted = f.reconciler().build().apply(ReconcileScope.all());
            searchU = f.search.liveVersions();
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            ReadBackFailing store = new ReadBackFailing(f.store);
            List<ReconcileReport> finished = new CopyOnWriteArrayList<>();
            ReconcileScope scope = ReconcileScope.all();
            ReconcileException e = assertThrows(ReconcileException.class, () -> f.reconciler().store(store)
                    .listener(new ReconcileListener() {
                        @Override
                        public void onFinished(ReconcileReport report) {
                            finished.add(report);
                        }
                    }).build().apply(scope));
            assertEquals(1, store.readBacksFailed.get());
            String runId = e.report().runId();
            assertEquals(RunStatus.FAILED, e.report().status());
            assertEquals(List.of(RunStatus.FAILED), finished.stream().map(ReconcileReport::status).toList());
            assertEquals(RunStatus.FAILED, f.store.report("item", runId).orElseThrow().status());
            String last = e.report().errors().get(e.report().errors().size() - 1);
            assertTrue(last.contains("could not read back") && last.contains("(the reconcile store)"), last);
            Reconciler healthy = f.reconciler().build();
            assertEquals(Optional.empty(), healthy.unfinished(scope), "the run had ended its checkpoint");
            assertEquals(searchU, f.search.liveVersions(), "its repairs were made");
            ReconcileReport done = healthy.apply(scope);
            assertEquals(RunStatus.COMPLETED, done.status());
            assertTrue(!done.runId().equals(runId) && done.idsCovered() >= f.primaryLive().size(),
                    "a new run compares every id again: " + done.summary());
            assertEquals(searchU, f.search.liveVersions());
            assertEquals(Optional.empty(), healthy.unfinished(scope));
        }
    }

    /**
     * Read-back fails and the FAILED report cannot be stored either: the caller is told the run failed, the audit log
     * keeps the COMPLETED report it could not replace (the run did compare every id), so the checkpoint is not resumed
     * and the next apply starts afresh under a new run id; it compares every id and completes.
     */
    @Test
    void readBackAndFailedReportBothFailTheNextApplyStartsAfresh() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReadBackFailing store = new ReadBackFailing(f.store);
            store.failNextFailedReport.set(true);
            ReconcileScope scope = ReconcileScope.all();
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(store).build().apply(scope));
            assertEquals(RunStatus.FAILED, e.report().status());
            assertEquals(RunStatus.COMPLETED, f.store.report("item", e.report().runId()).orElseThrow().status());
            Reconciler healthy = f.reconciler().build();
            assertEquals(Optional.empty(), healthy.unfinished(scope));
            ReconcileReport done = healthy.apply(scope);
            assertEquals(RunStatus.COMPLETED, done.status());
            assertTrue(!done.runId().equals(e.report().runId()) && done.idsCovered() >= f.primaryLive().size(),
                    done.summary());
        }
    }

    /**
     * Read-back fails after someone else (unfinished() on another instance) already ended the checkpoint on the
     * strength of the COMPLETED report; then the FAILED report of the same execution replaces the COMPLETED one. The
     * run is left FAILED with nothing to resume, as the caller was told; the next apply starts afresh, covers every id,
     * and the sinks converge.
     */
    @Test
    void readBackFailsAfterTheCheckpointWasEndedByAnotherInstance() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            ReconcileScope scope = ReconcileScope.all();
            ReadBackFailing store = new ReadBackFailing(f.store);
            Reconciler other = f.reconciler().build();
            List<Optional<ReconcileReport>> seen = new ArrayList<>();
            store.beforeFailing = () -> seen.add(other.unfinished(scope));
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(store).build().apply(scope));
            assertEquals(List.of(Optional.empty()), seen, "the other instance saw the run completed, ended it");
            String runId = e.report().runId();
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            Optional<ReconcileReport> unfinished = other.unfinished(scope);
            ReconcileReport next = other.apply(scope);
            assertEquals(RunStatus.COMPLETED, next.status());
            assertTrue(next.idsCovered() >= f.primaryLive().size(), next.summary()
                    + " (the next apply must compare every id again: stored " + stored.status() + ", unfinished "
                    + unfinished + ")");
            ReconcileReport again = other.apply(scope);
            assertEquals(0L, again.drift() - again.count(DriftClass.AHEAD), again.summary());
            assertEquals(RunStatus.FAILED, stored.status(), "the audit log says what the caller was told");
            assertEquals(Optional.empty(), unfinished, "the other instance ended the checkpoint");
        }
    }

    /** Dry runs and plans never read back: a report() that always fails does not touch them. */
    @Test
    void dryRunsAndPlansDoNotReadBack() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            AtomicInteger reads = new AtomicInteger();
            ReconcileStore failingReads = new DelegatingReconcileStore(f.store) {
                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    reads.incrementAndGet();
                    throw new IllegalStateException("report read failed (injected)");
                }
            };
            Reconciler r = f.reconciler().store(failingReads).build();
            ReconcileReport dry = r.dryRun(ReconcileScope.all());
            assertEquals(RunStatus.COMPLETED, dry.status());
            assertEquals(dry, f.store.report("item", dry.runId()).orElseThrow());
            ReconcilePlan plan = r.plan(ReconcileScope.all());
            assertTrue(plan.drift() > 0);
            assertEquals(0, reads.get());
        }
    }

    /**
     * A read-back that lags behind the write (a store reading from a replica): the run was resumed after a failure
     * (execution 0 stored FAILED), execution 1 completes and stores COMPLETED, and the read-back still returns
     * execution 0's FAILED report. That is no take-over, but no confirmation either (such a read could as well hide a
     * later execution's report, {@link ReconcileLaggingReadBackTest}): the run fails as when the read fails, its FAILED
     * report replaces its COMPLETED one, and the next apply starts afresh.
     */
    @Test
    void aLaggingReadBackOfTheRunsPreviousReportFailsTheRunInsteadOfJudgingIt() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(20);
            ReconcileReport failed = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).useDigests(false).build().apply(scope)).report();
            AtomicBoolean lagging = new AtomicBoolean();
            ReconcileStore replica = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    super.saveReport(report);
                    if (report.status() == RunStatus.COMPLETED) {
                        lagging.set(true);
                    }
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    if (lagging.compareAndSet(true, false)) {
                        return Optional.of(failed); // the replica has not applied the COMPLETED report yet
                    }
                    return super.report(entityType, runId);
                }
            };
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(replica).useDigests(false).build().apply(scope),
                    "neither taken over nor confirmed: the run fails");
            String last = e.report().errors().get(e.report().errors().size() - 1);
            assertTrue(last.startsWith("compared every id, but could not read back whether its report was kept")
                    && last.contains("execution 0's, a read that lags behind the write"), last);
            ReconcileReport audit = f.store.report("item", failed.runId()).orElseThrow();
            assertEquals(RunStatus.FAILED, audit.status(), "its FAILED report replaced its own COMPLETED one");
            assertEquals(1, audit.resumes());
            ReconcileReport done = f.reconciler().useDigests(false).build().apply(scope);
            assertTrue(!failed.runId().equals(done.runId()), "the run had ended its checkpoint: a new run");
            assertEquals(RunStatus.COMPLETED, done.status());
        }
    }
}
