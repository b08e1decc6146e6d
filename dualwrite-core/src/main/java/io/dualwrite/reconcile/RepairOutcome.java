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
 * What happened when an applied run acted on one planned entry. Thread-safe (an enum).
 */
public enum RepairOutcome {
    /** The primary's current state was delivered. */
    REPUBLISHED,
    /** The orphan was deleted from the sink. */
    ORPHAN_DELETED,
    /** The primary's state was committed again as a new version and the sink took it. */
    REWRITTEN,
    /**
     * The primary changed since the comparison (for a rewrite: also between its re-check and its
     * commit, which then met a version conflict); the newer write's own delivery takes care of it.
     */
    SUPERSEDED,
    /** The sink rejected the repair permanently; it is in the dead-letter store. */
    DEAD_LETTERED,
    /**
     * The sink failed transiently; the next run repairs it (or recovery, when an intent is pending,
     * as after a rewrite).
     */
    DEFERRED,
    /**
     * The coordinator did not send it (a SHADOW sink, an id outside the sink's ramp), or the writer
     * cannot rewrite an entity.
     */
    SKIPPED
}
