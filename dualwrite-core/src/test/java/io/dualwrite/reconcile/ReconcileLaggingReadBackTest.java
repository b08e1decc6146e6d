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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A read-back that lags behind the write (a majority read after a w:1 write, a store of the application's own) and
 * shows an earlier execution's report can as well hide the report of a later execution that took the run over: the
 * run's own COMPLETED report was refused. The run does not say COMPLETED then.
 */
class ReconcileLaggingReadBackTest {

    /** Reads of report() may lag one effective write behind (when armed); writes go straight through. */
    static final class LaggingStore extends DelegatingReconcileStore {
        final Map<String, List<ReconcileReport>> versions = new ConcurrentHashMap<>();
        final AtomicBoolean lagNextReadBack = new AtomicBoolean();
        Runnable beforeCompletedSave = () -> { };
        final AtomicBoolean hookOnce = new AtomicBoolean(true);
        final AtomicInteger checkpointsToFail = new AtomicInteger(-1);

        LaggingStore(ReconcileStore delegate) {
            super(delegate);
        }

        @Override
        public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
            if (checkpointsToFail.get() >= 0 && checkpointsToFail.getAndDecrement() == 0) {
                throw new IllegalStateException("checkpoint write failed (injected)");
            }
            super.saveCheckpoint(checkpoint);
        }

        @Override
        public void saveReport(ReconcileReport report) {
            if (report.status() == RunStatus.COMPLETED && report.mode() == ReconcileMode.APPLY
                    && hookOnce.compareAndSet(true, false)) {
                beforeCompletedSave.run();
                lagNextReadBack.set(true);
            }
            super.saveReport(report);
            delegate.report(report.entityType(), report.runId()).ifPresent(now -> {
                List<ReconcileReport> l = versions.computeIfAbsent(report.runId(), k -> new ArrayList<>());
                if (l.isEmpty() || !l.get(l.size() - 1).equals(now)) {
                    l.add(now);
                }
            });
        }

        @Override
        public Optional<ReconcileReport> report(String entityType, String runId) {
            List<ReconcileReport> l = versions.get(runId);
            if (lagNextReadBack.compareAndSet(true, false) && l != null && l.size() >= 2) {
                return Optional.of(l.get(l.size() - 2)); // the version before the latest write: not visible yet
            }
            return super.report(entityType, runId);
        }
    }

    @Test
    void aLaggingReadBackHidesAnAbandonThatTookTheRunOver() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            f.injectInto(f.search);
            ReconcileScope scope = ReconcileScope.all();
            LaggingStore store = new LaggingStore(f.store);
            // execution 0 stores its first checkpoint, then fails on the second: FAILED report (resumes 0)
            store.checkpointsToFail.set(1);
            try {
                f.reconciler().store(store).build().apply(scope);
            } catch (ReconcileException expected) {
                // the run stopped, resumable
            }
            store.checkpointsToFail.set(-1);
            ReconcileReport failed = f.store.reports("item", 10).get(0);
            assertEquals(RunStatus.FAILED, failed.status());
            String runId = failed.runId();
            // execution 1 resumes; just before its COMPLETED report is written, an operator on another instance
            // abandons the run (execution 2): the COMPLETED report of execution 1 is refused by the store
            Reconciler operator = f.reconciler().store(store).build();
            List<ReconcileReport> abandoned = new ArrayList<>();
            store.beforeCompletedSave = () -> abandoned.add(operator.abandon(scope).orElseThrow());
            List<ReconcileReport> finished = new ArrayList<>();
            Throwable thrown = null;
            ReconcileReport result = null;
            try {
                result = f.reconciler().store(store).listener(new ReconcileListener() {
                    @Override
                    public void onFinished(ReconcileReport report) {
                        finished.add(report);
                    }
                }).build().apply(scope);
            } catch (RuntimeException e) {
                thrown = e;
            }
            assertEquals(1, abandoned.size(), "the abandon ran");
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            assertTrue(stored.errors().get(stored.errors().size() - 1).startsWith("abandoned at sink '"),
                    "the abandon's report stands: " + stored.summary());
            assertTrue(result == null || !(result.runId().equals(runId) && result.status() == RunStatus.COMPLETED),
                    "execution " + (result == null ? "?" : result.resumes()) + " of run " + runId
                            + " returned COMPLETED (listener saw " + finished.stream().map(ReconcileReport::status)
                            .toList() + ") while the store holds the abandon's report (resumes " + stored.resumes()
                            + ", " + stored.status() + "); thrown=" + thrown);
        }
    }
}
