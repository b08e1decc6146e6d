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

import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** A call a reconcile store serves to a run or an abandon, which a test makes throw. */
enum StoreStep {
    /** {@link ReconcileStore#claimResume}. */
    CLAIM,
    /** {@link ReconcileStore#saveCheckpoint}. */
    SAVE_CHECKPOINT,
    /** {@link ReconcileStore#saveReport}. */
    SAVE_REPORT,
    /** {@link ReconcileStore#endCheckpoint}. */
    END,
    /** {@link ReconcileStore#checkpoint}, once a checkpoint was ended through the store (the read-back). */
    CHECKPOINT_READ_BACK,
    /** {@link ReconcileStore#report}, once a checkpoint was ended through the store (the read-back). */
    REPORT_READ_BACK;

    /**
     * @param base  the store the other calls go to
     * @param failure what the steps throw, every time: a {@link RuntimeException} or an {@link Error}
     * @param steps   the steps that throw
     * @return a store over {@code base} whose given steps throw {@code failure} instead of reaching it
     */
    static ReconcileStore throwing(ReconcileStore base, Throwable failure, StoreStep... steps) {
        if (!(failure instanceof RuntimeException) && !(failure instanceof Error)) {
            throw new IllegalArgumentException("a store call can throw only unchecked failures: " + failure);
        }
        Set<StoreStep> failing = steps.length == 0 ? EnumSet.noneOf(StoreStep.class) : EnumSet.of(steps[0], steps);
        return new DelegatingReconcileStore(base) {
            private volatile boolean ended;

            private void maybeThrow(StoreStep step) {
                if (failing.contains(step)) {
                    if (failure instanceof RuntimeException e) {
                        throw e;
                    }
                    throw (Error) failure;
                }
            }

            @Override
            public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                maybeThrow(CLAIM);
                return super.claimResume(checkpoint);
            }

            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                maybeThrow(SAVE_CHECKPOINT);
                super.saveCheckpoint(checkpoint);
            }

            @Override
            public void saveReport(ReconcileReport report) {
                maybeThrow(SAVE_REPORT);
                super.saveReport(report);
            }

            @Override
            public void endCheckpoint(String runKey, String runId, int resumes) {
                maybeThrow(END);
                super.endCheckpoint(runKey, runId, resumes);
                ended = true;
            }

            @Override
            public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                if (ended) {
                    maybeThrow(CHECKPOINT_READ_BACK);
                }
                return super.checkpoint(runKey);
            }

            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                if (ended) {
                    maybeThrow(REPORT_READ_BACK);
                }
                return super.report(entityType, runId);
            }
        };
    }
}
