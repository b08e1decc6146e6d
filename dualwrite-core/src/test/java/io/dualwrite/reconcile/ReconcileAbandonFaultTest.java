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
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Reconciler#abandon} when the store fails on its own steps: after it claimed the run (its report write, the
 * checkpoint's end, the read-back) each failure is a {@link ReconcileAbandonUnconfirmedException} (the abandon may or may not have been
 * recorded), never the store's raw exception; an end whose reply is lost is confirmed by the read-back, as a run's
 * is; a read-back that lags to an earlier report confirms nothing; a store that cannot be read before the claim
 * throws its own exception and nothing is abandoned.
 */
class ReconcileAbandonFaultTest {

    /** A store that knows whether the abandon ended the checkpoint yet: its faults on the read-back start then. */
    static class Faulty extends DelegatingReconcileStore {
        volatile boolean ended;

        Faulty(ReconcileStore delegate) {
            super(delegate);
        }

        @Override
        public void endCheckpoint(String runKey, String runId, int resumes) {
            super.endCheckpoint(runKey, runId, resumes);
            ended = true;
        }
    }

    /**
     * What an abandon of a run left unfinished did over a store with faults.
     *
     * @param runId    the run
     * @param returned what abandon() returned, null when it threw
     * @param thrown   what it threw, null when it returned
     */
    record Outcome(String runId, Optional<ReconcileReport> returned, Throwable thrown) {
    }

    /**
     * Leaves a run unfinished (it compared every id and could not store its COMPLETED report: its checkpoint stays,
     * execution 0), then abandons it over the store the faults wrap around the fixture's.
     */
    static Outcome abandonUnfinished(ReconcileFixture f, Function<ReconcileStore, ReconcileStore> faults) {
        f.injectCommon();
        ReconcileScope scope = ReconcileScope.all();
        String runId = f.leaveUnfinished(scope);
        try {
            return new Outcome(runId, f.reconciler().store(faults.apply(f.store)).build().abandon(scope), null);
        } catch (RuntimeException | Error e) {
            return new Outcome(runId, null, e);
        }
    }

    static boolean isAbandon(ReconcileReport r) {
        return r.status() == RunStatus.FAILED && !r.errors().isEmpty()
                && r.errors().get(r.errors().size() - 1).startsWith("abandoned at sink '");
    }

    /** Asserts that abandon() said it could not confirm, with the store's failure as the cause. */
    static void assertUnconfirmed(Outcome o, String cause) {
        ReconcileException e = assertInstanceOf(ReconcileAbandonUnconfirmedException.class, o.thrown(),
                "returned " + o.returned());
        assertTrue(e.getMessage().contains("(the reconcile store)") && e.getMessage().contains(cause), e.getMessage());
        assertTrue(isAbandon(e.report()), "the abandon's report: " + e.report().summary());
    }

    @Test
    void aReadBackOfTheCheckpointThatFailsIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            assertUnconfirmed(abandonUnfinished(f, store -> StoreStep.throwing(store,
                    new IllegalStateException("connection reset on the read-back (injected)"), StoreStep.CHECKPOINT_READ_BACK)), "connection reset on the read-back");
        }
    }

    @Test
    void aReadBackOfTheReportThatFailsIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            assertUnconfirmed(abandonUnfinished(f, store -> StoreStep.throwing(store,
                    new IllegalStateException("connection reset on the read-back (injected)"), StoreStep.REPORT_READ_BACK)), "connection reset on the read-back");
        }
    }

    @Test
    void aStoreErrorOnTheReadBackIsAReconcileExceptionAsForARun() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            assertUnconfirmed(abandonUnfinished(f, store -> StoreStep.throwing(store,
                    new NoClassDefFoundError("com/example/Codec (injected)"), StoreStep.REPORT_READ_BACK)), "NoClassDefFoundError");
        }
    }

    @Test
    void anEndThatLandsButLosesItsReplyIsConfirmedByTheReadBackAsForARun() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new DelegatingReconcileStore(store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    super.endCheckpoint(runKey, runId, resumes);
                    throw new IllegalStateException("reply lost after the end landed (injected)");
                }
            });
            ReconcileReport held = f.store.report("item", o.runId()).orElseThrow();
            assertTrue(isAbandon(held), "the abandon's report stands");
            assertTrue(f.reconciler().build().unfinished(ReconcileScope.all()).isEmpty(), "the checkpoint is gone");
            // as a run in the same position does, the read-back shows the end landed: the abandon returns its report
            assertNull(o.thrown(), "abandon() took effect (its report stands, the checkpoint ended)");
            assertEquals(held, o.returned().orElseThrow(), "the report that stands is returned");
        }
    }

    @Test
    void aReportThatLandsButLosesItsReplyIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new DelegatingReconcileStore(store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    super.saveReport(report);
                    throw new IllegalStateException("reply lost after the report landed (injected)");
                }
            });
            assertTrue(isAbandon(f.store.report("item", o.runId()).orElseThrow()), "the abandon's report landed");
            assertUnconfirmed(o, "its report could not be stored");
            // the next look at the run finds it abandoned and ends the checkpoint the abandon left
            assertTrue(f.reconciler().build().unfinished(ReconcileScope.all()).isEmpty(), "nothing left to resume");
        }
    }

    @Test
    void aReportWriteThatFailsBeforeLandingIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new DelegatingReconcileStore(store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    throw new IllegalStateException("store down (injected)");
                }
            });
            assertUnconfirmed(o, "its report could not be stored");
            assertEquals(o.runId(), f.reconciler().build().unfinished(ReconcileScope.all()).orElseThrow().runId(),
                    "the run is still unfinished, to be resumed");
        }
    }

    @Test
    void anEndThatDoesNotLandLeavesTheAbandonInEffectThoughItThrows() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new DelegatingReconcileStore(store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    // dropped: never lands, no error
                }
            });
            assertUnconfirmed(o, "could not end the run's checkpoint");
            // "unfinished() tells what stands": the abandon's report stands, so the next look at the run ends the
            // checkpoint the abandon could not end, and there is no run left to resume
            assertTrue(f.reconciler().build().unfinished(ReconcileScope.all()).isEmpty(), "nothing left to resume");
            assertTrue(isAbandon(f.store.report("item", o.runId()).orElseThrow()));
        }
    }

    @Test
    void aLaggingReadBackThatShowsAnEarlierReportIsAReconcileException() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new Faulty(store) {
                private ReconcileReport before;

                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    before = super.report("item", checkpoint.report().runId()).orElseThrow();
                    return super.claimResume(checkpoint);
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String id) {
                    return ended ? Optional.of(before) : super.report(entityType, id);
                }
            });
            assertUnconfirmed(o, "a read that lags behind the write");
        }
    }

    /** A store that cannot be read before the claim: its own exception, and nothing is abandoned. */
    @Test
    void aStoreThatCannotBeReadBeforeTheClaimThrowsItsOwnExceptionAndAbandonsNothing() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            Outcome o = abandonUnfinished(f, store -> new DelegatingReconcileStore(store) {
                @Override
                public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                    throw new IllegalStateException("store down (injected)");
                }
            });
            assertEquals("store down (injected)", assertInstanceOf(IllegalStateException.class, o.thrown())
                    .getMessage());
            assertEquals(o.runId(), f.reconciler().build().unfinished(ReconcileScope.all()).orElseThrow().runId(),
                    "still unfinished");
            ReconcileReport held = f.store.report("item", o.runId()).orElseThrow();
            assertEquals(RunStatus.FAILED, held.status());
            assertTrue(!isAbandon(held), "nothing abandoned");
        }
    }

    @Test
    void noUnfinishedRunIsEmpty() {
        try (ReconcileFixture f = new ReconcileFixture().seed(20)) {
            ReconcileScope scope = ReconcileScope.all();
            assertEquals(RunStatus.COMPLETED, f.reconciler().build().apply(scope).status());
            assertEquals(Optional.empty(), f.reconciler().build().abandon(scope));
        }
    }
}
