package io.dualwrite.reconcile;

/**
 * Observes runs, for progress bars and command-line tools. Called on the run's thread; keep it
 * quick. A listener that throws is logged and ignored: a run never fails because an observer did.
 * Implementations must be thread-safe if one listener serves several reconcilers.
 */
public interface ReconcileListener {
    /** A listener that does nothing. */
    ReconcileListener NONE = new ReconcileListener() {
    };

    /**
     * Called after each finished (and, for an applied run, checkpointed) chunk.
     *
     * @param progress where the run stands
     */
    default void onProgress(ReconcileProgress progress) {
    }

    /**
     * Called once a run ended, completed or failed, after its report was stored.
     *
     * @param report the run's report
     */
    default void onFinished(ReconcileReport report) {
    }
}
