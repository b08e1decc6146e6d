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
package io.dualwrite.mongo.reconcile;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.internal.Args;
import io.dualwrite.reconcile.ReconcileCancelledException;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileListener;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileTakenOverException;
import io.dualwrite.reconcile.Reconciler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application's side of {@link ReconcileRequests}: takes each recorded request under a lease, runs it with the
 * application's {@link Reconciler} of its entity type, and writes its progress after every chunk (renewing the lease)
 * and its report at the end. Every instance of the application may run one on the same database: a request is run by
 * one instance at a time; when its holder stops (its process dies) the lease runs out and another instance takes it
 * over, and an applied run then resumes from the reconciler's checkpoint. A finished request is never run again.
 *
 * <p>A request this instance cannot run is marked {@link RequestStatus#FAILED} with the reason: an entity type it has
 * no reconciler of, a sink that reconciler does not have, a request whose holders stopped
 * {@linkplain Builder#maxAttempts more times than allowed}, or a run that a later execution of the same run took over
 * while this instance held the request (an operator {@linkplain Reconciler#abandon abandoned} it, or another request of
 * the same scope resumed it), so that its own report was refused. Every instance that runs a worker on one database should
 * therefore reconcile the same entity types.
 *
 * <pre>{@code
 * ReconcileRequestWorker worker = ReconcileRequestWorker.builder(ReconcileRequests.builder(database).build())
 *         .reconciler(productReconciler)
 *         .workerId("shop-1")
 *         .build();
 * worker.start();   // polls every second; close() stops it
 * }</pre>
 * Thread-safe.
 */
public final class ReconcileRequestWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileRequestWorker.class);
    /** How the reason of a request whose run a later execution took over begins. */
    private static final String TAKEN_OVER = "a later execution took its run over: ";
    /** Default lease: how long a holder may go without recording progress before another instance takes over. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(2);
    /** Default pause between polls that found no request. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    /** Default number of times a request is taken before it is failed (its holders kept stopping). */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    private final ReconcileRequests requests;
    private final Map<String, Reconciler> reconcilers;
    private final String workerId;
    private final Duration lease;
    private final Duration interval;
    private final int maxAttempts;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ReconcileRequestWorker(Builder b) {
        this.requests = b.requests;
        this.reconcilers = Map.copyOf(b.reconcilers);
        this.workerId = b.workerId != null ? b.workerId : defaultWorkerId();
        this.lease = b.lease;
        this.interval = b.interval;
        this.maxAttempts = b.maxAttempts;
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = b.scheduler != null ? b.scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dualwrite-reconcile-requests");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param requests where the requests are recorded
     * @return a new builder
     */
    public static Builder builder(ReconcileRequests requests) {
        return new Builder(requests);
    }

    /** @return the name this instance holds leases under */
    public String workerId() {
        return workerId;
    }

    /**
     * Takes the oldest request that is pending (or whose holder's lease ran out) and runs it to its end on the
     * calling thread.
     *
     * @return the request as it stands after the run (completed, failed, or held by another instance when this one
     *         lost its lease meanwhile); empty when there was no request to take
     */
    public Optional<ReconcileRequest> runOnce() {
        Optional<ReconcileRequest> claimed = requests.claim(workerId, lease);
        if (claimed.isEmpty()) {
            return Optional.empty();
        }
        run(claimed.get());
        return requests.get(claimed.get().id());
    }

    private void run(ReconcileRequest held) {
        Reconciler reconciler = reconcilers.get(held.entityType());
        if (held.attempts() > maxAttempts) {
            fail(held, "taken " + (held.attempts() - 1) + " times, and no holder brought its run to an end (its"
                    + " process stopped, it lost the request, or a listener of the application stopped the run); the"
                    + " last was " + held.owner(), null);
            return;
        }
        if (reconciler == null) {
            fail(held, "no reconciler of entity type '" + held.entityType() + "' runs in the application (instance "
                    + workerId + " reconciles " + new TreeMap<>(reconcilers).keySet() + ")", null);
            return;
        }
        for (String sink : held.scope().sinks()) {
            if (!reconciler.sinkNames().contains(sink)) {
                fail(held, "the reconciler of entity type '" + held.entityType() + "' has no sink '" + sink
                        + "' (it has " + reconciler.sinkNames() + ")", null);
                return;
            }
        }
        LOG.info("reconciliation request {} ({} of {} {}) taken by {}, attempt {}", held.id(), held.mode(),
                held.entityType(), held.scope(), workerId, held.attempts());
        Watcher watcher = new Watcher(held);
        watcher.record("starting", null);
        try {
            ReconcileReport report = held.mode() == ReconcileMode.APPLY ? reconciler.apply(held.scope(), watcher)
                    : reconciler.dryRun(held.scope(), watcher);
            if (!requests.finish(held, RequestStatus.COMPLETED, null, report)) {
                lostLease(held);
            }
        } catch (ReconcileTakenOverException e) {
            if (watcher.lost) {
                LOG.warn("reconciliation request {}: instance {} stopped its run: {}", held.id(), workerId,
                        e.getMessage());
            } else {
                // the request is still this instance's, but its run is not: a later execution of the same run (an
                // operator's abandon(), another request of the same scope resuming it) took it over, and this run's
                // report was refused or will be replaced. Nothing is left for this request to do; leaving it RUNNING
                // would only have another instance run it afresh once this lease ran out
                failUnlessClosed(held, TAKEN_OVER + e.getMessage(), null, e);
            }
        } catch (ReconcileCancelledException e) {
            // this instance lost the request (Watcher), or a listener of the application's own stopped the run: it
            // stopped at its next chunk and left no report; the request stays under its lease, and the instance
            // that takes it over resumes the run from its checkpoint
            LOG.warn("reconciliation request {}: instance {} stopped its run: {}", held.id(), workerId, e.getMessage());
        } catch (ReconcileException e) {
            failUnlessClosed(held, e.getMessage(), e.report(), e);
        } catch (RuntimeException e) {
            failUnlessClosed(held, e.toString(), null, e);
        } catch (Error e) {
            // a run that threw an Error (the JVM's own fatal errors aside) is failed with the reason like any other,
            // and the worker goes on polling
            ErrorClassifier.rethrowIfFatal(e);
            failUnlessClosed(held, e.toString(), null, new IllegalStateException(e));
        }
    }

    /**
     * Fails a request whose run ended in an error, unless this worker was closed meanwhile: a run stopped by
     * {@link #close()} (interrupted) is not the request's failure, and is left under its lease for another instance
     * to take over and resume.
     */
    private void failUnlessClosed(ReconcileRequest held, String reason, ReconcileReport report, RuntimeException e) {
        if (closed.get()) {
            LOG.warn("reconciliation request {}: instance {} was closed during its run ({}); another instance takes it"
                    + " over once its lease runs out", held.id(), workerId, e.toString());
            return;
        }
        fail(held, reason, report);
    }

    private void fail(ReconcileRequest held, String reason, ReconcileReport report) {
        if (requests.finish(held, RequestStatus.FAILED, reason, report)) {
            LOG.error("reconciliation request {} ({} of {}) failed: {}", held.id(), held.mode(), held.entityType(),
                    reason);
        } else {
            // the run of an instance that had lost the request failed: the request is the other instance's
            LOG.warn("reconciliation request {}: the run of instance {} stopped ({}) after it lost the request",
                    held.id(), workerId, reason);
            lostLease(held);
        }
    }

    private void lostLease(ReconcileRequest held) {
        LOG.warn("reconciliation request {}: instance {} lost its lease (attempt {}) before the end; another instance"
                + " took it over, and this run's records were left out", held.id(), workerId, held.attempts());
    }

    /** Records a held request's progress after every chunk, renewing the lease. */
    private final class Watcher implements ReconcileListener {
        private final ReconcileRequest held;
        private boolean lost;

        Watcher(ReconcileRequest held) {
            this.held = held;
        }

        @Override
        public void onProgress(ReconcileProgress progress) {
            record((held.mode() == ReconcileMode.APPLY ? "reconciling" : "comparing") + " sink '" + progress.sink()
                    + "'", progress);
        }

        void record(String phase, ReconcileProgress progress) {
            if (!lost && !requests.progress(held, phase, progress, lease)) {
                lost = true;
                lostLease(held);
            }
            if (lost && progress != null) {
                // another instance runs the request now: this run stops before it does more, or stores a report
                throw new ReconcileCancelledException("instance " + workerId + " no longer holds reconciliation"
                        + " request " + held.id());
            }
        }
    }

    /**
     * Starts polling: a request is taken as soon as the last one ended, otherwise every interval. Idempotent.
     *
     * @throws IllegalStateException if the worker was closed
     */
    public void start() {
        if (closed.get()) {
            throw new IllegalStateException("the reconciliation request worker " + workerId + " was closed");
        }
        if (started.compareAndSet(false, true)) {
            scheduler.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void poll() {
        try {
            while (!closed.get() && runOnce().isPresent()) {
                // took one: look for the next at once
            }
        } catch (RuntimeException | Error e) {
            // an exception that ends this task ends every later poll of the scheduler: never let one out
            ErrorClassifier.rethrowIfFatal(e);
            LOG.warn("reconciliation request worker {} could not poll; trying again in {}: {}", workerId, interval,
                    e.toString());
        }
    }

    /**
     * Stops polling and interrupts a run in progress (on the worker's own scheduler); a run that stops before its end
     * is not failed but taken over by another instance once its lease runs out. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsScheduler) {
            scheduler.shutdownNow();
        }
    }

    private static String defaultWorkerId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Builds a {@link ReconcileRequestWorker}. Not thread-safe. */
    public static final class Builder {
        private final ReconcileRequests requests;
        private final Map<String, Reconciler> reconcilers = new TreeMap<>();
        private String workerId;
        private Duration lease = DEFAULT_LEASE;
        private Duration interval = DEFAULT_INTERVAL;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private ScheduledExecutorService scheduler;

        private Builder(ReconcileRequests requests) {
            this.requests = Objects.requireNonNull(requests, "requests");
        }

        /**
         * @param reconciler the reconciler that runs the requests of its entity type; one per type
         * @return this
         * @throws IllegalArgumentException if a reconciler of the same entity type was added
         */
        public Builder reconciler(Reconciler reconciler) {
            Objects.requireNonNull(reconciler, "reconciler");
            if (reconcilers.putIfAbsent(reconciler.entityType(), reconciler) != null) {
                throw new IllegalArgumentException("a reconciler of entity type '" + reconciler.entityType()
                        + "' was already added");
            }
            return this;
        }

        /**
         * @param workerId the name this instance holds leases under (shown to operators); default the JVM's name
         *                 (pid@host) and a random suffix
         * @return this
         */
        public Builder workerId(String workerId) {
            this.workerId = Args.notBlank(Objects.requireNonNull(workerId, "workerId"), "workerId");
            return this;
        }

        /**
         * @param lease how long a holder may go without recording progress before another instance takes its request
         *              over, positive; default 2 minutes. Make it longer than the slowest chunk of a run
         * @return this
         */
        public Builder lease(Duration lease) {
            this.lease = Args.positive(lease, "lease");
            return this;
        }

        /**
         * @param interval pause between polls that found no request, positive; default 1 s
         * @return this
         */
        public Builder interval(Duration interval) {
            this.interval = Args.positive(interval, "interval");
            return this;
        }

        /**
         * @param maxAttempts how many times a request may be taken (by instances whose runs stopped) before it is
         *                    failed, at least 1; default {@value ReconcileRequestWorker#DEFAULT_MAX_ATTEMPTS}
         * @return this
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Args.atLeast(maxAttempts, 1, "maxAttempts");
            return this;
        }

        /**
         * @param scheduler runs the polls; default a single daemon thread of the worker's own, shut down on close.
         *                  One given here is not shut down by the worker
         * @return this
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * @return the worker, not started
         * @throws IllegalStateException if no reconciler was added
         */
        public ReconcileRequestWorker build() {
            if (reconcilers.isEmpty()) {
                throw new IllegalStateException("add at least one reconciler(...): the worker runs requests with them");
            }
            return new ReconcileRequestWorker(this);
        }
    }
}
