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
 * Names and tag keys of the Micrometer meters reconciliation registers. Tags are
 * low-cardinality; ids never appear in tags. The type and sink tag keys are those of
 * {@link io.dualwrite.DualWriteMetrics}.
 */
public final class ReconcileMetrics {
    /** Counter: ids found out of sync (tags: type, sink, class: MISSING, STALE, AHEAD, ORPHAN, CONTENT_MISMATCH; mode). */
    public static final String DRIFT = "dualwrite.reconcile.drift";
    /** Counter: repairs delivered (tags: type, sink, outcome: REPUBLISHED, ORPHAN_DELETED, REWRITTEN). */
    public static final String REPAIRED = "dualwrite.reconcile.repaired";
    /** Counter: planned repairs not delivered (tags: type, sink, outcome: SUPERSEDED, DEAD_LETTERED, DEFERRED, SKIPPED). */
    public static final String NOT_REPAIRED = "dualwrite.reconcile.not_repaired";
    /** Counter: phantom writes found, sinks ahead of the primary; should stay 0 (tags: type, sink). */
    public static final String PHANTOMS = "dualwrite.reconcile.phantoms";
    /** Timer: one run (tags: type, mode, status). */
    public static final String RUN = "dualwrite.reconcile.run";
    /** Counter: ids covered by runs, compared one by one or through equal digests (tags: type, sink). */
    public static final String IDS_COVERED = "dualwrite.reconcile.ids";
    /** Counter: ids at equal versions whose content digests were compared (tags: type, sink). */
    public static final String CONTENT_COMPARED = "dualwrite.reconcile.content_compared";

    /** Tag key: drift class. */
    public static final String TAG_CLASS = "class";
    /** Tag key: DRY_RUN or APPLY. */
    public static final String TAG_MODE = "mode";
    /** Tag key: run status. */
    public static final String TAG_STATUS = "status";
    /** Tag key: repair outcome. */
    public static final String TAG_OUTCOME = "outcome";

    private ReconcileMetrics() {
    }
}
