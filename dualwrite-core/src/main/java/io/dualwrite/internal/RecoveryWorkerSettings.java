package io.dualwrite.internal;

import io.dualwrite.DualWriter;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a recovery worker is built from, checked by its builder. Immutable.
 *
 * @param writer          the coordinator whose intents to recover
 * @param interval        pause between passes that found less than a full batch
 * @param shutdownTimeout longest wait for a running pass on close
 * @param scheduler       the application's scheduler, or null for one the worker owns
 */
public record RecoveryWorkerSettings(DualWriter<?> writer, Duration interval, Duration shutdownTimeout,
                                     ScheduledExecutorService scheduler) {
    /**
     * @throws NullPointerException if the writer, the interval or the shutdown timeout is null
     */
    public RecoveryWorkerSettings {
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    }
}
