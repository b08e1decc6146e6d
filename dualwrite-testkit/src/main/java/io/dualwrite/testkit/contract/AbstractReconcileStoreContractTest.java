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

import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link ReconcileStore} keeps: one checkpoint per run key, replaced by each
 * save and read back equal (so a crashed run resumes exactly where it stopped), and an audit log
 * of reports per entity type, latest first, a report saved again replacing itself, except that neither a report
 * nor a checkpoint of an earlier execution of a run (fewer resumes) replaces a later execution's, and each claim of a
 * run's checkpoint numbers a new execution above all before it. An
 * implementation's test extends this class and supplies a fresh, empty store per test
 * ({@link #newStore()}); every test here is {@code final}. Not thread-safe (a JUnit test).
 */
public abstract class AbstractReconcileStoreContractTest extends FreshStoreContract<ReconcileStore> {
    /** The start of the first run in every test. */
    protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");


    /**
     * @param runId     the run id
     * @param type      the entity type
     * @param startedAt when the run started
     * @param status    where it stands
     * @return a report with every field set
     */
    public static ReconcileReport report(String runId, String type, Instant startedAt, RunStatus status) {
        return new ReconcileReport(runId, type, ReconcileMode.APPLY, "all", List.of("search"), status, startedAt,
                status == RunStatus.RUNNING ? null : startedAt.plusSeconds(3), 3000, 0, 4, 2000, 1500, 700, 12, 4,
                Map.of("search", Map.of(DriftClass.IN_SYNC, 1990L, DriftClass.MISSING, 10L)),
                Map.of("search", Map.of(RepairOutcome.REPUBLISHED, 10L)), List.of("search p-9: failed"), List.of());
    }

    @Test
    final void aCheckpointIsReplacedByEachSaveReadBackEqualAndCleared() {
        String key = "item|APPLY|all|search";
        assertTrue(store().checkpoint(key).isEmpty());
        ReconcileCheckpoint first = new ReconcileCheckpoint(key, "search", "p-0500",
                report("r1", "item", T0, RunStatus.RUNNING), T0);
        store().saveCheckpoint(first);
        assertEquals(first, store().checkpoint(key).orElseThrow());
        ReconcileCheckpoint second = new ReconcileCheckpoint(key, "search", "p-1000",
                report("r1", "item", T0, RunStatus.RUNNING), T0.plusSeconds(1));
        store().saveCheckpoint(second);
        assertEquals(second, store().checkpoint(key).orElseThrow(), "the last checkpoint wins");
        store().clearCheckpoint(key);
        assertTrue(store().checkpoint(key).isEmpty());
        store().clearCheckpoint(key); // clearing what is not there is fine
    }

    @Test
    final void eachRunKeyKeepsItsOwnCheckpoint() {
        ReconcileCheckpoint search = new ReconcileCheckpoint("item|APPLY|all|search", "search", "p-1",
                report("r1", "item", T0, RunStatus.RUNNING), T0);
        ReconcileCheckpoint noPosition = new ReconcileCheckpoint("item|DRY_RUN|all|cache", "cache", null,
                report("r2", "item", T0, RunStatus.RUNNING), T0);
        store().saveCheckpoint(search);
        store().saveCheckpoint(noPosition);
        assertEquals(search, store().checkpoint(search.runKey()).orElseThrow());
        assertEquals(noPosition, store().checkpoint(noPosition.runKey()).orElseThrow(), "no chunk finished yet");
        store().clearCheckpoint(search.runKey());
        assertEquals(noPosition, store().checkpoint(noPosition.runKey()).orElseThrow(), "the other key is untouched");
    }

    @Test
    final void reportsAreAnAuditLogListedLatestFirstPerEntityType() {
        ReconcileReport a = report("a", "item", T0, RunStatus.COMPLETED);
        ReconcileReport b = report("b", "item", T0.plusSeconds(60), RunStatus.FAILED);
        ReconcileReport c = report("c", "order", T0.plusSeconds(30), RunStatus.COMPLETED);
        store().saveReport(a);
        store().saveReport(b);
        store().saveReport(c);
        store().saveReport(a); // saved again: replaced, not duplicated
        assertEquals(List.of(b, a), store().reports("item", 10));
        assertEquals(List.of(b), store().reports("item", 1));
        assertEquals(List.of(c), store().reports("order", 10));
        assertTrue(store().reports("invoice", 10).isEmpty());
        ReconcileReport aDone = report("a", "item", T0, RunStatus.FAILED);
        store().saveReport(aDone);
        assertEquals(List.of(b, aDone), store().reports("item", 10), "a run's later report replaces its earlier one");
        assertThrows(IllegalArgumentException.class, () -> store().reports("item", 0));
    }

    /**
     * @param r       a report
     * @param resumes the execution it is of (0 for a run's first)
     * @return the report as that execution of the run would store it
     */
    public static ReconcileReport ofExecution(ReconcileReport r, int resumes) {
        return r.asExecution(resumes);
    }

    @Test
    final void aReportIsLookedUpByItsRunIdAndEntityType() {
        ReconcileReport a = report("a", "item", T0, RunStatus.COMPLETED);
        store().saveReport(a);
        store().saveReport(report("b", "order", T0, RunStatus.FAILED));
        assertEquals(Optional.of(a), store().report("item", "a"));
        assertTrue(store().report("order", "a").isEmpty(), "another entity type's run");
        assertTrue(store().report("item", "nope").isEmpty());
    }

    @Test
    final void aReportOrCheckpointOfAnEarlierExecutionNeverReplacesALaterOnes() {
        // execution 1 took the run over from execution 0 and completed it; execution 0 comes back late
        ReconcileReport later = ofExecution(report("r1", "item", T0, RunStatus.COMPLETED), 1);
        store().saveReport(later);
        store().saveReport(ofExecution(report("r1", "item", T0, RunStatus.FAILED), 0));
        assertEquals(Optional.of(later), store().report("item", "r1"), "the later execution's report stays");
        ReconcileReport again = ofExecution(report("r1", "item", T0, RunStatus.FAILED), 2);
        store().saveReport(again);
        assertEquals(Optional.of(again), store().report("item", "r1"), "a still later execution's replaces it");

        String key = "item|APPLY|all|search";
        ReconcileCheckpoint ofOne = new ReconcileCheckpoint(key, "search", "p-0500",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), 1), T0);
        store().saveCheckpoint(ofOne);
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-1000",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), 0), T0.plusSeconds(1)));
        assertEquals(ofOne, store().checkpoint(key).orElseThrow(), "the later execution's checkpoint stays");
        ReconcileCheckpoint newRun = new ReconcileCheckpoint(key, "search", "p-0100",
                report("r2", "item", T0.plusSeconds(60), RunStatus.RUNNING), T0.plusSeconds(60));
        store().saveCheckpoint(newRun);
        assertEquals(ofOne, store().checkpoint(key).orElseThrow(), "another run's does not replace it while it lives");
        store().endCheckpoint(key, "r1", 1);
        store().saveCheckpoint(newRun);
        assertEquals(newRun, store().checkpoint(key).orElseThrow(), "once it ended, another run's takes its place");
    }

    @Test
    final void eachClaimOfARunsCheckpointGetsItsOwnNumberAndFencesEarlierExecutions() {
        String key = "item|APPLY|all|search";
        ReconcileCheckpoint atZero = new ReconcileCheckpoint(key, "search", "p-0500",
                report("r1", "item", T0, RunStatus.RUNNING), T0);
        assertTrue(store().claimResume(atZero).isEmpty(), "no checkpoint there yet");
        store().saveCheckpoint(atZero);
        int first = store().claimResume(atZero).orElseThrow();
        int second = store().claimResume(atZero).orElseThrow();
        assertTrue(first >= 1 && second > first, "two claims of one checkpoint: " + first + ", " + second);
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-1000",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), first), T0.plusSeconds(1)));
        assertEquals("p-0500", store().checkpoint(key).orElseThrow().lastId(),
                "the first claimer's checkpoint is refused once a second claimed the run");
        ReconcileCheckpoint bySecond = new ReconcileCheckpoint(key, "search", "p-1500",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), second), T0.plusSeconds(2));
        store().saveCheckpoint(bySecond);
        assertEquals("p-1500", store().checkpoint(key).orElseThrow().lastId());
        assertTrue(store().claimResume(new ReconcileCheckpoint(key, "search", "p-1500",
                report("r2", "item", T0, RunStatus.RUNNING), T0)).isEmpty(), "another run's checkpoint is not claimed");
        store().clearCheckpoint(key);
        assertTrue(store().claimResume(bySecond).isEmpty(), "a removed checkpoint is not claimed");
    }

    /**
     * Instances resuming the same checkpoint at the same moment each get an execution number of their own: a store
     * shared by several processes makes the claim one atomic step. 8 threads claim 40 times each.
     */
    @Test
    final void concurrentClaimsOfOneCheckpointEachGetTheirOwnNumber() throws Exception {
        String key = "item|APPLY|all|search";
        ReconcileCheckpoint cp = new ReconcileCheckpoint(key, "search", "p-0500",
                report("r1", "item", T0, RunStatus.RUNNING), T0);
        store().saveCheckpoint(cp);
        int threads = 8;
        int each = 40;
        Set<Integer> numbers = ConcurrentHashMap.newKeySet();
        List<Integer> twice = Collections.synchronizedList(new ArrayList<>());
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> claims = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                claims.add(pool.submit(() -> {
                    together.await();
                    for (int i = 0; i < each; i++) {
                        int n = store().claimResume(cp).orElseThrow();
                        if (!numbers.add(n)) {
                            twice.add(n);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : claims) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), twice, "execution numbers handed out twice");
        int last = Collections.max(numbers);
        assertEquals(threads * each, numbers.size());
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-0900",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), last - 1), T0.plusSeconds(1)));
        assertEquals("p-0500", store().checkpoint(key).orElseThrow().lastId(),
                "an execution below the last claim is fenced");
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-1000",
                ofExecution(report("r1", "item", T0, RunStatus.RUNNING), last), T0.plusSeconds(2)));
        assertEquals("p-1000", store().checkpoint(key).orElseThrow().lastId(), "the last claimer writes");
    }

    @Test
    final void anEndedCheckpointRefusesItsRunsLateWritesButNotAnotherRunsAndAStaleEndChangesNothing() {
        String key = "item|APPLY|all|search";
        ReconcileCheckpoint x = new ReconcileCheckpoint(key, "search", "p-0500",
                report("x", "item", T0, RunStatus.RUNNING), T0);
        store().saveCheckpoint(x);
        int claimed = store().claimResume(x).orElseThrow();
        store().endCheckpoint(key, "x", claimed - 1); // a stale execution's end: the checkpoint is a later one's
        assertEquals("p-0500", store().checkpoint(key).orElseThrow().lastId(), "a stale end changes nothing");
        store().endCheckpoint(key, "x", claimed);
        assertTrue(store().checkpoint(key).isEmpty(), "ended");
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-0900",
                ofExecution(report("x", "item", T0, RunStatus.RUNNING), claimed), T0.plusSeconds(5)));
        assertTrue(store().checkpoint(key).isEmpty(), "the ended run's late write is refused");
        ReconcileCheckpoint y = new ReconcileCheckpoint(key, "search", "p-0100",
                report("y", "item", T0.plusSeconds(60), RunStatus.RUNNING), T0.plusSeconds(60));
        store().saveCheckpoint(y);
        assertEquals(y, store().checkpoint(key).orElseThrow(), "another run's checkpoint takes its place");
        store().saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-0700",
                ofExecution(report("x", "item", T0, RunStatus.RUNNING), claimed + 5), T0.plusSeconds(61)));
        assertEquals(y, store().checkpoint(key).orElseThrow(), "nor does a run replace another's live checkpoint");
        store().endCheckpoint(key, "x", claimed + 5);
        assertEquals(y, store().checkpoint(key).orElseThrow(), "nor end it");
    }
}
