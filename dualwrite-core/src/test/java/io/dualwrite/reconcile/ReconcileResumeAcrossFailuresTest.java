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

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Legitimate resumes across several failures keep the run and its counts; the errors' count line survives resumes. */
class ReconcileResumeAcrossFailuresTest {

    private static ReconcileStore failingCheckpointWrites(ReconcileStore shared, AtomicBoolean once) {
        return new DelegatingReconcileStore(shared) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                if (once.compareAndSet(true, false)) {
                    throw new IllegalStateException("checkpoint write failed (injected)");
                }
                super.saveCheckpoint(checkpoint);
            }
        };
    }

    /**
     * Exec 0 fails on a sink read; exec 1 resumes, its first checkpoint write fails (FAILED, resumes 1, one chunk more
     * than the checkpoint); exec 2 resumes from exec 0's checkpoint, fails again on a read; exec 3 completes. Same
     * run id, same counts and sink contents as an uninterrupted run. Both sinks.
     */
    @Test
    void aRunFailingInItsCheckpointWriteThenOnAReadIsResumedToTheEnd() {
        boolean digests = false;
        ReconcileReport uninterrupted;
        Map<String, Long> searchU;
        Map<String, Long> cacheU;
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            uninterrupted = f.reconciler().useDigests(digests).build().apply(ReconcileScope.all());
            searchU = f.search.liveVersions();
            cacheU = f.cache.liveVersions();
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(60)) {
            f.injectCommon();
            f.injectInto(f.search);
            f.injectInto(f.cache);
            ReconcileScope scope = ReconcileScope.all();
            HookedSink crashingFirst = new HookedSink(f.search);
            crashingFirst.failOnVersionsOf = ReconcileFixture.id(20); // search's third chunk, clean
            String runId = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashingFirst, f.cache).useDigests(digests).build().apply(scope))
                    .report().runId();
            ReconcileException second = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(failingCheckpointWrites(f.store, new AtomicBoolean(true)))
                            .useDigests(digests).build().apply(scope));
            assertEquals(runId, second.report().runId());
            String stopped = second.report().errors().get(second.report().errors().size() - 1);
            assertTrue(stopped.startsWith("could not store the checkpoint after id '") && stopped.contains("(the"
                    + " reconcile store): java.lang.IllegalStateException: checkpoint write failed"), "a failed"
                    + " checkpoint write is the store's failure, not a sink's: " + stopped);
            HookedSink crashingSearch = new HookedSink(f.search);
            crashingSearch.failOnVersionsOf = ReconcileFixture.id(45);
            ReconcileException third = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashingSearch, f.cache).useDigests(digests).build().apply(scope));
            assertEquals(runId, third.report().runId(), "exec 2 resumed");
            Reconciler healthy = f.reconciler().useDigests(digests).build();
            assertTrue(healthy.unfinished(scope).isPresent());
            ReconcileReport done = healthy.apply(scope);
            assertEquals(runId, done.runId(), done.summary());
            assertEquals(uninterrupted.counts(), done.counts(), done.summary());
            assertEquals(uninterrupted.actions(), done.actions(), done.summary());
            assertEquals(uninterrupted.idsCovered(), done.idsCovered());
            assertEquals(searchU, f.search.liveVersions());
            assertEquals(cacheU, f.cache.liveVersions());
            assertEquals(done, f.store.report("item", runId).orElseThrow(), "the audit log holds the last execution's");
        }
    }

    /**
     * More not-judged ids than listed before a crash, and more after: the resumed run's errors are those of an
     * uninterrupted one (98 listed, then one count line), and abandon() of a run with 99 lines keeps at most 100.
     */
    @Test
    void theCountLineCarriesAcrossAResumeAndAnAbandon() {
        int n = 260;
        ReconcileReport uninterrupted;
        try (ReconcileFixture f = new ReconcileFixture().seed(n)) {
            ReconcileStaleCheckpointTest.BusyPrimary busy = new ReconcileStaleCheckpointTest.BusyPrimary(f.primary);
            for (int i = 0; i < n; i += 2) {
                String id = ReconcileFixture.id(i);
                f.search.force(id, f.version(id) + 5, new Item(id, "ahead", 9));
                busy.busy.add(id);
            }
            uninterrupted = f.reconciler().primary(busy).useDigests(false).build()
                    .apply(ReconcileScope.all().sinks("search"));
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(n)) {
            ReconcileStaleCheckpointTest.BusyPrimary busy = new ReconcileStaleCheckpointTest.BusyPrimary(f.primary);
            for (int i = 0; i < n; i += 2) {
                String id = ReconcileFixture.id(i);
                f.search.force(id, f.version(id) + 5, new Item(id, "ahead", 9));
                busy.busy.add(id);
            }
            ReconcileScope scope = ReconcileScope.all().sinks("search");
            HookedSink crashing = new HookedSink(f.search);
            crashing.failOnVersionsOf = ReconcileFixture.id(161);
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler(crashing, f.cache).primary(busy).useDigests(false).build().apply(scope));
            assertTrue(e.report().errors().size() <= ReconcileReport.MAX_ERRORS);
            assertTrue(e.report().errors().get(e.report().errors().size() - 1).contains("connection reset"));
            ReconcileReport resumed = f.reconciler().primary(busy).useDigests(false).build().apply(scope);
            assertEquals(uninterrupted.errors().size(), resumed.errors().size());
            assertEquals(uninterrupted.errors().get(uninterrupted.errors().size() - 1),
                    resumed.errors().get(resumed.errors().size() - 1));
            assertEquals(uninterrupted.counts(), resumed.counts());

            // abandon a run whose checkpoint holds 98 + a count line
            HookedSink again = new HookedSink(f.search);
            again.failOnVersionsOf = ReconcileFixture.id(249);
            String second = assertThrows(ReconcileException.class,
                    () -> f.reconciler(again, f.cache).primary(busy).useDigests(false).build().apply(scope))
                    .report().runId();
            Reconciler healthy = f.reconciler().primary(busy).useDigests(false).build();
            ReconcileReport abandoned = healthy.abandon(scope).orElseThrow();
            assertTrue(abandoned.errors().size() <= ReconcileReport.MAX_ERRORS, "" + abandoned.errors().size());
            assertTrue(abandoned.errors().stream().anyMatch(x -> x.startsWith("... and ")), abandoned.errors()
                    .toString());
            assertTrue(abandoned.errors().get(abandoned.errors().size() - 1).startsWith("abandoned at sink '"));
            assertEquals(abandoned, f.store.report("item", second).orElseThrow());
            assertNotEquals(second, healthy.apply(scope).runId());
        }
    }
    /**
     * A run that compared every id but whose COMPLETED report the store refused with an error fails, saying the store
     * failed (not a sink), and the next apply resumes from the run's last checkpoint and completes.
     */
    @Test
    void aReportTheStoreCannotKeepFailsTheRunNamingTheStore() {
        try (ReconcileFixture f = new ReconcileFixture().seed(10)) {
            f.injectCommon();
            AtomicBoolean once = new AtomicBoolean(true);
            ReconcileStore refusing = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    if (report.status() == RunStatus.COMPLETED && once.compareAndSet(true, false)) {
                        throw new IllegalStateException("report write failed (injected)");
                    }
                    super.saveReport(report);
                }
            };
            ReconcileScope scope = ReconcileScope.all();
            ReconcileException failed = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(refusing).build().apply(scope));
            String stopped = failed.report().errors().get(failed.report().errors().size() - 1);
            assertEquals("compared every id, but could not store the report (the reconcile store):"
                    + " java.lang.IllegalStateException: report write failed (injected)", stopped);
            assertEquals(RunStatus.FAILED, f.store.report("item", failed.report().runId()).orElseThrow().status());
            ReconcileReport done = f.reconciler().build().apply(scope);
            assertEquals(RunStatus.COMPLETED, done.status(), done.summary());
            assertEquals(failed.report().runId(), done.runId(), "resumed from its last checkpoint");
        }
    }
}
