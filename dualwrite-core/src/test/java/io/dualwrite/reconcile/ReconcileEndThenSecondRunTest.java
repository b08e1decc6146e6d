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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run's checkpoint end lands but its reply is lost, and meanwhile a second run of the same scope
 * starts and leaves its own checkpoint under the same key (it fails before it completes). The first run's checkpoint
 * read sees the second run's checkpoint. The first must say COMPLETED with its own report, and the second's checkpoint
 * must stay resumable. With {@code defaultSpi} the stores use the SPI's defaults (an end without a marker).
 */
class ReconcileEndThenSecondRunTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void endLandsReplyLostWhileASecondRunTakesTheKey(boolean defaultSpi) throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            AtomicBoolean failOnce = new AtomicBoolean(true);
            ReconcileStore secondStore = new DelegatingReconcileStore(f.store, defaultSpi) {
                @Override
                public void saveReport(ReconcileReport report) {
                    if (report.status() == RunStatus.COMPLETED && failOnce.compareAndSet(true, false)) {
                        throw new IllegalStateException("store down (injected)");
                    }
                    super.saveReport(report);
                }
            };
            Reconciler second = f.reconciler().store(secondStore).build();
            AtomicBoolean once = new AtomicBoolean(true);
            Throwable[] secondThrown = new Throwable[1];
            ReconcileStore firstStore = new DelegatingReconcileStore(f.store, defaultSpi) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    super.endCheckpoint(runKey, runId, resumes);
                    if (once.compareAndSet(true, false)) {
                        try {
                            second.apply(scope);
                        } catch (RuntimeException e) {
                            secondThrown[0] = e;
                        }
                        throw new IllegalStateException("reply lost (injected)");
                    }
                }
            };
            ReconcileReport first = f.reconciler().store(firstStore).build().apply(scope);
            assertEquals(RunStatus.COMPLETED, first.status());
            ReconcileReport stored = f.store.report("item", first.runId()).orElseThrow();
            assertEquals(RunStatus.COMPLETED, stored.status());
            assertEquals(first.resumes(), stored.resumes());
            assertTrue(secondThrown[0] instanceof ReconcileException, "second: " + secondThrown[0]);
            Optional<ReconcileReport> unfinished = f.reconciler().build().unfinished(scope);
            assertTrue(unfinished.isPresent() && !unfinished.get().runId().equals(first.runId()),
                    "the second run's checkpoint is left: " + unfinished);
            // a later apply resumes the second run and completes; the first run's report stays
            ReconcileReport third = f.reconciler().build().apply(scope);
            assertEquals(RunStatus.COMPLETED, third.status());
            assertEquals(RunStatus.COMPLETED, f.store.report("item", first.runId()).orElseThrow().status());
        }
    }
}
