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
package io.dualwrite.mongo.reconcile;

/**
 * Where a {@linkplain ReconcileRequest reconciliation request} stands. Thread-safe (an enum).
 */
public enum RequestStatus {
    /** Recorded, and no instance has taken it yet. */
    PENDING,
    /** An instance holds it under a lease and runs it; another takes it over when the lease runs out. */
    RUNNING,
    /** The run went over its whole scope; its report is stored with the request. */
    COMPLETED,
    /** The request could not be run (an unknown entity type or sink), or its run stopped on an error. */
    FAILED;

    /** @return whether the request is over: it is never run again */
    public boolean finished() {
        return this == COMPLETED || this == FAILED;
    }
}
