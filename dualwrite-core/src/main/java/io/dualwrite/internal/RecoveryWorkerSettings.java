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
