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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Reconciler#abandon} racing another abandon, an apply that resumes the run, or an apply still on it; what a
 * store's Errors do on each step; and the report an abandon stores for a run that moved on between its read and its
 * claim.
 */
class ReconcileAbandonRaceTest {

    static boolean isAbandon(ReconcileReport r) {
        return r.status() == RunStatus.FAILED && !r.errors().isEmpty()
                && r.errors().get(r.errors().size() - 1).startsWith("abandoned at sink '");
    }

    /** A run whose second checkpoint write fails: FAILED report (execution 0), its first checkpoint left mid-way. */
    static String leaveMidway(ReconcileFixture f, ReconcileScope scope) {
        AtomicInteger writes = new AtomicInteger();
        ReconcileStore failing = new DelegatingReconcileStore(f.store) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                if (writes.incrementAndGet() == 2) {
                    throw new IllegalStateException("store down (injected)");
                }
                super.saveCheckpoint(checkpoint);
            }
        };
        assertThrows(ReconcileException.class, () -> f.reconciler().store(failing).build().apply(scope));
        return f.reconciler().build().unfinished(scope).orElseThrow().runId();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Another abandon that claimed after this one has stored its report, but not ended the checkpoint yet when this
    // one reads back.

    /**
     * A claims (exec 1); B claims (exec 2) and stores its abandon report, then pauses before its end; A's read-back
     * finds B's claim still on the checkpoint. While the checkpoint is there, another execution may still claim it
     * and resume the run, so A cannot say the run is abandoned: it throws ReconcileTakenOverException naming both
     * possibilities, B returns its report, and the run ends abandoned.
     */
    @Test
    void anAbandonOvertakenByAnotherAbandonStillAtWorkThrowsTakenOverAndTheOtherReturnsItsReport() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            String runId = leaveMidway(f, scope);

            CountDownLatch bAtEnd = new CountDownLatch(1);
            CountDownLatch releaseB = new CountDownLatch(1);
            ReconcileStore bStore = new DelegatingReconcileStore(f.store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    bAtEnd.countDown();
                    ReconcileFixture.await(releaseB);
                    super.endCheckpoint(runKey, runId, resumes);
                }
            };
            Reconciler b = f.reconciler().store(bStore).build();
            AtomicReference<Object> bOut = new AtomicReference<>();
            Thread bThread = new Thread(() -> {
                try {
                    bOut.set(b.abandon(scope));
                } catch (Throwable t) {
                    bOut.set(t);
                }
            });
            AtomicBoolean once = new AtomicBoolean(true);
            ReconcileStore aStore = new DelegatingReconcileStore(f.store) {
                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    OptionalInt n = super.claimResume(checkpoint);
                    if (once.compareAndSet(true, false)) {
                        bThread.start();
                        ReconcileFixture.await(bAtEnd); // B claimed after A and stored its report
                    }
                    return n;
                }
            };
            Object aOut;
            try {
                aOut = f.reconciler().store(aStore).build().abandon(scope);
            } catch (Throwable t) {
                aOut = t;
            }
            releaseB.countDown();
            bThread.join(20_000);
            ReconcileReport held = f.store.report("item", runId).orElseThrow();
            assertTrue(isAbandon(held), "the run is abandoned: " + held.summary());
            assertEquals(Optional.of(held), bOut.get(), "B returns its own report");
            ReconcileTakenOverException overtaken = assertInstanceOf(ReconcileTakenOverException.class, aOut);
            assertTrue(overtaken.getMessage().contains("or another abandon"), overtaken.getMessage());
            assertTrue(f.reconciler().build().unfinished(scope).isEmpty(), "the run is over");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // An apply that resumed after the abandon's claim is then cancelled by its listener (a request worker that lost
    // its lease): it stores no report, so the abandon's stays in the audit log until the next execution's replaces
    // it, and the run goes on.

    @Test
    void anAbandonOvertakenByAnApplyThatIsThenCancelledLeavesTheRunToTheNextApply() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            String runId = leaveMidway(f, scope);
            Reconciler other = f.reconciler().build();
            AtomicReference<Throwable> otherThrown = new AtomicReference<>();
            AtomicBoolean once = new AtomicBoolean(true);
            ReconcileStore aStore = new DelegatingReconcileStore(f.store) {
                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    OptionalInt n = super.claimResume(checkpoint);
                    if (once.compareAndSet(true, false)) {
                        try {
                            other.apply(scope, new ReconcileListener() {
                                @Override
                                public void onProgress(ReconcileProgress progress) {
                                    throw new ReconcileCancelledException("lost the request's lease (injected)");
                                }
                            });
                        } catch (RuntimeException e) {
                            otherThrown.set(e);
                        }
                    }
                    return n;
                }
            };
            ReconcileTakenOverException e = assertThrows(ReconcileTakenOverException.class,
                    () -> f.reconciler().store(aStore).build().abandon(scope));
            assertInstanceOf(ReconcileCancelledException.class, otherThrown.get());
            ReconcileReport held = f.store.report("item", runId).orElseThrow();
            Optional<ReconcileReport> left = f.reconciler().build().unfinished(scope);
            assertTrue(e.getMessage().contains("a report it stores replaces this one's"), e.getMessage());
            assertTrue(isAbandon(held), "until a later execution stores a report, the abandon's stays: "
                    + held.summary());
            assertEquals(2, left.orElseThrow().resumes(), "the run is the cancelled apply's, to be resumed");
            ReconcileReport next = f.reconciler().build().apply(scope);
            assertEquals(RunStatus.COMPLETED, next.status());
            assertEquals(runId, next.runId(), "the next apply resumes the run");
            assertEquals(next, f.store.report("item", runId).orElseThrow(), "and its report replaces the abandon's");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // An abandon whose claim lands but loses its reply: the store's own exception, nothing abandoned; the claim stops
    // the apply still on the run as taken over (documented), and the next apply resumes and completes the run.

    @Test
    void anAbandonWhoseClaimLandsWithItsReplyLostStopsTheRunningApplyAndTheNextApplyFinishesIt() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            Reconciler operator = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    super.claimResume(checkpoint);
                    throw new IllegalStateException("reply lost after the claim landed (injected)");
                }
            }).build();
            AtomicReference<Throwable> abandonThrew = new AtomicReference<>();
            AtomicBoolean once = new AtomicBoolean(true);
            Reconciler apply = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    super.saveCheckpoint(checkpoint);
                    if (once.compareAndSet(true, false)) {
                        try {
                            operator.abandon(scope);
                        } catch (RuntimeException | Error e) {
                            abandonThrew.set(e);
                        }
                    }
                }
            }).build();
            Object out;
            try {
                out = apply.apply(scope);
            } catch (RuntimeException e) {
                out = e;
            }
            assertEquals("reply lost after the claim landed (injected)", assertInstanceOf(
                    IllegalStateException.class, abandonThrew.get()).getMessage(), "the store's own exception");
            assertInstanceOf(ReconcileTakenOverException.class, out, "the claim that landed fences the running apply");
            ReconcileReport left = f.reconciler().build().unfinished(scope).orElseThrow();
            assertEquals(1, left.resumes(), "the run is left to the claim's execution number");
            assertTrue(!isAbandon(f.store.report("item", left.runId()).orElseThrow()), "nothing abandoned");
            ReconcileReport next = f.reconciler().build().apply(scope);
            assertEquals(RunStatus.COMPLETED, next.status());
            assertEquals(left.runId(), next.runId(), "the next apply resumes the run");
            assertEquals(next, f.store.report("item", left.runId()).orElseThrow());
            assertTrue(f.reconciler().build().unfinished(scope).isEmpty());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Fatal errors propagate as they are; non-fatal ones after the claim are ReconcileExceptions with the report.

    /** @return stores over the fixture's whose {@code step} throws {@code error} */
    static Function<ReconcileStore, ReconcileStore> throwing(StoreStep step, Error error) {
        return store -> StoreStep.throwing(store, error, step);
    }

    @Test
    void anOutOfMemoryErrorOnEveryStepPropagatesAsItIs() {
        for (StoreStep step : new StoreStep[] {StoreStep.CLAIM, StoreStep.SAVE_REPORT, StoreStep.END,
                StoreStep.CHECKPOINT_READ_BACK, StoreStep.REPORT_READ_BACK}) {
            try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
                OutOfMemoryError oom = new OutOfMemoryError("injected at " + step);
                ReconcileAbandonFaultTest.Outcome o = ReconcileAbandonFaultTest.abandonUnfinished(f,
                        throwing(step, oom));
                assertSame(oom, o.thrown(), step + ": " + o);
            }
        }
    }

    @Test
    void aStackOverflowAfterTheClaimIsAReconcileExceptionWithTheAbandonsReport() {
        for (StoreStep step : new StoreStep[] {StoreStep.SAVE_REPORT, StoreStep.CHECKPOINT_READ_BACK,
                StoreStep.REPORT_READ_BACK}) {
            try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
                ReconcileAbandonFaultTest.Outcome o = ReconcileAbandonFaultTest.abandonUnfinished(f,
                        throwing(step, new StackOverflowError("injected at " + step)));
                ReconcileException e = assertInstanceOf(ReconcileAbandonUnconfirmedException.class, o.thrown(), step + ": " + o);
                assertNotNull(e.report(), step.toString());
                assertTrue(isAbandon(e.report()), step + ": " + e.report().summary());
            }
        }
    }

    /** An end that throws a non-fatal Error and does not land: a ReconcileException naming it. */
    @Test
    void aNonFatalErrorOnTheEndIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            ReconcileAbandonFaultTest.Outcome o = ReconcileAbandonFaultTest.abandonUnfinished(f,
                    throwing(StoreStep.END, new NoClassDefFoundError("com/example/Codec (injected)")));
            ReconcileException e = assertInstanceOf(ReconcileAbandonUnconfirmedException.class, o.thrown(), String.valueOf(o));
            assertTrue(e.getMessage().contains("NoClassDefFoundError"), e.getMessage());
            assertTrue(isAbandon(e.report()));
        }
    }

    /** A store's non-fatal Error before the claim comes out as it is (the javadoc), and nothing is abandoned. */
    @Test
    void aNonFatalErrorBeforeTheClaimComesOutAsItIs() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            NoClassDefFoundError err = new NoClassDefFoundError("com/example/Codec (injected)");
            ReconcileAbandonFaultTest.Outcome o = ReconcileAbandonFaultTest.abandonUnfinished(f,
                    store -> new DelegatingReconcileStore(store) {
                        @Override
                        public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                            throw err;
                        }
                    });
            assertEquals(o.runId(), f.reconciler().build().unfinished(ReconcileScope.all()).orElseThrow().runId(),
                    "nothing abandoned");
            assertSame(err, o.thrown(), "abandon threw " + o.thrown());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // An apply's end that throws OutOfMemoryError propagates; an end that throws StackOverflowError after landing is
    // confirmed by the read-back.

    @Test
    void anApplysEndThatThrowsOutOfMemoryPropagates() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            OutOfMemoryError oom = new OutOfMemoryError("injected");
            Reconciler r = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    throw oom;
                }
            }).build();
            OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> r.apply(ReconcileScope.all()));
            assertSame(oom, thrown);
        }
    }

    @Test
    void anApplysEndThatLandsThenThrowsANonFatalErrorCompletes() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            f.injectCommon();
            Reconciler r = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    super.endCheckpoint(runKey, runId, resumes);
                    throw new StackOverflowError("injected after the end landed");
                }
            }).build();
            ReconcileReport rep = r.apply(ReconcileScope.all());
            assertEquals(RunStatus.COMPLETED, rep.status());
            ReconcileReport held = f.store.report("item", rep.runId()).orElseThrow();
            assertEquals(RunStatus.COMPLETED, held.status());
            assertEquals(rep.resumes(), held.resumes());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A pause between resumable() and claimResume(): the abandon's report describes the checkpoint it claimed, where
    // the run had moved on to, not the one it read before.

    @Test
    void anAbandonReportsWhereTheRunStoodWhenItClaimedIt() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            CountDownLatch aRead = new CountDownLatch(1);
            CountDownLatch releaseA = new CountDownLatch(1);
            AtomicReference<ReconcileCheckpoint> atClaim = new AtomicReference<>();
            Reconciler operator = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    aRead.countDown();
                    ReconcileFixture.await(releaseA);
                    atClaim.set(f.store.checkpoint(checkpoint.runKey()).orElseThrow());
                    return super.claimResume(checkpoint);
                }
            }).build();
            AtomicReference<Object> aOut = new AtomicReference<>();
            Thread aThread = new Thread(() -> {
                try {
                    aOut.set(operator.abandon(scope));
                } catch (Throwable t) {
                    aOut.set(t);
                }
            });
            AtomicInteger writes = new AtomicInteger();
            Reconciler apply = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    super.saveCheckpoint(checkpoint);
                    int n = writes.incrementAndGet();
                    if (n == 1) {
                        aThread.start();
                        // the abandon read the checkpoint after chunk 1, and pauses before its claim
                        ReconcileFixture.await(aRead);
                    } else if (n == 3) {
                        releaseA.countDown(); // it claims the checkpoint after chunk 3
                        try {
                            aThread.join(20_000);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            }).build();
            assertThrows(ReconcileTakenOverException.class, () -> apply.apply(scope));
            Optional<?> returned = assertInstanceOf(Optional.class, aOut.get(), "abandon: " + aOut.get());
            ReconcileReport abandoned = (ReconcileReport) returned.orElseThrow();
            assertTrue(isAbandon(abandoned));
            ReconcileCheckpoint claimed = atClaim.get();
            String last = abandoned.errors().get(abandoned.errors().size() - 1);
            assertTrue(last.contains("after id '" + claimed.lastId() + "'"),
                    "the abandon's report: '" + last + "'; the checkpoint it claimed was after id '" + claimed.lastId()
                            + "' (" + claimed.report().chunks() + " chunks, " + claimed.report().idsCovered()
                            + " ids); the report says " + abandoned.chunks() + " chunks, " + abandoned.idsCovered()
                            + " ids");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Returned report is what the store holds afterwards: two abandons, the second finishing entirely between the
    // first's claim and its report.

    @Test
    void anAbandonOvertakenByAFinishedAbandonReturnsThatReportWhichStands() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            String runId = leaveMidway(f, scope);
            Reconciler b = f.reconciler().build();
            AtomicReference<Optional<ReconcileReport>> bOut = new AtomicReference<>();
            AtomicBoolean once = new AtomicBoolean(true);
            Optional<ReconcileReport> aOut = f.reconciler().store(new DelegatingReconcileStore(f.store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    if (once.compareAndSet(true, false)) {
                        bOut.set(b.abandon(scope));
                    }
                    super.saveReport(report);
                }
            }).build().abandon(scope);
            ReconcileReport held = f.store.report("item", runId).orElseThrow();
            assertEquals(Optional.of(held), bOut.get());
            assertEquals(Optional.of(held), aOut);
            assertTrue(f.reconciler().build().unfinished(scope).isEmpty());
            // a new run afterwards is fresh and does not touch the abandoned one's report
            ReconcileReport next = f.reconciler().build().apply(scope);
            assertTrue(!next.runId().equals(runId));
            assertEquals(held, f.store.report("item", runId).orElseThrow());
        }
    }
}
