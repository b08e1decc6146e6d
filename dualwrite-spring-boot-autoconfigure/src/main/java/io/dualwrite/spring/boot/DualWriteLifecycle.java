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
import io.dualwrite.mongo.events.EmbeddedEventRelay;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.relay.ChangeStreamRelay;
import org.springframework.context.SmartLifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Starts the recovery workers, the reconciliation request worker and the application's event relays with the
 * application and, on shutdown, closes them gracefully: first the request worker (a run it is in stops, and another
 * instance takes the request over once its lease runs out), then the relays (each finishes its current pass, so what
 * it claimed is published or recorded and its leases are released), then the recovery workers (a running pass
 * finishes, leases are released), then the writers (queued acknowledgements are flushed). Runs in a phase below the web server's graceful shutdown, so
 * requests in flight finish their writes first. Thread-safe.
 */
public final class DualWriteLifecycle implements SmartLifecycle {
    /** The phase: stops after the web server ({@code SmartLifecycle.DEFAULT_PHASE - 2048}), before the client closes. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final DualWriters writers;
    private final List<RecoveryWorker> workers;
    private final List<ChangeStreamRelay> changeStreamRelays;
    private final List<EmbeddedEventRelay> eventRelays;
    private final List<ReconcileRequestWorker> requestWorkers;
    private volatile boolean running;

    /**
     * @param writers the application's writers
     * @param workers their recovery workers, not started
     */
    public DualWriteLifecycle(DualWriters writers, List<RecoveryWorker> workers) {
        this(writers, workers, List.of(), List.of());
    }

    /**
     * @param writers            the application's writers
     * @param workers            their recovery workers, not started
     * @param changeStreamRelays the application's change-stream relays, not started
     * @param eventRelays        the application's embedded-event relays, not started
     */
    public DualWriteLifecycle(DualWriters writers, List<RecoveryWorker> workers,
                              List<ChangeStreamRelay> changeStreamRelays, List<EmbeddedEventRelay> eventRelays) {
        this(writers, workers, changeStreamRelays, eventRelays, List.of());
    }

    /**
     * @param writers            the application's writers
     * @param workers            their recovery workers, not started
     * @param changeStreamRelays the application's change-stream relays, not started
     * @param eventRelays        the application's embedded-event relays, not started
     * @param requestWorkers     the workers that run reconciliation requests, not started (one, or none)
     */
    public DualWriteLifecycle(DualWriters writers, List<RecoveryWorker> workers,
                              List<ChangeStreamRelay> changeStreamRelays, List<EmbeddedEventRelay> eventRelays,
                              List<ReconcileRequestWorker> requestWorkers) {
        this.writers = Objects.requireNonNull(writers, "writers");
        this.workers = List.copyOf(workers);
        this.changeStreamRelays = List.copyOf(changeStreamRelays);
        this.eventRelays = List.copyOf(eventRelays);
        this.requestWorkers = List.copyOf(requestWorkers);
    }

    /**
     * Starts the recovery workers, then the relays, then the reconciliation request workers. If one cannot start,
     * what started is stopped again (and the writers closed, as {@link #stop()} does) before the failure is thrown.
     */
    @Override
    public synchronized void start() {
        try {
            for (RecoveryWorker w : workers) {
                w.start();
            }
            for (ChangeStreamRelay r : changeStreamRelays) {
                r.start();
            }
            for (EmbeddedEventRelay r : eventRelays) {
                r.start();
            }
            for (ReconcileRequestWorker w : requestWorkers) {
                w.start();
            }
        } catch (RuntimeException | Error e) {
            try {
                closeAll();
            } catch (RuntimeException | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        running = true;
    }

    /**
     * Stops the request workers and relays, then the recovery workers, then closes the writers. Each is closed even
     * if one before it fails; the first failure is thrown afterwards, the others suppressed in it.
     */
    @Override
    public synchronized void stop() {
        try {
            closeAll();
        } finally {
            running = false;
        }
    }

    private void closeAll() {
        List<Step> steps = new ArrayList<>();
        // relays deliver through the writers, recovery and reconciliation's repairs too: stop them before the writers
        requestWorkers.forEach(w -> steps.add(w::close));
        changeStreamRelays.forEach(r -> steps.add(r::close));
        eventRelays.forEach(r -> steps.add(r::close));
        workers.forEach(w -> steps.add(w::close));
        steps.add(writers::closeAll);
        Throwable first = null;
        for (Step step : steps) {
            try {
                step.close();
            } catch (RuntimeException | Error e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error err) {
            throw err;
        }
    }

    /** One thing to close, unchecked. */
    @FunctionalInterface
    private interface Step {
        void close();
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

    /** @return the change-stream relays this lifecycle starts and stops */
    public List<ChangeStreamRelay> changeStreamRelays() {
        return changeStreamRelays;
    }

    /** @return the workers that run reconciliation requests, which this lifecycle starts and stops (one, or none) */
    public List<ReconcileRequestWorker> requestWorkers() {
        return requestWorkers;
    }

    /** @return the embedded-event relays this lifecycle starts and stops */
    public List<EmbeddedEventRelay> eventRelays() {
        return eventRelays;
    }
}
