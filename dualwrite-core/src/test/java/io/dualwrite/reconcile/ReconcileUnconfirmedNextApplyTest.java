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
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A run that compared every id, whose checkpoint's end does not land (it fails before it lands) and whose checkpoint
 * read after it fails too: the run fails as "could not read back", and, its checkpoint not ended, the next apply
 * resumes it (docs/reconciliation.md).
 */
class ReconcileUnconfirmedNextApplyTest {

    @Test
    void endNotLandedAndCheckpointReadFailedTheNextApplyResumes() throws Exception {
        try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
            f.injectCommon();
            ReconcileScope scope = ReconcileScope.all();
            AtomicBoolean endFailed = new AtomicBoolean();
            AtomicBoolean readFailed = new AtomicBoolean();
            DelegatingReconcileStore store = new DelegatingReconcileStore(f.store) {
                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    if (endFailed.compareAndSet(false, true)) {
                        throw new IllegalStateException("end lost before it landed (injected)");
                    }
                    super.endCheckpoint(runKey, runId, resumes);
                }

                @Override
                public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                    if (endFailed.get() && readFailed.compareAndSet(false, true)) {
                        throw new IllegalStateException("read failed (injected)");
                    }
                    return super.checkpoint(runKey);
                }
            };
            ReconcileException e = assertThrows(ReconcileException.class,
                    () -> f.reconciler().store(store).build().apply(scope));
            String failedRun = e.report().runId();
            ReconcileReport next = f.reconciler().build().apply(scope);
            assertEquals(RunStatus.COMPLETED, next.status());
            assertEquals(failedRun, next.runId(), "the end did not land: the next apply resumes the run");
            assertEquals(RunStatus.COMPLETED, f.store.report("item", failedRun).orElseThrow().status());
        }
    }
}
