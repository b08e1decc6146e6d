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
import io.dualwrite.RecoveryReport;
import io.dualwrite.RecoveryWorker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The scheduled recovery loop behind {@link RecoveryWorker}. Thread-safe.
 */
public final class DefaultRecoveryWorker implements RecoveryWorker {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultRecoveryWorker.class);

    private final DualWriter<?> writer;
    private final Duration interval;
    private final Duration shutdownTimeout;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final ReentrantLock passLock = new ReentrantLock();
    private final AtomicReference<RecoveryReport> totals = new AtomicReference<>(new RecoveryReport(0, 0, 0, 0));
    private final AtomicLong backlog = new AtomicLong();
    private volatile ScheduledFuture<?> task;
    private volatile boolean closed;

    /**
     * @param settings the writer, the interval, the shutdown timeout and the scheduler, if given
     */
    public DefaultRecoveryWorker(RecoveryWorkerSettings settings) {
        this.writer = settings.writer();
        this.interval = settings.interval();
        this.shutdownTimeout = settings.shutdownTimeout();
        this.ownsScheduler = settings.scheduler() == null;
        this.scheduler = !ownsScheduler ? settings.scheduler() : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dualwrite-" + writer.entityType() + "-recovery");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the recovery worker is closed");
        }
        if (task == null) {
            task = scheduler.scheduleWithFixedDelay(this::runPasses, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("recovery worker for '{}' started (every {} ms)", writer.entityType(), interval.toMillis());
        }
    }

    private void runPasses() {
        if (closed || !passLock.tryLock()) {
            return;
        }
        try {
            // keep going while passes find work, so a backlog drains without waiting for the interval
            while (!closed && !Thread.currentThread().isInterrupted()) {
                RecoveryReport r = writer.operations().recoverDue();
                totals.accumulateAndGet(r, RecoveryReport::plus);
                if (r.claimed() == 0 || r.delivered() + r.deadLettered() == 0) {
                    break;
                }
            }
            backlog.set(writer.operations().backlog());
        } catch (IllegalStateException closedWriter) {
            LOG.debug("recovery pass skipped: {}", closedWriter.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.warn("recovery pass for '{}' failed; the next pass retries: {}", writer.entityType(), e.toString());
        } finally {
            passLock.unlock();
        }
    }

    @Override
    public RecoveryReport totals() {
        return totals.get();
    }

    @Override
    public long backlog() {
        return backlog.get();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (task != null) {
                task.cancel(false);
            }
        }
        try {
            // graceful drain: wait for a running pass to finish its batch
            if (passLock.tryLock(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                passLock.unlock();
            } else {
                LOG.warn("recovery pass for '{}' still running after {}; leases it holds expire by themselves",
                        writer.entityType(), shutdownTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (ownsScheduler) {
                scheduler.shutdownNow();
            }
        }
        LOG.info("recovery worker for '{}' stopped: {}", writer.entityType(), totals.get());
    }
}
