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
 * What happened to one sink during one write. Thread-safe (an enum).
 */
public enum SinkOutcome {
    /** The sink holds the written version (or a newer one). */
    APPLIED,
    /** Not applied yet; the intent is durable and recovery will deliver it. */
    DEFERRED,
    /** Failed permanently (or ran out of attempts); recorded in the dead-letter store with its reason. */
    DEAD_LETTERED,
    /** The write was undone because a REQUIRED sink failed; this sink was sent (or will be sent) the compensating version. */
    COMPENSATED,
    /** Not sent: a SHADOW sink (dry run) or an entity outside the sink's ramp. */
    SKIPPED
}
