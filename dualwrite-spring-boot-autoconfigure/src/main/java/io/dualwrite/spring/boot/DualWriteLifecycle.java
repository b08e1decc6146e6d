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
package io.dualwrite.spring.boot;

import io.dualwrite.RecoveryWorker;
import org.springframework.context.SmartLifecycle;

import java.util.List;
import java.util.Objects;

/**
 * Starts the recovery workers with the application and, on shutdown, closes them (a running pass finishes, leases
 * are released) and then the writers (queued acknowledgements are flushed). Runs in a phase below the web server's
 * graceful shutdown, so requests in flight finish their writes first. Thread-safe.
 */
public final class DualWriteLifecycle implements SmartLifecycle {
    /** The phase: stops after the web server ({@code SmartLifecycle.DEFAULT_PHASE - 2048}), before the client closes. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final DualWriters writers;
    private final List<RecoveryWorker> workers;
    private volatile boolean running;

    /**
     * @param writers the application's writers
     * @param workers their recovery workers, not started
     */
    public DualWriteLifecycle(DualWriters writers, List<RecoveryWorker> workers) {
        this.writers = Objects.requireNonNull(writers, "writers");
        this.workers = List.copyOf(workers);
    }

    @Override
    public synchronized void start() {
        for (RecoveryWorker w : workers) {
            w.start();
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        for (RecoveryWorker w : workers) {
            w.close();
        }
        writers.closeAll();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** @return the recovery workers, one per entity type whose recovery is enabled */
    public List<RecoveryWorker> workers() {
        return workers;
    }
}
