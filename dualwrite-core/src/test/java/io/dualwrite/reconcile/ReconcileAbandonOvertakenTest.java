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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An abandon() claims an unfinished run, then (before it stores its FAILED report) another instance's apply claims the
 * same checkpoint (a later execution) and resumes the run to its end. The abandon does not say it took effect: it
 * throws ReconcileTakenOverException, and the run's report is the apply's.
 */
class ReconcileAbandonOvertakenTest {

    @Test
    void anApplyClaimingAfterTheAbandonsClaimOvertakesItAndTheAbandonSaysSo() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            // 1. an applied run stops with its checkpoint left: its COMPLETED report cannot be stored
            String runId = f.leaveUnfinished(scope);

            // 2. abandon() claims it; right after its claim another instance's apply claims and finishes the run
            Reconciler other = f.reconciler().build();
            AtomicReference<ReconcileReport> otherResult = new AtomicReference<>();
            AtomicReference<Throwable> otherThrown = new AtomicReference<>();
            ReconcileStore operatorStore = new DelegatingReconcileStore(f.store) {
                final AtomicBoolean once = new AtomicBoolean(true);

                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    OptionalInt n = super.claimResume(checkpoint);
                    if (once.compareAndSet(true, false)) {
                        try {
                            otherResult.set(other.apply(scope));
                        } catch (RuntimeException e) {
                            otherThrown.set(e);
                        }
                    }
                    return n;
                }
            };
            Reconciler operator = f.reconciler().store(operatorStore).build();
            assertThrows(ReconcileTakenOverException.class, () -> operator.abandon(scope),
                    "the other apply resumed the run after the abandon's claim: the run was not abandoned");
            ReconcileReport stored = f.store.report("item", runId).orElseThrow();
            assertEquals(RunStatus.COMPLETED, stored.status(), "the run the other apply completed: " + stored.summary()
                    + "; the other apply threw " + otherThrown.get());
            assertEquals(otherResult.get().resumes(), stored.resumes());
        }
    }
}
