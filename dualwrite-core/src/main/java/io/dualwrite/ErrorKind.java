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
package io.dualwrite;

/**
 * How a failure is treated, decided by an {@link ErrorClassifier} rather than by the
 * exception's class hierarchy. Thread-safe (an enum).
 */
public enum ErrorKind {
    /** Worth retrying: a network blip, a timeout before sending, an overloaded server. */
    TRANSIENT,
    /** Will fail the same way every time (bad request, mapping failure); dead-lettered at once, never looped. */
    PERMANENT,
    /**
     * The call may or may not have taken effect (for example a timeout after the request left).
     * Resolved by redelivering the current state under the same idempotency key, which the
     * version guard of every sink makes harmless; retried like {@link #TRANSIENT}.
     */
    UNKNOWN_OUTCOME;

    /** @return true when a redelivery may succeed ({@link #TRANSIENT} or {@link #UNKNOWN_OUTCOME}) */
    public boolean isRetryable() {
        return this != PERMANENT;
    }
}
