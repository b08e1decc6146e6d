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

import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One registered sink behind its Resilience4j policies: retry (transient and unknown outcomes
 * only, exponential backoff with jitter, honouring Retry-After) around a circuit breaker
 * (permanent failures of single entities never count) around a bulkhead around a time limit.
 * What a failure is, {@link SinkFailures} decides; each delivery ends in a {@link Delivery}.
 * Thread-safe.
 *
 * @param <T> the entity type
 */
final class SinkChannel<T> {
    private static final Logger LOG = LoggerFactory.getLogger(SinkChannel.class);

    final String name;
    final Sink<T> sink;
    final SinkSettings settings;
    private final MappingSink<T, Object> mapping;
    private final ErrorClassifier classifier;
    private final CircuitBreaker circuitBreaker;
    private final Bulkhead bulkhead;
    private final TimeLimiter timeLimiter;
    private final Retry retry;
    private final ExecutorService executor;
    private final MeterRegistry meters;
    private final CircuitBreakerRegistry breakers;
    /** Whether calls run on the delivering thread, bounded by the sink's own client. */
    private final boolean direct;
    private final boolean ownsBreaker;
    private final String entityType;
    private final Counter retries;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    SinkChannel(String entityType, String name, Sink<T> sink, SinkSettings settings, ExecutorService executor,
                MeterRegistry meters, CircuitBreakerRegistry breakers) {
        this(entityType, name, sink, settings, executor, meters, breakers, DualWriter.circuitBreakerName(entityType, name));
    }

    /** @param id the name of the channel's circuit breaker, bulkhead, time limiter and retry */
    SinkChannel(String entityType, String name, Sink<T> sink, SinkSettings settings, ExecutorService executor,
                MeterRegistry meters, CircuitBreakerRegistry breakers, String id) {
        this.entityType = entityType;
        this.name = name;
        this.sink = sink;
        this.settings = settings;
        this.mapping = mappingOf(sink);
        this.executor = executor;
        this.meters = meters;
        // the sink bounds its own calls within the attempt timeout, or the application says its client does
        this.direct = settings.clientEnforcesTimeout().orElseGet(() -> sink.callTimeout()
                .map(bound -> bound.compareTo(settings.attemptTimeout()) <= 0).orElse(false));
        ErrorClassifier own = settings.classifier() != null ? settings.classifier() : sink.classifier();
        this.classifier = SinkFailures.classifier(own);
        this.breakers = breakers;
        this.ownsBreaker = breakers.find(id).isEmpty();
        // a breaker the registry already holds under this name (another writer of the same type and sink) is shared;
        // which calls count is decided by breakered(...), which reports only the failures worth retrying as errors,
        // so the breaker this channel makes records every error it is told of
        this.circuitBreaker = breakers.circuitBreaker(id, CircuitBreakerConfig.from(settings.circuitBreaker())
                .recordException(e -> true)
                .build());

        this.bulkhead = Bulkhead.of(id, BulkheadConfig.custom()
                .maxConcurrentCalls(settings.maxConcurrentCalls())
                .maxWaitDuration(Duration.ZERO)
                .build());
        this.timeLimiter = TimeLimiter.of(id, TimeLimiterConfig.custom()
                .timeoutDuration(settings.attemptTimeout())
                .cancelRunningFuture(true)
                .build());
        IntervalFunction backoff = settings.jitter() > 0
                ? IntervalFunction.ofExponentialRandomBackoff(settings.initialBackoff(), settings.backoffMultiplier(),
                Math.min(settings.jitter(), 0.999), settings.maxBackoff())
                : IntervalFunction.ofExponentialBackoff(settings.initialBackoff(), settings.backoffMultiplier(),
                settings.maxBackoff());
        IntervalBiFunction<Object> interval = (attempt, outcome) -> {
            long wait = backoff.apply(attempt);
            if (outcome.isLeft() && outcome.getLeft() instanceof SinkException) {
                Duration after = ((SinkException) outcome.getLeft()).retryAfter().orElse(Duration.ZERO);
                wait = Math.max(wait, after.toMillis());
            }
            return wait;
        };
        this.retry = Retry.of(id, RetryConfig.custom()
                .maxAttempts(settings.maxAttempts())
                .intervalBiFunction(interval)
                .retryOnException(this::worthRetryingNow)
                .failAfterMaxAttempts(false)
                .build());
        this.retries = SafeMeters.counter(DualWriteMetrics.SINK_RETRIES, () -> Counter.builder(DualWriteMetrics.SINK_RETRIES)
                .description("retries of sink calls")
                .tag(DualWriteMetrics.TAG_TYPE, entityType).tag(DualWriteMetrics.TAG_SINK, name)
                .register(meters));
        retry.getEventPublisher().onRetry(event -> {
            retries.increment();
            LOG.warn("sink '{}' failed transiently (attempt {}), retrying in {} ms: {}", name,
                    event.getNumberOfRetryAttempts(), event.getWaitInterval().toMillis(),
                    SinkFailures.describe(event.getLastThrowable()));
        });
    }

    /** Removes the channel's breaker from the registry, if the channel created it there. */
    void releaseBreaker() {
        if (ownsBreaker) {
            breakers.remove(circuitBreaker.getName());
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> MappingSink<T, Object> mappingOf(Sink<T> sink) {
        return sink instanceof MappingSink ? (MappingSink<T, Object>) sink : null;
    }

    private boolean worthRetryingNow(Throwable e) {
        if (SinkFailures.notCalled(SinkFailures.unwrap(e)) || e instanceof InterruptedException) {
            return false;
        }
        if (!classifier.classify(e).isRetryable()) {
            return false;
        }
        // a destination that asks for a longer pause than we allow on the caller's path is left to recovery
        if (e instanceof SinkException) {
            Duration after = ((SinkException) e).retryAfter().orElse(Duration.ZERO);
            return after.compareTo(settings.maxBackoff()) <= 0;
        }
        return true;
    }

    ErrorKind classify(Throwable e) {
        return classifier.classify(e);
    }

    DeliveryPolicy policy() {
        return settings.policy();
    }

    /**
     * @param left the time left
     * @return how many changes one batch call may carry and still end within it (each may take the attempt
     *         timeout), 0 when not even one may
     */
    int callsWithin(Duration left) {
        long per = settings.attemptTimeout().toMillis();
        long n = left.isNegative() ? 0 : left.toMillis() / Math.max(1, per);
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /**
     * @param left the time left
     * @return how many changes one bulk call may carry and still leave time, should the call fail or time out as a
     *         whole, to send each of them alone ({@link #deliverAll}) before it runs out: any number when the sink
     *         {@linkplain Sink#appliesAllInOneCall() sends a batch in one request} (the call takes one attempt
     *         timeout), else half of the attempt timeouts that fit, at least one (a call of n changes may take n of
     *         them, as may the n calls alone, so that one change that hangs is tried alone and counted instead of
     *         using up the time of its whole batch, pass after pass); 0 when not even one call may
     */
    int changesWithin(Duration left) {
        int calls = callsWithin(left);
        if (calls <= 0) {
            return 0;
        }
        return sink.appliesAllInOneCall() ? Integer.MAX_VALUE : Math.max(1, calls / 2);
    }

    /**
     * @return how long recovery leaves an intent alone after its sink was not called (circuit open, bulkhead full,
     *         executor full)
     */
    Duration notCalledPause() {
        if (circuitBreaker.getState() == CircuitBreaker.State.OPEN) {
            return Duration.ofMillis(settings.circuitBreaker().getWaitIntervalFunctionInOpenState().apply(1));
        }
        return Duration.ZERO;
    }

    /**
     * Delivers with retries (the caller's path): maps once (a {@link MappingSink}'s mapping failure is
     * the entity's own, PERMANENT, and never reaches the breaker), then sends under the time limit,
     * breaker, bulkhead and retry.
     */
    Delivery deliver(Change<T> change) {
        return deliver(change, "sync");
    }

    /** The same, its meters tagged with the given path (the road the delivery takes). */
    Delivery deliver(Change<T> change, String path) {
        long start = System.nanoTime();
        Object request;
        try {
            request = mapping != null ? mapping.mapOrFail(change) : null;
        } catch (MappingException e) {
            Delivery d = new Delivery(null, ErrorKind.PERMANENT, e, 0, false);
            record(d, path, start);
            return d;
        }
        AtomicInteger attempts = new AtomicInteger();
        Callable<ApplyResult> once = guarded(() -> {
            attempts.incrementAndGet();
            return send(change, request);
        });
        Delivery d;
        try {
            ApplyResult r = Retry.decorateCallable(retry, once).call();
            d = Delivery.ok(r, attempts.get());
        } catch (Throwable e) {
            ErrorClassifier.rethrowIfFatal(e);
            d = failed(e, attempts.get());
        }
        record(d, path, start);
        return d;
    }

    private ApplyResult send(Change<T> change, Object request) throws Exception {
        return mapping != null ? mapping.send(change, request) : sink.apply(change);
    }

    /**
     * Delivers a batch with one call, without retries (recovery: the next attempt is a later pass).
     * Each change is mapped first; those that cannot be are failed on their own, and the rest go out
     * in one call, as many of them as that call can still carry and end before {@code deadline} once
     * mapping took its time (mapping stops when one more would leave the call no time; the changes left
     * over are {@link Delivery#notSent() not sent}). A call refused as a whole as PERMANENT, or timed out as a whole, is tried again
     * change by change, so that one poisoned change (rejected, or hanging) fails alone and the others
     * pass; those single calls are made only while one can still end before {@code deadline}, and the
     * changes left over are {@link Delivery#notSent() not sent}.
     *
     * @param changes  the changes
     * @param clock    the clock the deadline is on
     * @param deadline no call that could end after it is started (a recovery claim's lease), or null
     * @return one outcome per change, in order
     */
    BatchDelivery deliverAll(List<Change<T>> changes, java.time.Clock clock, java.time.Instant deadline) {
        long start = System.nanoTime();
        Delivery[] out = new Delivery[changes.size()];
        List<Integer> toSend = new ArrayList<>(changes.size());
        List<MappingSink.Mapped<T, Object>> mapped = new ArrayList<>(changes.size());
        java.time.Duration lastMapping = java.time.Duration.ZERO;
        for (int i = 0; i < changes.size(); i++) {
            Change<T> change = changes.get(i);
            if (deadline != null && !toSend.isEmpty() && changesWithin(java.time.Duration.between(
                    clock.instant().plus(lastMapping), deadline)) < toSend.size() + 1) {
                // mapping one more would leave the call no time to end before the deadline: the rest wait
                for (int rest = i; rest < changes.size(); rest++) {
                    out[rest] = Delivery.notSent();
                }
                break;
            }
            if (mapping == null) {
                toSend.add(i);
                continue;
            }
            java.time.Instant before = clock.instant();
            try {
                mapped.add(new MappingSink.Mapped<>(change, mapping.mapOrFail(change)));
                toSend.add(i);
            } catch (MappingException e) {
                out[i] = new Delivery(null, ErrorKind.PERMANENT, e, 1, false);
            }
            lastMapping = java.time.Duration.between(before, clock.instant());
        }
        Delivery call = Delivery.ok(ApplyResult.APPLIED, 1);
        if (!toSend.isEmpty() && deadline != null) {
            // mapping may still have taken the time some of the call needed: send what can end before the deadline
            int fit = Math.min(toSend.size(), changesWithin(java.time.Duration.between(clock.instant(), deadline)));
            for (int j = fit; j < toSend.size(); j++) {
                out[toSend.get(j)] = Delivery.notSent();
            }
            if (fit < toSend.size()) {
                toSend.subList(fit, toSend.size()).clear();
                if (mapping != null) {
                    mapped.subList(fit, mapped.size()).clear();
                }
            }
        }
        if (!toSend.isEmpty()) {
            List<Change<T>> sending = new ArrayList<>(toSend.size());
            toSend.forEach(i -> sending.add(changes.get(i)));
            try {
                List<Sink.BatchItem> items = guarded(() -> mapping != null ? mapping.sendAll(mapped)
                        : sink.applyAll(sending), sending.size()).call();
                if (items == null || items.size() != sending.size()) {
                    throw new SinkException("sink '" + name + "' returned " + (items == null ? "no" : items.size())
                            + " results for " + sending.size() + " changes", ErrorKind.UNKNOWN_OUTCOME, null);
                }
                for (int j = 0; j < items.size(); j++) {
                    Sink.BatchItem item = items.get(j);
                    out[toSend.get(j)] = item.succeeded() ? Delivery.ok(item.result(), 1) : failed(item.error(), 1);
                }
            } catch (Throwable e) {
                ErrorClassifier.rethrowIfFatal(e);
                call = failed(e, 1);
                // a bulk call refused or timed out as a whole may hold one poison change (rejected, or hanging):
                // try each alone, so that it fails alone and the others pass
                boolean alone = toSend.size() > 1 && (call.kind == ErrorKind.PERMANENT
                        || SinkFailures.unwrap(call.error) instanceof TimeoutException);
                for (int j = 0; j < toSend.size(); j++) {
                    if (!alone) {
                        out[toSend.get(j)] = call;
                    } else if (deadline != null && callsWithin(java.time.Duration.between(clock.instant(), deadline)) == 0) {
                        out[toSend.get(j)] = Delivery.notSent();
                    } else {
                        out[toSend.get(j)] = one(sending.get(j), mapping != null ? mapped.get(j).request() : null);
                    }
                }
            }
        }
        // one outcome per change, as every other road records it (a change not sent is no delivery)
        for (Delivery d : out) {
            if (!d.wasNotSent()) {
                record(d, "recovery", start);
            }
        }
        return new BatchDelivery(List.of(out));
    }

    private Delivery one(Change<T> change, Object request) {
        try {
            return Delivery.ok(guarded(() -> send(change, request)).call(), 1);
        } catch (Throwable e) {
            ErrorClassifier.rethrowIfFatal(e);
            return failed(e, 1);
        }
    }

    /** Maps and validates without sending (SHADOW). */
    Delivery validate(Change<T> change) {
        long start = System.nanoTime();
        Delivery d;
        try {
            sink.validate(change);
            d = Delivery.ok(ApplyResult.APPLIED, 0);
        } catch (Throwable e) {
            ErrorClassifier.rethrowIfFatal(e);
            d = new Delivery(null, ErrorKind.PERMANENT, e, 0, false);
        }
        String outcome = d.succeeded() ? "shadow_ok" : "shadow_failed";
        SafeMeters.record(DualWriteMetrics.SINK_APPLY, () -> timer("shadow", outcome), System.nanoTime() - start);
        if (!d.succeeded()) {
            LOG.warn("shadow sink '{}' would reject {}: {}", name, change.idempotencyKey(), SinkFailures.describe(d.error));
        }
        return d;
    }

    private <R> Callable<R> guarded(Callable<R> call) {
        return guarded(call, 1);
    }

    private <R> Callable<R> guarded(Callable<R> unsafe, int items) {
        // an Error from one entity's sink call is that entity's failure, not the caller's: it becomes an
        // exception here, inside every policy, so each of them sees it and cleans up (the JVM's own
        // fatal errors still pass)
        Callable<R> call = () -> {
            try {
                return unsafe.call();
            } catch (Error e) {
                ErrorClassifier.rethrowIfFatal(e);
                throw new SinkFailures.ErrorInSink(name, e);
            }
        };
        if (direct) {
            // the sink's own client bounds the call: run it here, without a hand-off to another thread
            return breakered(Bulkhead.decorateCallable(bulkhead, call));
        }
        // a bulk call of n changes may take n calls' time, unless the sink sends it as one request
        int calls = sink.appliesAllInOneCall() ? 1 : Math.max(1, items);
        Duration limit = settings.attemptTimeout().multipliedBy(calls);
        TimeLimiter limiter = calls == 1 ? timeLimiter : TimeLimiter.of(TimeLimiterConfig.custom()
                .timeoutDuration(limit).cancelRunningFuture(true).build());
        Callable<R> task = MdcScope.propagating(call);
        Callable<R> timed = () -> {
            // whoever claims first decides: the pool's thread (the sink is called) or the time limit running out
            // while the call still waits for a thread (it never starts: the sink was not asked)
            java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
            // when the pool's thread started and ended the call, in nanos; 0 while not
            java.util.concurrent.atomic.AtomicLongArray ran = new java.util.concurrent.atomic.AtomicLongArray(2);
            Callable<R> once = () -> {
                if (!claimed.compareAndSet(false, true)) {
                    throw new java.util.concurrent.CancellationException("the time limit ran out before it started");
                }
                ran.set(0, System.nanoTime());
                try {
                    return task.call();
                } finally {
                    ran.set(1, System.nanoTime());
                }
            };
            long handedAt = System.nanoTime();
            java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Future<R>> submitted =
                    new java.util.concurrent.atomic.AtomicReference<>();
            try {
                return limiter.executeFutureSupplier(() -> {
                    try {
                        submitted.set(executor.submit(once));
                        return submitted.get();
                    } catch (java.util.concurrent.RejectedExecutionException refused) {
                        throw new SinkFailures.CallNotStarted(name, refused);
                    }
                });
            } catch (InterruptedException e) {
                java.util.concurrent.Future<R> f = submitted.get();
                if (f != null && f.isDone()) {
                    // the sink's own code threw it, on the pool's thread: its failure, not an interrupt of this one
                    throw new SinkException("sink '" + name + "' threw " + e, ErrorKind.UNKNOWN_OUTCOME, e);
                }
                // the caller's thread was interrupted, but the call goes on: wait for it within its limit all the
                // same, so that whatever the caller does next never overtakes it (the interrupt is kept)
                return afterInterrupt(f, claimed, ran, handedAt, limit);
            } catch (TimeoutException e) {
                throw timedOut(e, claimed, ran, limit);
            } finally {
                long[] slot = RAN.get();
                if (slot != null) {
                    slot[0] = ran.get(0) == 0 ? 0 : (ran.get(1) == 0 ? System.nanoTime() : ran.get(1)) - ran.get(0);
                }
            }
        };
        return breakered(Bulkhead.decorateCallable(bulkhead, timed));
    }

    /** What the time limit running out means: a call never started, one started too late, or the sink's timeout. */
    private Exception timedOut(TimeoutException e, java.util.concurrent.atomic.AtomicBoolean claimed,
                               java.util.concurrent.atomic.AtomicLongArray ran, Duration limit) {
        if (claimed.compareAndSet(false, true)) {
            return new SinkFailures.CallNotStarted(name, e);
        }
        long had = ran.get(0) == 0 ? 0 : System.nanoTime() - ran.get(0);
        if (had < limit.toNanos() / 2) {
            // most of its time went waiting for a thread: the timeout says nothing of the sink's health (it may
            // have applied the change all the same)
            return new SinkFailures.CallStartedLate(name, e);
        }
        return e;
    }

    private <R> R afterInterrupt(java.util.concurrent.Future<R> f, java.util.concurrent.atomic.AtomicBoolean claimed,
                                 java.util.concurrent.atomic.AtomicLongArray ran, long handedAt, Duration limit)
            throws Exception {
        try {
            while (true) {
                try {
                    return f.get(Math.max(0, handedAt + limit.toNanos() - System.nanoTime()),
                            java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (InterruptedException again) {
                    // still waiting
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof Error) {
                        throw (Error) cause;
                    }
                    throw (Exception) cause;
                } catch (TimeoutException e) {
                    f.cancel(true);
                    throw timedOut(e, claimed, ran, limit);
                }
            }
        } finally {
            Thread.currentThread().interrupt();
        }
    }

    /** The time the sink itself had on the pool's thread, in the call under the breaker on this thread. */
    private static final ThreadLocal<long[]> RAN = new ThreadLocal<>();

    /**
     * Runs a call under the sink's circuit breaker, whatever configuration the breaker was registered with (the
     * application may have registered one under the channel's name): a call the sink never received, was not given
     * its time for, or whose caller was interrupted is neither a failure nor a success, and neither is one entity's
     * rejection (a failure not worth retrying); a failure worth retrying is an error, an answer a success. Its
     * duration is the time the sink had, not the time the call waited for a thread.
     */
    private <R> Callable<R> breakered(Callable<R> call) {
        return () -> {
            if (Thread.currentThread().isInterrupted()) {
                // an interrupted thread (a caller giving up, a recovery worker stopping) starts no new sink call; it
                // still waits for one it started
                throw new SinkFailures.CallNotStarted(name, new InterruptedException("interrupted before the call"));
            }
            circuitBreaker.acquirePermission();
            long start = System.nanoTime();
            long[] outer = RAN.get();
            long[] slot = {-1};
            RAN.set(slot);
            try {
                R result = call.call();
                circuitBreaker.onResult(took(slot, start), java.util.concurrent.TimeUnit.NANOSECONDS, result);
                return result;
            } catch (Exception e) {
                Throwable cause = SinkFailures.unwrap(e);
                // an interrupt of the calling thread (however the sink's client reports it) is no failure of the sink
                boolean interrupted = cause instanceof InterruptedException || Thread.currentThread().isInterrupted();
                if (SinkFailures.notCalled(cause) || cause instanceof SinkFailures.CallStartedLate || interrupted
                        || !classifier.classify(cause).isRetryable()) {
                    circuitBreaker.releasePermission();
                } else {
                    circuitBreaker.onError(took(slot, start), java.util.concurrent.TimeUnit.NANOSECONDS, cause);
                }
                throw e;
            } catch (Error e) {
                circuitBreaker.releasePermission();
                throw e;
            } finally {
                RAN.set(outer);
            }
        };
    }

    private static long took(long[] slot, long start) {
        return slot[0] >= 0 ? slot[0] : System.nanoTime() - start;
    }

    private Delivery failed(Throwable e, int attempts) {
        Throwable cause = SinkFailures.unwrap(e);
        if (cause instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new Delivery(null, ErrorKind.TRANSIENT, cause, attempts, false);
        }
        boolean notCalled = SinkFailures.notCalled(cause);
        return new Delivery(null, classifier.classify(cause), cause, attempts, notCalled);
    }

    private void record(Delivery d, String path, long startNanos) {
        String outcome;
        if (d.succeeded()) {
            outcome = d.result == ApplyResult.ALREADY_CURRENT ? "already_current" : "applied";
        } else if (d.error instanceof SinkFailures.CallStartedLate) {
            outcome = "executor_late";
        } else if (d.notCalled) {
            outcome = d.error instanceof CallNotPermittedException ? "circuit_open"
                    : d.error instanceof SinkFailures.CallNotStarted ? "executor_full" : "bulkhead_full";
        } else {
            outcome = d.kind.name().toLowerCase(java.util.Locale.ROOT);
        }
        String o = outcome;
        SafeMeters.record(DualWriteMetrics.SINK_APPLY, () -> timer(path, o), System.nanoTime() - startNanos);
    }

    private Timer timer(String path, String outcome) {
        return timers.computeIfAbsent(path + '|' + outcome, k -> SafeMeters.timer(DualWriteMetrics.SINK_APPLY, () -> Timer
                .builder(DualWriteMetrics.SINK_APPLY)
                .description("deliveries to a sink, retries included")
                .tag(DualWriteMetrics.TAG_TYPE, entityType)
                .tag(DualWriteMetrics.TAG_SINK, name)
                .tag(DualWriteMetrics.TAG_POLICY, settings.policy().name())
                .tag("path", path)
                .tag(DualWriteMetrics.TAG_OUTCOME, outcome)
                .publishPercentileHistogram(false)
                .register(meters)));
    }

    CircuitBreaker circuitBreaker() {
        return circuitBreaker;
    }
}
