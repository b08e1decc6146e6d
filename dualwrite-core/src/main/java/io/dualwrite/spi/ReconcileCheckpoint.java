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
package io.dualwrite.spi;

import io.dualwrite.reconcile.ReconcileReport;

import java.time.Instant;
import java.util.Objects;

/**
 * Where an unfinished reconciliation run stands: the sink it was working on, the last id of the
 * last finished chunk, and the report so far (its counts are carried into the resumed run, so a
 * resumed run ends with the same report counts as an uninterrupted one). Immutable.
 *
 * @param runKey    the key of the run's scope
 * @param sink      the sink being reconciled
 * @param lastId    the last id of the last finished chunk of that sink; null when none finished yet
 * @param report    the run's report so far
 * @param updatedAt when the checkpoint was written
 */
public record ReconcileCheckpoint(String runKey, String sink, String lastId, ReconcileReport report,
                                  Instant updatedAt) {
    /**
     * Checks and copies the components.
     *
     * @param runKey the key of the run's scope
     * @param sink the sink being reconciled
     * @param lastId the last id of the last finished chunk of that sink; null when none finished yet
     * @param report the run's report so far
     * @param updatedAt when the checkpoint was written
     * @throws NullPointerException if runKey, sink, report or updatedAt is null
     */
    public ReconcileCheckpoint {
        Objects.requireNonNull(runKey, "runKey");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
