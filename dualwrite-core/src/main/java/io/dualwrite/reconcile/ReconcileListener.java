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

/**
 * Observes runs, for progress bars and command-line tools. Called on the run's thread; keep it
 * quick. A listener that throws is logged and ignored: a run never fails because an observer did. The one
 * exception is {@link ReconcileCancelledException} from {@link #onProgress}, which stops the run.
 * Implementations must be thread-safe if one listener serves several reconcilers.
 */
public interface ReconcileListener {
    /** A listener that does nothing. */
    ReconcileListener NONE = new ReconcileListener() {
    };

    /**
     * Called after each finished (and, for an applied run, checkpointed) chunk.
     *
     * @param progress where the run stands
     */
    default void onProgress(ReconcileProgress progress) {
    }

    /**
     * Called once a run ended, completed or failed, after its report was stored.
     *
     * @param report the run's report
     */
    default void onFinished(ReconcileReport report) {
    }
}
