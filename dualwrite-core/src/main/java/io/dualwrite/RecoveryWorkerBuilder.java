/*
 * Copyright The dualwrite authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.dualwrite;

import io.dualwrite.internal.Args;
import io.dualwrite.internal.DefaultRecoveryWorker;
import io.dualwrite.internal.RecoveryWorkerSettings;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Builds a {@link RecoveryWorker}; made by {@link RecoveryWorker#builder(DualWriter)}. Not thread-safe; the
 * worker it builds is.
 */
public final class RecoveryWorkerBuilder {
    private final DualWriter<?> writer;
    private Duration interval = RecoveryWorker.DEFAULT_INTERVAL;
    private Duration shutdownTimeout = RecoveryWorker.DEFAULT_SHUTDOWN_TIMEOUT;
    private ScheduledExecutorService scheduler;

    RecoveryWorkerBuilder(DualWriter<?> writer) {
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    /**
     * Sets the pause between passes that found less than a full batch.
     *
     * @param interval pause between passes, positive; default 1 s
     * @return this builder
     */
    public RecoveryWorkerBuilder interval(Duration interval) {
        this.interval = Args.positive(interval, "interval");
        return this;
    }

    /**
     * Sets how long {@link RecoveryWorker#close()} waits for a running pass.
     *
     * @param timeout longest wait for a running pass on close, not negative; default 30 s
     * @return this builder
     */
    public RecoveryWorkerBuilder shutdownTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        this.shutdownTimeout = Args.notNegative(timeout, "shutdownTimeout");
        return this;
    }

    /**
     * Sets the scheduler that runs the passes.
     *
     * @param scheduler runs the passes; default an owned single daemon thread. A given scheduler
     *                  is not shut down on close.
     * @return this builder
     */
    public RecoveryWorkerBuilder scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /**
     * Builds the worker from the settings given so far.
     *
     * @return the worker, not yet started
     */
    public RecoveryWorker build() {
        return new DefaultRecoveryWorker(new RecoveryWorkerSettings(writer, interval, shutdownTimeout, scheduler));
    }
}
