package io.dualwrite.reconcile;

/**
 * What a plan does about one id of one sink. Thread-safe (an enum).
 */
public enum RepairAction {
    /** Deliver the primary's current state (for {@link DriftClass#MISSING} and {@link DriftClass#STALE}). */
    REPUBLISH,
    /** Delete the entity from the sink, at a version that beats what it holds ({@link DriftClass#ORPHAN}). */
    DELETE_ORPHAN,
    /** Leave it ({@link DriftClass#AHEAD}: reported for an operator). */
    NOTHING
}
