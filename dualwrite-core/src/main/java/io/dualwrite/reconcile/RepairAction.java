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
