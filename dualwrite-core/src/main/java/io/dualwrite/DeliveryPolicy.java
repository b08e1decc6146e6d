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
 * How a sink takes part in a write (see docs/guarantees.md). Thread-safe (an enum).
 */
public enum DeliveryPolicy {
    /**
     * Delivered on the caller's path; if it cannot be applied, the write is compensated (the
     * before-image is committed as a new version and delivered to every sink) and
     * {@link RequiredSinkFailedException} is thrown.
     */
    REQUIRED,
    /** Delivered on the caller's path; on failure the result says DEFERRED and recovery finishes it. The default. */
    SYNC,
    /** Never called on the caller's path; the recovery worker (or a relay) delivers it. */
    ASYNC,
    /** Mapped and validated on the caller's path, measured and logged, never sent and never recorded as an intent. */
    SHADOW
}
