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

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a run stands after a chunk, for a progress bar. Immutable.
 *
 * @param runId          the run
 * @param sink           the sink being reconciled
 * @param chunksDone     chunks finished by the run, all sinks together (resumed runs included)
 * @param idsDone        ids covered so far, all sinks together
 * @param elapsed        time since this process started (or resumed) the run
 * @param idsPerSecond   ids covered per second since this process started (or resumed) the run
 * @param estimatedTotal ids the run is expected to cover (the exact count for a list of ids, the
 *                       count of the last completed run of the same scope otherwise); -1 when unknown
 */
public record ReconcileProgress(String runId, String sink, long chunksDone, long idsDone, Duration elapsed,
                                double idsPerSecond, long estimatedTotal) {
    /**
     * Checks and copies the components.
     *
     * @param runId the run
     * @param sink the sink being reconciled
     * @param chunksDone chunks finished by the run, all sinks together (resumed runs included)
     * @param idsDone ids covered so far, all sinks together
     * @param elapsed time since this process started (or resumed) the run
     * @param idsPerSecond ids covered per second since this process started (or resumed) the run
     * @param estimatedTotal ids the run is expected to cover (the exact count for a list of ids, the count of the last completed run of the same scope otherwise); -1 when unknown
     * @throws NullPointerException if runId, sink or elapsed is null
     */
    public ReconcileProgress {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /** @return the estimated time left, empty when the total or the rate is unknown */
    public Optional<Duration> estimatedTimeLeft() {
        if (estimatedTotal < 0 || idsPerSecond <= 0) {
            return Optional.empty();
        }
        long left = Math.max(0, estimatedTotal - idsDone);
        return Optional.of(Duration.ofMillis((long) (left * 1000.0 / idsPerSecond)));
    }

    /** @return the share done in [0, 1], empty when the total is unknown */
    public Optional<Double> fractionDone() {
        if (estimatedTotal <= 0) {
            return estimatedTotal == 0 ? Optional.of(1.0) : Optional.empty();
        }
        return Optional.of(Math.min(1.0, (double) idsDone / estimatedTotal));
    }
}
