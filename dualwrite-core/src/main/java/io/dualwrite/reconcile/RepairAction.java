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
 * What a plan does about one id of one sink. Thread-safe (an enum).
 */
public enum RepairAction {
    /** Deliver the primary's current state (for {@link DriftClass#MISSING} and {@link DriftClass#STALE}). */
    REPUBLISH,
    /** Delete the entity from the sink, at a version that beats what it holds ({@link DriftClass#ORPHAN}). */
    DELETE_ORPHAN,
    /**
     * Commit the primary's current state again as a new version through the coordinator, which
     * delivers it to every sink ({@link DriftClass#CONTENT_MISMATCH}: the sink's guard refuses the
     * version it already holds).
     */
    REWRITE,
    /**
     * Leave it, reported for an operator: {@link DriftClass#AHEAD}, and
     * {@link DriftClass#CONTENT_MISMATCH} when the primary store's writes are the application's own
     * (write-ahead mode).
     */
    NOTHING
}
