package io.dualwrite.internal;

import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
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
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One registered sink behind its Resilience4j policies: retry (transient and unknown outcomes
 * only, exponential backoff with jitter, honouring Retry-After) around a circuit breaker
 * (permanent failures of single entities never count) around a bulkhead around a time limit.
 * Thread-safe.
 *
 * @param <T> the entity type
 */
final class SinkChannel<T> {
    private static final Logger LOG = LoggerFactory.getLogger(SinkChannel.class);

    final String name;
    final Sink<T> sink;
    final SinkSettings settings;
    private final ErrorClassifier classifier;
    private final CircuitBreaker circuitBreaker;
    private final Bulkhead bulkhead;
    private final TimeLimiter timeLimiter;
    private final Retry retry;
    private final ExecutorService executor;
    private final MeterRegistry meters;
    private final String entityType;
    private final Counter retries;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    SinkChannel(String entityType, String name, Sink<T> sink, SinkSettings settings, ExecutorService executor,
                MeterRegistry meters) {
        this.entityType = entityType;
        this.name = name;
        this.sink = sink;
        this.settings = settings;
        this.executor = executor;
        this.meters = meters;
        ErrorClassifier own = settings.classifier() != null ? settings.classifier() : sink.classifier();
        this.classifier = error -> classifyWith(own, error);
        String id = "dualwrite." + entityType + "." + name;
        this.circuitBreaker = CircuitBreaker.of(id, CircuitBreakerConfig.from(settings.circuitBreaker())
                .recordException(e -> !(e instanceof BulkheadFullException) && classifier.classify(e).isRetryable())
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
        this.retries = Counter.builder(DualWriteMetrics.SINK_RETRIES)
                .description("retries of sink calls")
                .tag(DualWriteMetrics.TAG_TYPE, entityType).tag(DualWriteMetrics.TAG_SINK, name)
                .register(meters);
        retry.getEventPublisher().onRetry(event -> {
            retries.increment();
            LOG.warn("sink '{}' failed transiently (attempt {}), retrying in {} ms: {}", name,
                    event.getNumberOfRetryAttempts(), event.getWaitInterval().toMillis(),
                    describe(event.getLastThrowable()));
        });
    }

    private static ErrorKind classifyWith(ErrorClassifier own, Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof TimeoutException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof CallNotPermittedException || e instanceof BulkheadFullException) {
            return ErrorKind.TRANSIENT;
        }
        ErrorKind kind;
        try {
            kind = own.classify(e);
        } catch (RuntimeException classifierBug) {
            LOG.warn("error classifier threw {}; treating the failure as UNKNOWN_OUTCOME", classifierBug.toString());
            kind = null;
        }
        return kind != null ? kind : ErrorClassifier.defaults().classify(e);
    }

    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private boolean worthRetryingNow(Throwable e) {
        if (e instanceof CallNotPermittedException || e instanceof BulkheadFullException
                || e instanceof InterruptedException) {
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
     * Delivers with retries (the caller's path).
     */
    Delivery deliver(Change<T> change) {
        long start = System.nanoTime();
        AtomicInteger attempts = new AtomicInteger();
        Callable<ApplyResult> once = guarded(() -> {
            attempts.incrementAndGet();
            return sink.apply(change);
        });
        Delivery d;
        try {
            ApplyResult r = Retry.decorateCallable(retry, once).call();
            d = Delivery.ok(r, attempts.get());
        } catch (Exception e) {
            d = failed(e, attempts.get());
        }
        record(d, "sync", start);
        return d;
    }

    /**
     * Delivers a batch with one call, without retries (recovery: the next attempt is a later pass).
     */
    BatchDelivery deliverAll(List<Change<T>> changes) {
        long start = System.nanoTime();
        Callable<List<Sink.BatchItem>> once = guarded(() -> sink.applyAll(changes), changes.size());
        BatchDelivery d;
        try {
            List<Sink.BatchItem> items = once.call();
            if (items == null || items.size() != changes.size()) {
                throw new SinkException("sink '" + name + "' returned " + (items == null ? "no" : items.size())
                        + " results for " + changes.size() + " changes", ErrorKind.UNKNOWN_OUTCOME, null);
            }
            d = new BatchDelivery(items, null);
        } catch (Exception e) {
            Delivery failure = failed(e, 1);
            // a bulk call refused as a whole may hold one poison change: try each alone, so the others pass
            d = failure.kind == ErrorKind.PERMANENT && changes.size() > 1
                    ? new BatchDelivery(oneByOne(changes), null) : new BatchDelivery(null, failure);
        }
        record(d.failure == null ? Delivery.ok(ApplyResult.APPLIED, 1) : d.failure, "recovery", start);
        return d;
    }

    private List<Sink.BatchItem> oneByOne(List<Change<T>> changes) {
        List<Sink.BatchItem> items = new java.util.ArrayList<>(changes.size());
        for (Change<T> change : changes) {
            try {
                items.add(Sink.BatchItem.of(guarded(() -> sink.apply(change)).call()));
            } catch (Exception e) {
                items.add(Sink.BatchItem.failed(e));
            }
        }
        return items;
    }

    /** Maps and validates without sending (SHADOW). */
    Delivery validate(Change<T> change) {
        long start = System.nanoTime();
        Delivery d;
        try {
            sink.validate(change);
            d = Delivery.ok(ApplyResult.APPLIED, 0);
        } catch (Exception | LinkageError e) {
            d = new Delivery(null, ErrorKind.PERMANENT, e, 0, false);
        }
        Timer t = timer("shadow", d.succeeded() ? "shadow_ok" : "shadow_failed");
        t.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (!d.succeeded()) {
            LOG.warn("shadow sink '{}' would reject {}: {}", name, change.idempotencyKey(), describe(d.error));
        }
        return d;
    }

    private <R> Callable<R> guarded(Callable<R> call) {
        return guarded(call, 1);
    }

    private <R> Callable<R> guarded(Callable<R> call, int items) {
        if (settings.clientEnforcesTimeout()) {
            // the sink's own client bounds the call: run it here, without a hand-off to another thread
            return CircuitBreaker.decorateCallable(circuitBreaker, Bulkhead.decorateCallable(bulkhead, call));
        }
        Duration limit = settings.attemptTimeout().multipliedBy(Math.max(1, items));
        TimeLimiter limiter = items <= 1 ? timeLimiter : TimeLimiter.of(TimeLimiterConfig.custom()
                .timeoutDuration(limit).cancelRunningFuture(true).build());
        Callable<R> task = MdcScope.propagating(call);
        Callable<R> timed = () -> limiter.executeFutureSupplier(() -> executor.submit(task));
        return CircuitBreaker.decorateCallable(circuitBreaker, Bulkhead.decorateCallable(bulkhead, timed));
    }

    private Delivery failed(Exception e, int attempts) {
        Throwable cause = unwrap(e);
        if (cause instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new Delivery(null, ErrorKind.TRANSIENT, cause, attempts, false);
        }
        boolean notCalled = cause instanceof CallNotPermittedException || cause instanceof BulkheadFullException;
        return new Delivery(null, classifier.classify(cause), cause, attempts, notCalled);
    }

    private void record(Delivery d, String path, long startNanos) {
        String outcome;
        if (d.succeeded()) {
            outcome = d.result == ApplyResult.ALREADY_CURRENT ? "already_current" : "applied";
        } else if (d.notCalled) {
            outcome = d.error instanceof CallNotPermittedException ? "circuit_open" : "bulkhead_full";
        } else {
            outcome = d.kind.name().toLowerCase(java.util.Locale.ROOT);
        }
        timer(path, outcome).record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Timer timer(String path, String outcome) {
        return timers.computeIfAbsent(path + '|' + outcome, k -> Timer.builder(DualWriteMetrics.SINK_APPLY)
                .description("deliveries to a sink, retries included")
                .tag(DualWriteMetrics.TAG_TYPE, entityType)
                .tag(DualWriteMetrics.TAG_SINK, name)
                .tag(DualWriteMetrics.TAG_POLICY, settings.policy().name())
                .tag("path", path)
                .tag(DualWriteMetrics.TAG_OUTCOME, outcome)
                .publishPercentileHistogram(false)
                .register(meters));
    }

    CircuitBreaker circuitBreaker() {
        return circuitBreaker;
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "unknown failure";
        }
        String msg = t.getMessage();
        String s = t.getClass().getName() + (msg == null ? "" : ": " + msg);
        return s.length() > 1000 ? s.substring(0, 1000) + "…" : s;
    }

    /** The outcome of one delivery. Immutable. */
    static final class Delivery {
        final ApplyResult result;
        final ErrorKind kind;
        final Throwable error;
        final int attempts;
        final boolean notCalled;

        Delivery(ApplyResult result, ErrorKind kind, Throwable error, int attempts, boolean notCalled) {
            this.result = result;
            this.kind = kind;
            this.error = error;
            this.attempts = attempts;
            this.notCalled = notCalled;
        }

        static Delivery ok(ApplyResult result, int attempts) {
            return new Delivery(result, null, null, attempts, false);
        }

        boolean succeeded() {
            return error == null;
        }
    }

    /** The outcome of one batch: per-item results, or one failure for the whole call. */
    static final class BatchDelivery {
        final List<Sink.BatchItem> items;
        final Delivery failure;

        BatchDelivery(List<Sink.BatchItem> items, Delivery failure) {
            this.items = items;
            this.failure = failure;
        }

        /** @return the failure of change i (the whole call's, if the call failed); null when it succeeded */
        Throwable errorOf(int i) {
            return failure != null ? failure.error : items.get(i).error();
        }

        /** @return how the failure of change i is classified by the channel */
        ErrorKind kindOf(int i, SinkChannel<?> channel) {
            return failure != null ? failure.kind : channel.classify(items.get(i).error());
        }
    }
}
