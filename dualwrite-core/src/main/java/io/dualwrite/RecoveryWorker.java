package io.dualwrite;

import io.dualwrite.internal.Args;
import io.dualwrite.internal.DefaultRecoveryWorker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs {@link WriterOperations#recoverDue()} in the background: a pass every {@link Builder#interval},
 * and passes back to back while each one finds a full batch. Several application instances
 * may each run one on the same collection: leases keep them from delivering the same intent at
 * the same time. Registers the gauges {@value DualWriteMetrics#RECOVERY_BACKLOG} and
 * {@value DualWriteMetrics#RECOVERY_OLDEST_AGE}. Thread-safe.
 */
public interface RecoveryWorker extends AutoCloseable {
    /** Default pause between passes that found less than a full batch. */
    Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    /** Default longest wait for a running pass on {@link #close()}. */
    Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param writer the coordinator whose intents to recover
     * @return a new builder
     */
    static Builder builder(DualWriter<?> writer) {
        return new Builder(writer);
    }

    /**
     * Starts the passes. Idempotent.
     *
     * @throws IllegalStateException if the worker was closed
     */
    void start();

    /** @return the figures of every pass since start */
    RecoveryReport totals();

    /** @return the backlog seen by the last pass: entities with pending intents */
    long backlog();

    /**
     * Stops scheduling passes, lets a running pass finish (up to the shutdown timeout) and
     * releases owned threads. Idempotent.
     */
    @Override
    void close();

    /** Builds a {@link RecoveryWorker}. Not thread-safe. */
    final class Builder {
        private final DualWriter<?> writer;
        private Duration interval = DEFAULT_INTERVAL;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private ScheduledExecutorService scheduler;

        private Builder(DualWriter<?> writer) {
            this.writer = Objects.requireNonNull(writer, "writer");
        }

        /**
         * @param interval pause between passes, positive; default 1 s
         * @return this
         */
        public Builder interval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            Args.positive(interval, "interval");
            this.interval = interval;
            return this;
        }

        /**
         * @param timeout longest wait for a running pass on close, not negative; default 30 s
         * @return this
         */
        public Builder shutdownTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            Args.notNegative(timeout, "shutdownTimeout");
            this.shutdownTimeout = timeout;
            return this;
        }

        /**
         * @param scheduler runs the passes; default an owned single daemon thread. A given scheduler
         *                  is not shut down on close.
         * @return this
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** @return the worker, not yet started */
        public RecoveryWorker build() {
            return new DefaultRecoveryWorker(writer, interval, shutdownTimeout, scheduler);
        }
    }
}
