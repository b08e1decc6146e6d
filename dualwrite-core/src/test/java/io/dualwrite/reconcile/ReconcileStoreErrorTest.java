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
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store's non-fatal Error (a class it cannot load) fails the run with a FAILED report naming the store, it
 * does not escape. A store missing a class fails every call of the same kind, not only the first.
 */
class ReconcileStoreErrorTest {

    /** Every saveReport throws the Error (the COMPLETED one, and the FAILED one that follows). */
    @Test
    void anErrorOnEveryReportWriteFailsTheRunWithoutEscaping() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            failsWithoutEscaping(f, StoreStep.throwing(f.store, new NoClassDefFoundError("org/bson/codecs/Missing (injected)"), StoreStep.SAVE_REPORT));
        }
    }

    /** The checkpoint write and every report write throw the Error. */
    @Test
    void anErrorOnTheCheckpointAndReportWritesFailsTheRunWithoutEscaping() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            failsWithoutEscaping(f, StoreStep.throwing(f.store, new NoClassDefFoundError("org/bson/codecs/Missing (injected)"), StoreStep.SAVE_CHECKPOINT,
                    StoreStep.SAVE_REPORT));
        }
    }

    /** The read-back throws the Error, and so does the FAILED report's write that follows. */
    @Test
    void anErrorOnTheReadBackAndTheFailedReportFailsTheRunWithoutEscaping() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            AtomicBoolean broke = new AtomicBoolean();
            ReconcileStore broken = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    if (broke.get()) {
                        throw new NoClassDefFoundError("org/bson/codecs/Missing (injected)");
                    }
                    super.saveReport(report);
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    if (broke.get() || f.store.report(entityType, runId).map(r -> r.status() == RunStatus.COMPLETED)
                            .orElse(false)) {
                        broke.set(true);
                        throw new NoClassDefFoundError("org/bson/codecs/Missing (injected)");
                    }
                    return super.report(entityType, runId);
                }
            };
            failsWithoutEscaping(f, broken);
        }
    }

    /**
     * endCheckpoint throws the Error after the COMPLETED report was stored and read back: a RuntimeException there
     * leaves the run COMPLETED (the report is stored); the Error should not escape a run that completed.
     */
    @Test
    void anErrorOnEndCheckpointAfterTheCompletedReportDoesNotEscape() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileStore broken = StoreStep.throwing(f.store, new NoClassDefFoundError("org/bson/codecs/Missing (injected)"), StoreStep.END);
            ReconcileReport[] out = new ReconcileReport[1];
            Throwable t = null;
            try {
                out[0] = f.reconciler().store(broken).build().apply(ReconcileScope.all());
            } catch (Throwable e) {
                t = e;
            }
            assertTrue(t == null || t instanceof ReconcileException, "escaped the run as " + t);
            if (t == null) {
                assertEquals(RunStatus.COMPLETED, out[0].status());
            }
        }
    }

    /** A fatal Error (OutOfMemoryError) from the report write or the read-back is left to the JVM, not swallowed. */
    @Test
    void aFatalErrorFromTheStoreIsNotSwallowed() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileStore broken = StoreStep.throwing(f.store, new OutOfMemoryError("injected"), StoreStep.SAVE_REPORT);
            assertThrows(OutOfMemoryError.class, () -> f.reconciler().store(broken).build().apply(ReconcileScope.all()));
        }
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            AtomicBoolean armed = new AtomicBoolean();
            ReconcileStore broken = new DelegatingReconcileStore(f.store) {
                @Override
                public void saveReport(ReconcileReport report) {
                    super.saveReport(report);
                    armed.set(report.status() == RunStatus.COMPLETED);
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    if (armed.compareAndSet(true, false)) {
                        throw new OutOfMemoryError("injected");
                    }
                    return super.report(entityType, runId);
                }
            };
            assertThrows(OutOfMemoryError.class, () -> f.reconciler().store(broken).build().apply(ReconcileScope.all()));
        }
    }

    /**
     * A store whose checkpoint write throws a (non-fatal) Error, a driver class that fails to load: the run fails as
     * on any failure, and its last error names the reconcile store, not the sink.
     */
    @Test
    void anErrorFromTheCheckpointWriteNamesTheStore() {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileStore broken = StoreStep.throwing(f.store, new NoClassDefFoundError("org/bson/codecs/Missing (injected)"), StoreStep.SAVE_CHECKPOINT);
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(broken).build().apply(ReconcileScope.all()));
            String last = e.report().errors().get(e.report().errors().size() - 1);
            assertTrue(last.contains("(the reconcile store)"), "blamed on: " + last);
        }
    }

    /**
     * The store cannot be read when a run starts (it looks for an unfinished run's checkpoint): the run stops before it
     * compares anything, with a ReconcileException whose FAILED report names the store, not a raw driver exception.
     * Once the store answers again the next apply runs normally.
     */
    @Test
    void aStoreThatCannotBeReadAtTheStartFailsTheRunNamingTheStore() {
        try (ReconcileFixture f = new ReconcileFixture().seed(10)) {
            f.injectCommon();
            AtomicBoolean down = new AtomicBoolean(true);
            ReconcileStore unreadable = new DelegatingReconcileStore(f.store) {
                @Override
                public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                    if (down.get()) {
                        throw new IllegalStateException("the store is unreachable (injected)");
                    }
                    return super.checkpoint(runKey);
                }
            };
            Reconciler reconciler = f.reconciler().store(unreadable).build();
            ReconcileException e = assertThrows(ReconcileException.class, () -> reconciler.apply(ReconcileScope.all()));
            String last = e.report().errors().get(e.report().errors().size() - 1);
            assertEquals("could not read or claim the checkpoint of an unfinished run (the reconcile store):"
                    + " java.lang.IllegalStateException: the store is unreachable (injected)", last);
            assertEquals(0, e.report().idsCompared(), "nothing compared");
            down.set(false);
            assertEquals(RunStatus.COMPLETED, reconciler.apply(ReconcileScope.all()).status());
        }
    }

    /** Applies with {@code store}: the run must fail with a ReconcileException, nothing else escaping it. */
    private static void failsWithoutEscaping(ReconcileFixture f, ReconcileStore store) {
        Throwable t = assertThrows(Throwable.class, () -> f.reconciler().store(store).build().apply(ReconcileScope.all()));
        assertTrue(t instanceof ReconcileException, "escaped the run as " + t);
    }
}
