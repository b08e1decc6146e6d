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
