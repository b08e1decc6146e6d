package io.dualwrite.mongo.reconcile;

/**
 * Where a {@linkplain ReconcileRequest reconciliation request} stands. Thread-safe (an enum).
 */
public enum RequestStatus {
    /** Recorded, and no instance has taken it yet. */
    PENDING,
    /** An instance holds it under a lease and runs it; another takes it over when the lease runs out. */
    RUNNING,
    /** The run went over its whole scope; its report is stored with the request. */
    COMPLETED,
    /** The request could not be run (an unknown entity type or sink), or its run stopped on an error. */
    FAILED;

    /** @return whether the request is over: it is never run again */
    public boolean finished() {
        return this == COMPLETED || this == FAILED;
    }
}
