package io.dualwrite.reconcile;

import io.dualwrite.DualWriteException;

import java.util.Objects;

/**
 * A reconciliation run stopped on an error (a sink or the primary could not be read, a store
 * could not be written). An applied run keeps its checkpoint: starting the same scope again
 * resumes after the last finished chunk. The failed run's report is in {@link #report()}.
 */
public class ReconcileException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code report}. */
    private final transient ReconcileReport report;

    /**
     * @param message what went wrong
     * @param report  the report of the failed run, not null
     * @param cause   the underlying failure, may be null
     */
    public ReconcileException(String message, ReconcileReport report, Throwable cause) {
        super(message, Objects.requireNonNull(report, "report").entityType(), null, cause);
        this.report = report;
    }

    /** @return the failed run's report (status {@link RunStatus#FAILED}) */
    public ReconcileReport report() {
        return report;
    }
}
