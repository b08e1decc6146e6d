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
 * Thrown by a {@link ReconcileListener#onProgress} that wants the run to stop at once, for example because the
 * instance running it no longer holds the request it serves. The run stops after the chunk it just checkpointed,
 * stores no report (an applied run keeps its checkpoint, from which the next apply of the same scope resumes), calls
 * no {@link ReconcileListener#onFinished}, and the exception reaches the caller of {@code dryRun}/{@code apply}.
 */
public class ReconcileCancelledException extends RuntimeException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param message why the run stops
     */
    public ReconcileCancelledException(String message) {
        super(message);
    }
}
