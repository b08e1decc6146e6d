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
 * How one id of one sink compares with the primary. Thread-safe (an enum).
 */
public enum DriftClass {
    /** The sink holds the primary's version (or neither holds a live entity). */
    IN_SYNC,
    /** The primary holds a live entity the sink does not hold. */
    MISSING,
    /** The sink holds an older version than the primary. */
    STALE,
    /**
     * The sink holds a newer version than the primary (or a live entity at the version of the
     * primary's tombstone): a phantom write, which the library promises never happens. Reported
     * loudly and never repaired automatically: the primary cannot say what the right state is.
     */
    AHEAD,
    /** The sink holds a live entity that the primary does not hold, or holds only as a tombstone. */
    ORPHAN,
    /**
     * The sink holds the primary's version with other content than the primary's current state
     * maps to: a codec round trip that changed the state, a write to the destination by hand, a
     * mapping bug fixed since. Found only with
     * {@link ReconcilerBuilder#compareContent(boolean) content comparison} on, for sinks that are
     * {@link io.dualwrite.spi.ContentDigestingSink}s. A version-guarded sink refuses the same
     * version again, so the repair ({@link RepairAction#REWRITE}) commits the primary's state as a
     * new version; where the coordinator cannot commit writes of its own (a write-ahead primary
     * store) it is only reported ({@link RepairAction#NOTHING}).
     */
    CONTENT_MISMATCH
}
