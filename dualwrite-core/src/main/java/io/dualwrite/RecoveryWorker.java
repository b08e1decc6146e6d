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

import java.time.Duration;

/**
 * Runs {@link WriterOperations#recoverDue()} in the background: a pass every
 * {@linkplain RecoveryWorkerBuilder#interval interval}, and passes back to back while each one
 * finds a full batch. Several application instances may each run one on the same collection:
 * leases keep them from delivering the same intent at the same time. Registers the gauges
 * {@value DualWriteMetrics#RECOVERY_BACKLOG} and {@value DualWriteMetrics#RECOVERY_OLDEST_AGE}. Thread-safe.
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
    static RecoveryWorkerBuilder builder(DualWriter<?> writer) {
        return new RecoveryWorkerBuilder(writer);
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
}
