package io.dualwrite.reconcile;

/**
 * Where a run stands. Thread-safe (an enum).
 */
public enum RunStatus {
    /** Started and not finished (the report of a checkpoint, or of a run that crashed). */
    RUNNING,
    /** Went over its whole scope. */
    COMPLETED,
    /** Stopped on an error; an applied run resumes from its checkpoint when started again. */
    FAILED
}
