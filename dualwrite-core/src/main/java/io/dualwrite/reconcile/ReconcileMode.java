package io.dualwrite.reconcile;

/**
 * Whether a run only plans or also repairs. Thread-safe (an enum).
 */
public enum ReconcileMode {
    /** Compare and plan; touch no sink. */
    DRY_RUN,
    /** Compare, plan and repair through the coordinator. */
    APPLY
}
