package io.dualwrite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeadLetters;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder.SinkRegistration;
import io.dualwrite.EntitySerializationException;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.Operation;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RecoveryReport;
import io.dualwrite.Redelivery;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.CallerWriteException;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.spi.UnreadableEntityException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The coordinator behind {@link DualWriter}. Thread-safe.
 *
 * @param <T> the entity type
 */
public final class DefaultDualWriter<T> implements DualWriter<T> {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultDualWriter.class);

    /**
     * Everything the builder collected. Immutable.
     *
     * @param <T> the entity type
     */
    public static final class Config<T> {
        final String entityType;
        final Function<? super T, String> idOf;
        final PrimaryStore<T> primary;
        final DeadLetterStore deadLetterStore;
        final List<SinkRegistration<T>> sinks;
        final ObjectMapper mapper;
        final boolean validateSerialization;
        final MeterRegistry meters;
        final ObservationRegistry observations;
        final CircuitBreakerRegistry breakers;
        final Clock clock;
        final ExecutorService executor;
        final ScheduledExecutorService scheduler;
        final Duration gracePeriod;
        final int recoveryBatchSize;
        final Duration lease;
        final int recoveryMaxAttempts;
        final Duration recoveryInitialBackoff;
        final Duration recoveryMaxBackoff;
        final Duration requestKeyWindow;
        final int ackBatchSize;
        final Duration ackInterval;
        final String workerId;

        /** Collects the builder's settings; see {@link io.dualwrite.DualWriterBuilder} for each. */
        @SuppressWarnings("checkstyle:ParameterNumber")
        public Config(String entityType, Function<? super T, String> idOf, PrimaryStore<T> primary,
                      DeadLetterStore deadLetterStore, List<SinkRegistration<T>> sinks, ObjectMapper mapper,
                      boolean validateSerialization, MeterRegistry meters, ObservationRegistry observations,
                      CircuitBreakerRegistry breakers, Clock clock, ExecutorService executor, ScheduledExecutorService scheduler, Duration gracePeriod,
                      int recoveryBatchSize, Duration lease, int recoveryMaxAttempts, Duration recoveryInitialBackoff,
                      Duration recoveryMaxBackoff, Duration requestKeyWindow, int ackBatchSize, Duration ackInterval,
                      String workerId) {
            this.entityType = entityType;
            this.idOf = idOf;
            this.primary = primary;
            this.deadLetterStore = deadLetterStore;
            this.sinks = sinks;
            this.mapper = mapper;
            this.validateSerialization = validateSerialization;
            this.meters = meters;
            this.breakers = breakers;
            this.observations = observations;
            this.clock = clock;
            this.executor = executor;
            this.scheduler = scheduler;
            this.gracePeriod = gracePeriod;
            this.recoveryBatchSize = recoveryBatchSize;
            this.lease = lease;
            this.recoveryMaxAttempts = recoveryMaxAttempts;
            this.recoveryInitialBackoff = recoveryInitialBackoff;
            this.recoveryMaxBackoff = recoveryMaxBackoff;
            this.requestKeyWindow = requestKeyWindow;
            this.ackBatchSize = ackBatchSize;
            this.ackInterval = ackInterval;
            this.workerId = workerId;
        }
    }

    private final Config<T> cfg;
    private final String type;
    private final PrimaryStore<T> store;
    private final List<SinkChannel<T>> channels;
    private final Map<String, SinkChannel<T>> channelsByName;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Acknowledger acks;
    private final RetryBackoff recoveryBackoff;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConcurrentHashMap<String, Timer> writeTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private static final long BACKLOG_REFRESH_MILLIS = 1000;

    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong lastBacklogRefresh = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong oldestDueMillis = new AtomicLong(Long.MAX_VALUE);
    private final DeadLetters deadLetters;

    /** @param cfg the settings */
    public DefaultDualWriter(Config<T> cfg) {
        this.cfg = cfg;
        this.deadLetters = new DeadLetterOperations();
        this.type = cfg.entityType;
        this.store = cfg.primary;
        this.ownsExecutor = cfg.executor == null;
        this.executor = ownsExecutor ? Executors.newCachedThreadPool(daemon("dualwrite-" + type + "-io")) : cfg.executor;
        this.ownsScheduler = cfg.scheduler == null;
        this.scheduler = ownsScheduler
                ? Executors.newSingleThreadScheduledExecutor(daemon("dualwrite-" + type + "-ack")) : cfg.scheduler;
        // breakers from the application's registry, or from one of the writer's own whose breakers it publishes
        CircuitBreakerRegistry breakers = cfg.breakers;
        if (breakers == null) {
            breakers = CircuitBreakerRegistry.ofDefaults();
            TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(cfg.meters);
        }
        List<SinkChannel<T>> list = new ArrayList<>();
        Map<String, SinkChannel<T>> byName = new LinkedHashMap<>();
        for (SinkRegistration<T> r : cfg.sinks) {
            SinkChannel<T> c = new SinkChannel<>(type, r.name(), r.sink(), r.settings(), executor, cfg.meters,
                    breakers);
            list.add(c);
            byName.put(r.name(), c);
        }
        this.channels = Collections.unmodifiableList(list);
        this.channelsByName = Collections.unmodifiableMap(byName);
        this.acks = new Acknowledger(store, cfg.ackBatchSize, cfg.ackInterval, scheduler);
        this.recoveryBackoff = new RetryBackoff(cfg.recoveryInitialBackoff, cfg.recoveryMaxBackoff);
        Gauge.builder(DualWriteMetrics.RECOVERY_BACKLOG, backlog, AtomicLong::get)
                .description("entities with pending intents, as of the last recovery pass")
                .tag(DualWriteMetrics.TAG_TYPE, type).register(cfg.meters);
        Gauge.builder(DualWriteMetrics.RECOVERY_OLDEST_AGE, this, DefaultDualWriter::oldestAgeSeconds)
                .description("seconds since the oldest pending intent fell due, as of the last recovery pass")
                .baseUnit("seconds")
                .tag(DualWriteMetrics.TAG_TYPE, type).register(cfg.meters);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------ the write path

    @Override
    public WriteResult save(T entity, WriteOptions options) {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(options, "options");
        if (cfg.idOf == null) {
            throw new IllegalStateException("no id function configured for '" + type
                    + "': set DualWriterBuilder.idOf(...) to use save(entity)");
        }
        String id = Objects.requireNonNull(cfg.idOf.apply(entity), "the id of the " + type + " entity is null");
        if (cfg.validateSerialization) {
            try {
                cfg.mapper.writeValue(OutputStream.nullOutputStream(), entity);
            } catch (Exception | StackOverflowError e) {
                throw new EntitySerializationException(type, id, e);
            }
        }
        return write(id, Operation.UPSERT, entity, null, options);
    }

    @Override
    public WriteResult delete(String id, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.DELETE, null, null, options);
    }

    @Override
    public WriteResult saveWith(String id, Runnable callerSave, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(callerSave, "callerSave");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.UPSERT, null, callerSave, options);
    }

    @Override
    public WriteResult deleteWith(String id, Runnable callerDelete, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(callerDelete, "callerDelete");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.DELETE, null, callerDelete, options);
    }

    private WriteResult write(String id, Operation op, T state, Runnable callerWrite, WriteOptions options) {
        ensureOpen();
        String correlationId = options.correlationId().orElseGet(() -> UUID.randomUUID().toString());
        long start = System.nanoTime();
        String outcome = "error";
        Observation observation = Observation.createNotStarted(DualWriteMetrics.WRITE_OBSERVATION, cfg.observations)
                .contextualName("dualwrite " + op.name().toLowerCase(java.util.Locale.ROOT) + " " + type)
                .lowCardinalityKeyValue("dualwrite.type", type)
                .lowCardinalityKeyValue("dualwrite.operation", op.name())
                .highCardinalityKeyValue("dualwrite.correlation_id", correlationId)
                .start();
        try (Observation.Scope ignored = observation.openScope();
             MdcScope ignored2 = MdcScope.open(correlationId, null)) {
            Instant now = cfg.clock.instant();
            boolean[] included = new boolean[channels.size()];
            List<IntentSpec> intents = new ArrayList<>(channels.size());
            for (int i = 0; i < channels.size(); i++) {
                SinkChannel<T> c = channels.get(i);
                // a sink takes part when the entity is in its ramp, or in what it was lowered from (to remove it)
                included[i] = Ramp.role(id, c.settings) != Ramp.Role.OUT;
                if (included[i] && c.policy() != DeliveryPolicy.SHADOW) {
                    intents.add(new IntentSpec(c.name, c.policy() == DeliveryPolicy.ASYNC ? now : now.plus(cfg.gracePeriod)));
                }
            }
            PrimaryWrite<T> pw = PrimaryWrite.<T>builder().id(id).operation(op).state(state).intents(intents)
                    .expectedVersion(options.expectedVersion().orElse(-1))
                    .requestKey(options.requestKey().orElse(null)).requestKeyWindow(cfg.requestKeyWindow)
                    .correlationId(correlationId).idempotencyKey(options.idempotencyKey().orElse(null))
                    .time(now).callerWrite(callerWrite).build();
            Committed<T> committed = commit(pw);
            switch (committed.status()) {
                case DUPLICATE_REQUEST:
                    outcome = "duplicate";
                    return duplicateResult(committed, correlationId);
                case NOTHING_TO_DELETE:
                    outcome = "nothing_to_delete";
                    Map<String, SinkOutcome> none = new LinkedHashMap<>();
                    channels.forEach(c -> none.put(c.name, SinkOutcome.SKIPPED));
                    return new WriteResult(type, id, committed.version(), op, none, correlationId, null, false, false);
                default:
                    break;
            }
            String key = options.idempotencyKey().orElseGet(() -> IdempotencyKeys.of(type, id, committed.version()));
            MdcScope.idempotencyKey(key);
            observation.highCardinalityKeyValue("dualwrite.idempotency_key", key);
            Change<T> change = Change.<T>builder().entityType(type).id(id).version(committed.version())
                    .operation(committed.operation()).state(committed.state().orElse(null)).idempotencyKey(key)
                    .correlationId(correlationId).time(committed.time()).build();
            WriteResult result;
            try {
                result = deliverCommitted(change, committed, included, correlationId);
            } catch (RequiredSinkFailedException e) {
                throw e;
            } catch (Throwable e) {
                // the write is committed with its intents: whatever went wrong after it, recovery delivers
                // it, and the caller learns what was committed rather than an error that hides it
                ErrorClassifier.rethrowIfFatal(e);
                LOG.error("delivering {} failed unexpectedly; its intents stay and recovery delivers it", key, e);
                result = deferredResult(change, included, committed.versionKnown());
            }
            outcome = result.fullyApplied() ? "applied" : "deferred";
            return result;
        } catch (RequiredSinkFailedException e) {
            outcome = "compensated";
            observation.error(e);
            throw e;
        } catch (VersionConflictException e) {
            outcome = "version_conflict";
            observation.error(e);
            throw e;
        } catch (RuntimeException | Error e) {
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
            writeTimer(op, outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private Committed<T> commit(PrimaryWrite<T> pw) {
        try {
            return store.commit(pw);
        } catch (VersionConflictException | UnsupportedOperationException e) {
            throw e;
        } catch (CallerWriteException e) {
            // write-ahead mode: the caller's own save failed; the intent is recorded, recovery delivers what is there
            throw e.callerException();
        } catch (RuntimeException e) {
            ErrorKind kind = classifyStore(e);
            LOG.warn("primary write of {}/{} failed ({}): {}", type, pw.id(), kind, e.toString());
            throw new PrimaryWriteException("the primary could not commit " + pw.operation() + " of " + type + "/"
                    + pw.id() + " (" + kind + "): " + e.getMessage() + "; no sink was touched", type, pw.id(), kind, e);
        }
    }

    private ErrorKind classifyStore(Throwable e) {
        try {
            ErrorKind k = store.classifier().classify(e);
            return k != null ? k : ErrorKind.UNKNOWN_OUTCOME;
        } catch (RuntimeException bug) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
    }

    private WriteResult duplicateResult(Committed<T> committed, String correlationId) {
        Optional<Snapshot<T>> now;
        try {
            now = store.read(committed.id());
        } catch (RuntimeException e) {
            // the first write's result stands; only whether its intents are still pending is unknown
            LOG.warn("could not read {}/{} to tell which sinks have the first write of this request ({})", type,
                    committed.id(), e.toString());
            now = null;
        }
        Optional<Snapshot<T>> read = now;
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        for (SinkChannel<T> c : channels) {
            if (c.policy() == DeliveryPolicy.SHADOW || Ramp.role(committed.id(), c.settings) == Ramp.Role.OUT) {
                outcomes.put(c.name, SinkOutcome.SKIPPED);
                continue;
            }
            Intent pending = read == null ? null : read.map(s -> s.pending().get(c.name)).orElse(null);
            boolean stillPending = read == null
                    || (pending != null && (pending.version() == 0 || pending.version() <= committed.version()));
            outcomes.put(c.name, stillPending ? SinkOutcome.DEFERRED : SinkOutcome.APPLIED);
        }
        return new WriteResult(type, committed.id(), committed.version(), committed.operation(), outcomes,
                correlationId, IdempotencyKeys.of(type, committed.id(), committed.version()), false, true);
    }

    private WriteResult deliverCommitted(Change<T> change, Committed<T> committed, boolean[] included,
                                         String correlationId) {
        String intentRef = committed.intentRef().orElse(null);
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        Map<String, SinkChannel.Delivery> deliveries = deliverSync(change, included);
        SinkChannel<T> failedRequired = null;
        SinkChannel.Delivery failedRequiredDelivery = null;
        for (int i = 0; i < channels.size(); i++) {
            SinkChannel<T> c = channels.get(i);
            if (!included[i] || c.policy() == DeliveryPolicy.SHADOW) {
                outcomes.put(c.name, SinkOutcome.SKIPPED);
                continue;
            }
            if (c.policy() == DeliveryPolicy.ASYNC) {
                outcomes.put(c.name, SinkOutcome.DEFERRED);
                continue;
            }
            SinkChannel.Delivery d = deliveries.get(c.name);
            if (d.succeeded()) {
                acks.add(new Ack(change.id(), c.name, change.version(), intentRef));
                outcomes.put(c.name, SinkOutcome.APPLIED);
            } else if (c.policy() == DeliveryPolicy.REQUIRED) {
                if (failedRequired == null) {
                    failedRequired = c;
                    failedRequiredDelivery = d;
                }
                outcomes.put(c.name, SinkOutcome.DEFERRED);
            } else if (d.kind == ErrorKind.PERMANENT) {
                boolean stored = deadLetter(change, c.name, d.attempts, d.kind, null, d.error, intentRef);
                outcomes.put(c.name, stored ? SinkOutcome.DEAD_LETTERED : SinkOutcome.DEFERRED);
            } else {
                LOG.warn("sink '{}' did not take {} ({}{}); deferred to recovery", c.name, change.idempotencyKey(),
                        d.notCalled ? "not called: " : "", SinkChannel.describe(d.error));
                outcomes.put(c.name, SinkOutcome.DEFERRED);
            }
        }
        WriteResult result = new WriteResult(type, change.id(), change.version(), change.operation(), outcomes,
                correlationId, change.idempotencyKey(), true, false, committed.versionKnown());
        if (failedRequired != null) {
            compensate(change, committed, included, result, failedRequired, failedRequiredDelivery);
        }
        return result;
    }

    /** @return a result in which every sink that takes part is DEFERRED: its intent is pending */
    private WriteResult deferredResult(Change<T> change, boolean[] included, boolean versionKnown) {
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        for (int i = 0; i < channels.size(); i++) {
            SinkChannel<T> c = channels.get(i);
            outcomes.put(c.name, !included[i] || c.policy() == DeliveryPolicy.SHADOW ? SinkOutcome.SKIPPED
                    : SinkOutcome.DEFERRED);
        }
        return new WriteResult(type, change.id(), change.version(), change.operation(), outcomes,
                change.correlationId(), change.idempotencyKey(), true, false, versionKnown);
    }

    /** Delivers to every SYNC and REQUIRED sink in parallel; the caller's thread takes the last one. */
    private Map<String, SinkChannel.Delivery> deliverSync(Change<T> change, boolean[] included) {
        Map<String, SinkChannel.Delivery> out = new LinkedHashMap<>();
        List<SinkChannel<T>> targets = new ArrayList<>(channels.size());
        for (int i = 0; i < channels.size(); i++) {
            SinkChannel<T> c = channels.get(i);
            if (!included[i]) {
                continue;
            }
            if (c.policy() == DeliveryPolicy.SHADOW) {
                if (Ramp.role(change.id(), c.settings) == Ramp.Role.IN) {
                    c.validate(withSchema(change, c));
                }
            } else if (c.policy() == DeliveryPolicy.SYNC || c.policy() == DeliveryPolicy.REQUIRED) {
                targets.add(c);
            }
        }
        if (targets.isEmpty()) {
            return out;
        }
        List<Future<SinkChannel.Delivery>> futures = new ArrayList<>(targets.size() - 1);
        for (int i = 0; i < targets.size() - 1; i++) {
            SinkChannel<T> c = targets.get(i);
            futures.add(executor.submit(MdcScope.propagating(() -> c.deliver(forSink(change, c)))));
        }
        SinkChannel<T> last = targets.get(targets.size() - 1);
        SinkChannel.Delivery lastDelivery = last.deliver(forSink(change, last));
        for (int i = 0; i < futures.size(); i++) {
            out.put(targets.get(i).name, await(futures.get(i)));
        }
        out.put(last.name, lastDelivery);
        return out;
    }

    private static SinkChannel.Delivery await(Future<SinkChannel.Delivery> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SinkChannel.Delivery(null, ErrorKind.TRANSIENT, e, 0, true);
        } catch (java.util.concurrent.ExecutionException e) {
            return new SinkChannel.Delivery(null, ErrorKind.UNKNOWN_OUTCOME, e.getCause(), 0, false);
        }
    }

    /**
     * @return the change as one sink receives it: with its schema version, and, for an entity outside the
     *         sink's lowered ramp, as a delete at the same version (the sink must not hold it)
     */
    private Change<T> forSink(Change<T> change, SinkChannel<T> c) {
        if (change.operation() == Operation.UPSERT && Ramp.role(change.id(), c.settings) == Ramp.Role.REMOVE) {
            return change.toBuilder().operation(Operation.DELETE).state(null).schemaVersion(c.settings.schemaVersion())
                    .build();
        }
        return withSchema(change, c);
    }

    private Change<T> withSchema(Change<T> change, SinkChannel<T> c) {
        int schema = c.settings.schemaVersion();
        return schema == change.schemaVersion() ? change : change.toBuilder().schemaVersion(schema).build();
    }

    private void compensate(Change<T> change, Committed<T> committed, boolean[] included, WriteResult failedResult,
                            SinkChannel<T> failed, SinkChannel.Delivery failure) {
        counter(DualWriteMetrics.COMPENSATIONS, DualWriteMetrics.TAG_SINK, failed.name).increment();
        Snapshot<T> before = committed.previous().orElse(null);
        T beforeState = before == null ? null : before.state().orElse(null);
        Operation op = beforeState == null ? Operation.DELETE : Operation.UPSERT;
        Instant now = cfg.clock.instant();
        List<IntentSpec> intents = new ArrayList<>();
        for (int i = 0; i < channels.size(); i++) {
            SinkChannel<T> c = channels.get(i);
            if (included[i] && c.policy() != DeliveryPolicy.SHADOW) {
                intents.add(new IntentSpec(c.name, c.policy() == DeliveryPolicy.ASYNC ? now : now.plus(cfg.gracePeriod)));
            }
        }
        long compensationVersion = -1;
        boolean outcomeUnknown = false;
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>(failedResult.outcomes());
        try {
            Committed<T> c = store.commit(PrimaryWrite.<T>builder().id(change.id()).operation(op).state(beforeState)
                    .intents(intents).expectedVersion(change.version()).undoes(change.version())
                    .requestKeyWindow(cfg.requestKeyWindow)
                    .correlationId(change.correlationId()).time(now).build());
            if (c.status() == Committed.Status.WRITTEN) {
                compensationVersion = c.version();
                Change<T> undo = Change.<T>builder().entityType(type).id(change.id()).version(c.version())
                        .operation(c.operation()).state(c.state().orElse(null)).correlationId(change.correlationId())
                        .time(c.time()).build();
                Map<String, SinkChannel.Delivery> ds = deliverSync(undo, included);
                for (Map.Entry<String, SinkChannel.Delivery> e : ds.entrySet()) {
                    if (e.getValue().succeeded()) {
                        acks.add(new Ack(change.id(), e.getKey(), undo.version(), c.intentRef().orElse(null)));
                    }
                }
                for (int i = 0; i < channels.size(); i++) {
                    if (included[i] && channels.get(i).policy() != DeliveryPolicy.SHADOW) {
                        outcomes.put(channels.get(i).name, SinkOutcome.COMPENSATED);
                    }
                }
                LOG.warn("required sink '{}' failed for {}; compensated as version {}", failed.name,
                        change.idempotencyKey(), compensationVersion);
            }
        } catch (VersionConflictException e) {
            LOG.warn("required sink '{}' failed for {}, but a newer write already replaced it; not compensated",
                    failed.name, change.idempotencyKey());
        } catch (RuntimeException e) {
            outcomeUnknown = classifyStore(e) == ErrorKind.UNKNOWN_OUTCOME;
            LOG.error("required sink '{}' failed for {} and the compensation {} ({}); the primary keeps version {}{}"
                    + " and recovery delivers it", failed.name, change.idempotencyKey(),
                    outcomeUnknown ? "may or may not have been committed" : "could not be committed", e.toString(),
                    change.version(), outcomeUnknown ? " or its compensation" : "");
        }
        WriteResult result = new WriteResult(type, change.id(), change.version(), change.operation(), outcomes,
                change.correlationId(), change.idempotencyKey(), true, false);
        throw new RequiredSinkFailedException(failed.name, result, compensationVersion, outcomeUnknown, failure.kind,
                failure.error);
    }

    private boolean deadLetter(Change<T> change, String sink, int attempts, ErrorKind kind, String firstError,
                               Throwable error, String intentRef) {
        return deadLetter(change.id(), change.version(), sink, attempts, kind, firstError, error,
                change.correlationId(), change.idempotencyKey(), intentRef);
    }

    private boolean deadLetter(String id, long version, String sink, int attempts, ErrorKind kind, String firstError,
                               Throwable error, String correlationId, String idempotencyKey, String intentRef) {
        Instant now = cfg.clock.instant();
        String last = SinkChannel.describe(error);
        String key = idempotencyKey != null ? idempotencyKey : IdempotencyKeys.of(type, id, version);
        DeadLetter dl = new DeadLetter(type, id, version, sink, Math.max(1, attempts), kind,
                firstError != null ? firstError : last, last, correlationId, key, now, now);
        try {
            cfg.deadLetterStore.add(dl);
        } catch (RuntimeException e) {
            LOG.error("could not store dead letter {} ({}); the intent stays pending", dl.id(), e.toString());
            return false;
        }
        counter(DualWriteMetrics.DEAD_LETTERS, DualWriteMetrics.TAG_SINK, sink, DualWriteMetrics.TAG_KIND, kind.name())
                .increment();
        LOG.error("sink '{}' gave up on {} after {} attempt(s) ({}): {}; dead-lettered as {}", sink, key,
                dl.attempts(), kind, last, dl.id());
        acks.add(Ack.deadLettered(id, sink, version, intentRef));
        return true;
    }

    /**
     * Dead-letters a delivery of an entity the primary holds but cannot read: no sink can be given
     * it; an operator replays it once the data or the codec is fixed.
     *
     * @param intent the sink's pending intent, or null when there is none
     */
    private boolean deadLetterUnreadable(Snapshot<T> s, String sink, Intent intent, int attempts) {
        RuntimeException failure = s.readFailure().orElseThrow();
        // a dead letter names a version of at least 1: an adopted document the store never versioned has none
        return deadLetter(s.id(), Math.max(1, s.version()), sink, attempts, ErrorKind.PERMANENT,
                intent == null ? null : intent.firstError().orElse(null), new IllegalStateException("the primary's "
                        + type + "/" + s.id() + " cannot be decoded: " + failure, failure),
                intent == null ? null : intent.correlationId().orElse(null),
                intent == null ? null : intent.idempotencyKey().orElse(null),
                intent == null ? null : intent.ref().orElse(null));
    }

    // ------------------------------------------------------------------ recovery

    @Override
    public RecoveryReport recoverDue() {
        ensureOpen();
        Instant now = cfg.clock.instant();
        List<Snapshot<T>> claimed = store.claimDue(now, cfg.recoveryBatchSize, cfg.workerId, cfg.lease);
        int delivered = 0;
        int deferred = 0;
        int dead = 0;
        try {
            // one bulk call per sink across the claimed batch
            Map<String, List<Change<T>>> bySink = new LinkedHashMap<>();
            Map<String, List<Intent>> intentsBySink = new LinkedHashMap<>();
            for (Snapshot<T> s : claimed) {
                for (Intent intent : s.pending().values()) {
                    if (intent.dueAt().isAfter(now)) {
                        continue;
                    }
                    if (s.readFailure().isPresent()) {
                        // claiming it again changes nothing
                        if (deadLetterUnreadable(s, intent.sink(), intent, intent.attempts() + 1)) {
                            dead++;
                        }
                        continue;
                    }
                    SinkChannel<T> c = channelsByName.get(intent.sink());
                    Change<T> change;
                    try {
                        change = changeOf(s, intent, c);
                    } catch (RuntimeException | Error bad) {
                        ErrorClassifier.rethrowIfFatal(bad);
                        if (deadLetter(s.id(), s.version(), intent.sink(), intent.attempts() + 1, ErrorKind.PERMANENT,
                                intent.firstError().orElse(null), bad, intent.correlationId().orElse(null),
                                intent.idempotencyKey().orElse(null), intent.ref().orElse(null))) {
                            dead++;
                        }
                        continue;
                    }
                    if (c == null) {
                        deadLetter(change, intent.sink(), intent.attempts() + 1, ErrorKind.PERMANENT,
                                intent.firstError().orElse(null),
                                new IllegalStateException("sink '" + intent.sink() + "' is not registered"),
                                intent.ref().orElse(null));
                        dead++;
                        continue;
                    }
                    bySink.computeIfAbsent(c.name, k -> new ArrayList<>()).add(change);
                    intentsBySink.computeIfAbsent(c.name, k -> new ArrayList<>()).add(intent);
                }
            }
            Map<String, List<Intent>> reschedules = new LinkedHashMap<>();
            Instant leaseEnds = now.plus(cfg.lease);
            for (Map.Entry<String, List<Change<T>>> e : bySink.entrySet()) {
                SinkChannel<T> c = channelsByName.get(e.getKey());
                List<Change<T>> all = e.getValue();
                List<Intent> allIntents = intentsBySink.get(e.getKey());
                for (int from = 0; from < all.size(); ) {
                    // never start a call that could outlive the lease: another instance may claim these
                    // entities once it runs out, and a sink without a version guard must not see two
                    // deliveries of one entity at once; what does not fit waits for the next claim
                    int fits = c.callsWithin(Duration.between(cfg.clock.instant(), leaseEnds));
                    if (fits == 0) {
                        LOG.debug("the lease on {} entities of '{}' ends before a call to sink '{}' could; they wait"
                                + " for the next claim", all.size() - from, type, c.name);
                        break;
                    }
                    int to = Math.min(all.size(), from + fits);
                    List<Change<T>> changes = all.subList(from, to);
                    List<Intent> intents = allIntents.subList(from, to);
                    from = to;
                    SinkChannel.BatchDelivery bd = c.deliverAll(changes, cfg.clock, leaseEnds);
                    for (int i = 0; i < changes.size(); i++) {
                        Change<T> change = changes.get(i);
                        Intent intent = intents.get(i);
                        SinkChannel.Delivery d = bd.item(i);
                        if (d.wasNotSent()) {
                            continue; // the lease ends first: the next claim sends it, no attempt spent
                        }
                        if (d.succeeded()) {
                            acks.add(new Ack(change.id(), c.name, change.version(), intent.ref().orElse(null)));
                            delivered++;
                            counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                    DualWriteMetrics.TAG_OUTCOME, "applied").increment();
                            continue;
                        }
                        Throwable error = d.error;
                        ErrorKind kind = d.kind;
                        if (d.notCalled) {
                            // an open circuit or a full bulkhead: the sink was not asked, so no attempt is spent and
                            // a long outage never turns pending intents into dead letters
                            Instant next = now.plus(c.notCalledPause())
                                    .plusMillis(recoveryBackoff.millis(change.id(), c.name, Math.max(1, intent.attempts())));
                            reschedules.computeIfAbsent(change.id(), k -> new ArrayList<>())
                                    .add(intent.failedAttempt(next, intent.attempts(), SinkChannel.describe(error)));
                            deferred++;
                            counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                    DualWriteMetrics.TAG_OUTCOME, "not_called").increment();
                            continue;
                        }
                        int attempts = intent.attempts() + 1;
                        if (kind == ErrorKind.PERMANENT || attempts >= cfg.recoveryMaxAttempts) {
                            if (deadLetter(change, c.name, attempts, kind, intent.firstError().orElse(null), error,
                                    intent.ref().orElse(null))) {
                                dead++;
                                counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                        DualWriteMetrics.TAG_OUTCOME, "dead_lettered").increment();
                                continue;
                            }
                        }
                        Instant next = now.plusMillis(recoveryBackoff.millis(change.id(), c.name, attempts));
                        reschedules.computeIfAbsent(change.id(), k -> new ArrayList<>())
                                .add(intent.failedAttempt(next, attempts, SinkChannel.describe(error)));
                        deferred++;
                        counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                DualWriteMetrics.TAG_OUTCOME, "deferred").increment();
                        LOG.warn("recovery of {} to sink '{}' failed ({}, attempt {}), next try at {}: {}",
                                change.idempotencyKey(), c.name, kind, attempts, next, SinkChannel.describe(error));
                    }
                }
            }
            for (Map.Entry<String, List<Intent>> e : reschedules.entrySet()) {
                try {
                    store.reschedule(e.getKey(), e.getValue());
                } catch (RuntimeException ex) {
                    LOG.warn("could not reschedule intents of {}/{} ({}); the lease expiry hands them back",
                            type, e.getKey(), ex.toString());
                }
            }
            acks.flush();
        } finally {
            for (Snapshot<T> s : claimed) {
                try {
                    store.release(s.id(), cfg.workerId);
                } catch (RuntimeException e) {
                    LOG.warn("could not release the lease on {}/{} ({}); it expires by itself", type, s.id(),
                            e.toString());
                }
            }
        }
        refreshBacklog();
        return new RecoveryReport(claimed.size(), delivered, deferred, dead);
    }

    /**
     * @param s      what the primary holds
     * @param intent the sink's pending intent, or null
     * @param c      the sink's channel, or null when it is not registered
     * @return the primary's current state as the change the sink receives
     */
    private Change<T> changeOf(Snapshot<T> s, Intent intent, SinkChannel<T> c) {
        boolean sameWrite = intent != null && intent.version() == s.version();
        String key = sameWrite && intent.idempotencyKey().isPresent() ? intent.idempotencyKey().get()
                : IdempotencyKeys.of(type, s.id(), s.version());
        String correlationId = intent != null && intent.correlationId().isPresent() ? intent.correlationId().get()
                : UUID.randomUUID().toString();
        Change<T> change = Change.<T>builder().entityType(type).id(s.id()).version(s.version())
                .operation(s.deleted() ? Operation.DELETE : Operation.UPSERT).state(s.state().orElse(null))
                .idempotencyKey(key).correlationId(correlationId).time(s.updatedAt()).build();
        return c != null ? forSink(change, c) : change;
    }

    private void refreshBacklog() {
        // counting the backlog reads every pending entity: at most once a second, not once a pass (by the
        // writer's clock, so that whether a pass reads it depends on nothing a test cannot control)
        long now = cfg.clock.millis();
        long last = lastBacklogRefresh.get();
        if ((last != Long.MIN_VALUE && Math.abs(now - last) < BACKLOG_REFRESH_MILLIS)
                || !lastBacklogRefresh.compareAndSet(last, now)) {
            return;
        }
        try {
            backlog.set(store.pendingCount());
            oldestDueMillis.set(store.oldestDue().map(Instant::toEpochMilli).orElse(Long.MAX_VALUE));
        } catch (RuntimeException e) {
            LOG.debug("could not refresh the recovery backlog: {}", e.toString());
        }
    }

    private double oldestAgeSeconds() {
        long due = oldestDueMillis.get();
        if (due == Long.MAX_VALUE) {
            return 0;
        }
        return Math.max(0, cfg.clock.millis() - due) / 1000.0;
    }

    @Override
    public long backlog() {
        long n = store.pendingCount();
        backlog.set(n);
        return n;
    }

    // ------------------------------------------------------------------ reconciliation hooks

    @Override
    public Map<String, SinkOutcome> redeliver(String sink, Collection<String> ids) {
        // without a count of its own, a transient failure is never spent: it stays as it was
        return outcomes(redeliver(sink, ids, Map.of(), Integer.MAX_VALUE));
    }

    @Override
    public Map<String, Redelivery> redeliver(String sink, Collection<String> ids, Map<String, Redelivery> earlier,
                                             int maxAttempts) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(earlier, "earlier");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        SinkChannel<T> c = channelFor(sink);
        Map<String, Redelivery> out = new LinkedHashMap<>();
        List<Change<T>> changes = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (String id : new LinkedHashSet<>(ids)) {
            Objects.requireNonNull(id, "an id in ids");
            Optional<Snapshot<T>> snap;
            try {
                snap = c.policy() == DeliveryPolicy.SHADOW || Ramp.role(id, c.settings) == Ramp.Role.OUT
                        ? Optional.empty() : store.read(id);
            } catch (UnreadableEntityException e) {
                // that entity's own permanent failure: the others are still delivered
                Snapshot<T> s = e.snapshot();
                Redelivery before = earlier.get(id);
                int attempts = (before != null && before.outcome() == SinkOutcome.DEFERRED ? before.attempts() : 0) + 1;
                Intent intent = s.pending().get(c.name);
                String failure = SinkChannel.describe(e);
                out.put(id, deadLetterUnreadable(s, c.name, intent, attempts)
                        ? new Redelivery(id, SinkOutcome.DEAD_LETTERED, Math.max(1, s.version()), attempts,
                                Optional.of(ErrorKind.PERMANENT), Optional.of(failure), Optional.of(failure))
                        : new Redelivery(id, SinkOutcome.DEFERRED, Math.max(1, s.version()), attempts,
                                Optional.of(ErrorKind.PERMANENT), Optional.of(failure), Optional.of(failure)));
                continue;
            }
            if (snap.isEmpty()) {
                out.put(id, Redelivery.withoutFailure(id, SinkOutcome.SKIPPED, 0));
                continue;
            }
            Snapshot<T> s = snap.get();
            Intent intent = s.pending().get(c.name);
            changes.add(changeOf(s, intent, c));
            refs.add(intent == null ? null : intent.ref().orElse(null));
            out.put(id, null);
        }
        out.putAll(deliverBatch(c, changes, refs, "redelivery", earlier, maxAttempts));
        return out;
    }

    private static Map<String, SinkOutcome> outcomes(Map<String, Redelivery> redeliveries) {
        Map<String, SinkOutcome> out = new LinkedHashMap<>();
        redeliveries.forEach((id, r) -> out.put(id, r.outcome()));
        return out;
    }

    @Override
    public Reach reach(String sink, String id) {
        Objects.requireNonNull(id, "id");
        return switch (Ramp.role(id, channelFor(sink).settings)) {
            case IN -> Reach.HOLDS;
            case REMOVE -> Reach.REMOVES;
            case OUT -> Reach.IGNORES;
        };
    }

    @Override
    public Change<T> changeFor(String sink, Snapshot<T> snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        return changeFor(channelFor(sink), snapshot);
    }

    /** What a redelivery sends: the snapshot's state, keyed and correlated as its pending write when it is that one. */
    private Change<T> changeFor(SinkChannel<T> c, Snapshot<T> s) {
        return changeOf(s, s.pending().get(c.name), c);
    }

    @Override
    public WriteResult rewrite(String id, long expectedVersion) {
        Objects.requireNonNull(id, "id");
        ensureOpen();
        if (!store.supportsCompensation()) {
            throw new UnsupportedOperationException("the " + type + " primary store cannot commit a write of its own"
                    + " (write-ahead mode: its writes are the application's); save " + type + "/" + id
                    + " again through the application");
        }
        Snapshot<T> now = store.read(id).orElse(null);
        if (now == null || now.deleted() || now.version() != expectedVersion) {
            throw new VersionConflictException(type, id, expectedVersion, now == null ? 0 : now.version());
        }
        // the primary's own state, as stored: what is delivered is what was stored; the expected
        // version makes the commit fail if anything was written since the read
        return write(id, Operation.UPSERT, now.state().orElseThrow(), null,
                WriteOptions.builder().expectedVersion(expectedVersion).build());
    }

    @Override
    public Map<String, SinkOutcome> removeOrphans(String sink, Map<String, Long> heldVersions) {
        Objects.requireNonNull(heldVersions, "heldVersions");
        SinkChannel<T> c = channelFor(sink);
        Map<String, SinkOutcome> out = new LinkedHashMap<>();
        List<Change<T>> changes = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (Map.Entry<String, Long> e : heldVersions.entrySet()) {
            String id = Objects.requireNonNull(e.getKey(), "an id in heldVersions");
            long held = Objects.requireNonNull(e.getValue(), "the held version of " + id);
            if (held < 1 || held == Long.MAX_VALUE) {
                throw new IllegalArgumentException("the held version of " + id + " must be in [1, Long.MAX_VALUE), was "
                        + held);
            }
        }
        for (Map.Entry<String, Long> e : heldVersions.entrySet()) {
            String id = e.getKey();
            if (c.policy() == DeliveryPolicy.SHADOW) {
                out.put(id, SinkOutcome.SKIPPED);
                continue;
            }
            Optional<Snapshot<T>> snap;
            try {
                snap = store.read(id);
            } catch (UnreadableEntityException unreadable) {
                // the primary holds it, alive: not an orphan, whatever its state
                LOG.warn("{}/{} is not removed from sink '{}': the primary holds it but cannot read it ({})", type, id,
                        c.name, SinkChannel.describe(unreadable.getCause()));
                out.put(id, SinkOutcome.SKIPPED);
                continue;
            }
            if (snap.isPresent() && !snap.get().deleted()) {
                // alive: the sink holds it rightly, unless it left the sink's lowered ramp; then the
                // primary's own version removes it (the next write is one above, so nothing is barred),
                // which can only beat an older held version
                Snapshot<T> s = snap.get();
                if (Ramp.role(id, c.settings) != Ramp.Role.REMOVE || e.getValue() >= s.version()) {
                    out.put(id, SinkOutcome.SKIPPED);
                    continue;
                }
                Intent intent = s.pending().get(c.name);
                changes.add(changeOf(s, intent, c));
                refs.add(intent == null ? null : intent.ref().orElse(null));
                out.put(id, null);
                continue;
            }
            // the smallest version the sink's guard accepts, unless the primary's own tombstone is newer still
            long version = Math.max(e.getValue() + 1, snap.map(Snapshot::version).orElse(0L));
            Intent intent = snap.map(s -> s.pending().get(c.name)).orElse(null);
            changes.add(Change.<T>builder().entityType(type).id(id).version(version).operation(Operation.DELETE)
                    .idempotencyKey(IdempotencyKeys.of(type, id, version)).correlationId(UUID.randomUUID().toString())
                    .time(cfg.clock.instant()).schemaVersion(c.settings.schemaVersion()).build());
            refs.add(intent == null ? null : intent.ref().orElse(null));
            out.put(id, null);
        }
        outcomes(deliverBatch(c, changes, refs, "orphan removal", Map.of(), Integer.MAX_VALUE)).forEach(out::put);
        return out;
    }

    private SinkChannel<T> channelFor(String sink) {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        SinkChannel<T> c = channelsByName.get(sink);
        if (c == null) {
            throw new IllegalArgumentException("sink '" + sink + "' is not registered with the " + type + " writer");
        }
        return c;
    }

    /**
     * One bulk call to one sink; acknowledges what succeeded, dead-letters permanent failures and
     * transient ones whose attempts, counted on from {@code earlier}, reached {@code maxAttempts}.
     */
    private Map<String, Redelivery> deliverBatch(SinkChannel<T> c, List<Change<T>> changes, List<String> refs,
                                                 String what, Map<String, Redelivery> earlier, int maxAttempts) {
        Map<String, Redelivery> out = new LinkedHashMap<>();
        if (changes.isEmpty()) {
            return out;
        }
        SinkChannel.BatchDelivery bd = c.deliverAll(changes, cfg.clock, null);
        for (int i = 0; i < changes.size(); i++) {
            Change<T> change = changes.get(i);
            SinkChannel.Delivery d = bd.item(i);
            Throwable error = d.error;
            if (error == null) {
                acks.add(new Ack(change.id(), c.name, change.version(), refs.get(i)));
                out.put(change.id(), Redelivery.withoutFailure(change.id(), SinkOutcome.APPLIED, change.version()));
                continue;
            }
            ErrorKind kind = d.kind;
            String last = SinkChannel.describe(error);
            Redelivery before = earlier.get(change.id());
            boolean counting = before != null && before.outcome() == SinkOutcome.DEFERRED
                    && before.version() == change.version();
            // an attempt the sink never received (open circuit, full bulkhead) is not counted
            int attempts = (counting ? before.attempts() : 0) + (d.notCalled ? 0 : 1);
            String first = counting && before.firstError().isPresent() ? before.firstError().get()
                    : d.notCalled ? null : last;
            boolean spent = !d.notCalled && attempts >= maxAttempts;
            if ((kind == ErrorKind.PERMANENT || spent)
                    && deadLetter(change, c.name, attempts, kind, first, error, refs.get(i))) {
                out.put(change.id(), new Redelivery(change.id(), SinkOutcome.DEAD_LETTERED, change.version(),
                        Math.max(1, attempts), Optional.of(kind), Optional.ofNullable(first).or(() -> Optional.of(last)),
                        Optional.of(last)));
                continue;
            }
            LOG.warn("{} of {} to sink '{}' failed ({}{}): {}", what, change.idempotencyKey(), c.name, kind,
                    maxAttempts == Integer.MAX_VALUE ? "" : ", attempt " + attempts + " of " + maxAttempts, last);
            out.put(change.id(), new Redelivery(change.id(), SinkOutcome.DEFERRED, change.version(), attempts,
                    Optional.of(kind), Optional.ofNullable(first), Optional.of(last)));
        }
        return out;
    }

    // ------------------------------------------------------------------ the rest

    @Override
    public Optional<Snapshot<T>> read(String id) {
        Objects.requireNonNull(id, "id");
        return store.read(id);
    }

    @Override
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    @Override
    public String entityType() {
        return type;
    }

    @Override
    public List<String> sinkNames() {
        return List.copyOf(channelsByName.keySet());
    }

    @Override
    public void flushAcknowledgements() {
        acks.flush();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            acks.close();
        } finally {
            // a writer built again with the same registry starts from the breakers it then creates
            channels.forEach(SinkChannel::releaseBreaker);
            if (ownsScheduler) {
                scheduler.shutdownNow();
            }
            if (ownsExecutor) {
                executor.shutdown();
                try {
                    if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                        executor.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    executor.shutdownNow();
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the " + type + " writer is closed");
        }
    }

    private Timer writeTimer(Operation op, String outcome) {
        return writeTimers.computeIfAbsent(op.name() + '|' + outcome, k -> Timer.builder(DualWriteMetrics.WRITE)
                .description("writes through the coordinator")
                .tag(DualWriteMetrics.TAG_TYPE, type)
                .tag(DualWriteMetrics.TAG_OPERATION, op.name())
                .tag(DualWriteMetrics.TAG_OUTCOME, outcome)
                .publishPercentiles(0.5, 0.95, 0.99)
                .register(cfg.meters));
    }

    private Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + String.join("|", tags), k -> Counter.builder(name)
                .tag(DualWriteMetrics.TAG_TYPE, type).tags(tags).register(cfg.meters));
    }

    // ------------------------------------------------------------------ dead letters

    private final class DeadLetterOperations implements DeadLetters {
        private final DeadLetterStore dls = cfg.deadLetterStore;

        @Override
        public List<DeadLetter> list(DeadLetterQuery query) {
            Objects.requireNonNull(query, "query");
            return dls.list(scoped(query));
        }

        private DeadLetterQuery scoped(DeadLetterQuery q) {
            if (q.entityType().isPresent() && !q.entityType().get().equals(type)) {
                throw new IllegalArgumentException("this writer handles '" + type + "', not '" + q.entityType().get() + "'");
            }
            DeadLetterQuery.Builder b = DeadLetterQuery.builder().entityType(type).limit(q.limit());
            q.entityId().ifPresent(b::entityId);
            q.sink().ifPresent(b::sink);
            q.kind().ifPresent(b::kind);
            return b.build();
        }

        @Override
        public Optional<DeadLetter> inspect(String id) {
            Objects.requireNonNull(id, "id");
            return dls.get(id);
        }

        @Override
        public long count() {
            return dls.count();
        }

        @Override
        public SinkOutcome replay(String id) {
            Objects.requireNonNull(id, "id");
            ensureOpen();
            DeadLetter dl = dls.get(id).orElseThrow(() -> new NoSuchElementException("no dead letter '" + id + "'"));
            if (!dl.entityType().equals(type)) {
                throw new IllegalArgumentException("dead letter " + id + " belongs to '" + dl.entityType()
                        + "', this writer handles '" + type + "'");
            }
            SinkChannel<T> c = channelsByName.get(dl.sink());
            if (c == null) {
                throw new IllegalArgumentException("dead letter " + id + " is for sink '" + dl.sink()
                        + "', which is not registered");
            }
            if (Ramp.role(dl.entityId(), c.settings) == Ramp.Role.OUT) {
                LOG.info("dead letter {} is of an entity outside sink '{}''s ramp: nothing to replay", id, c.name);
                return SinkOutcome.SKIPPED;
            }
            Optional<Snapshot<T>> snap;
            try {
                snap = store.read(dl.entityId());
            } catch (UnreadableEntityException e) {
                LOG.warn("dead letter {} stays: the primary's {}/{} still cannot be read ({})", id, type, dl.entityId(),
                        SinkChannel.describe(e.getCause()));
                return SinkOutcome.DEAD_LETTERED;
            }
            String correlationId = dl.correlationId().orElseGet(() -> UUID.randomUUID().toString());
            // the primary's current state, through the same road as every delivery (the sink's ramp included)
            Change<T> change = snap.map(s -> forSink(Change.<T>builder().entityType(type).id(s.id()).version(s.version())
                            .operation(s.deleted() ? Operation.DELETE : Operation.UPSERT).state(s.state().orElse(null))
                            .correlationId(correlationId).time(s.updatedAt()).build(), c))
                    // the entity left the primary for good: the sink must drop it too
                    .orElseGet(() -> Change.<T>builder().entityType(type).id(dl.entityId()).version(dl.version())
                            .operation(Operation.DELETE).correlationId(correlationId).time(cfg.clock.instant())
                            .schemaVersion(c.settings.schemaVersion()).build());
            try (MdcScope ignored = MdcScope.open(correlationId, change.idempotencyKey())) {
                SinkChannel.Delivery d = c.deliver(change);
                if (d.succeeded()) {
                    // only the dead letter of what was delivered: a newer version that failed meanwhile stays
                    if (!dls.removeIfAtMost(id, change.version())) {
                        LOG.info("dead letter {} stays: it now holds a version newer than {}", id, change.idempotencyKey());
                    }
                    acks.add(new Ack(change.id(), c.name, change.version(), null));
                    LOG.info("replayed dead letter {} as {}", id, change.idempotencyKey());
                    return SinkOutcome.APPLIED;
                }
                Instant now = cfg.clock.instant();
                dls.add(new DeadLetter(type, dl.entityId(), change.version(), dl.sink(), d.attempts, d.kind, null,
                        SinkChannel.describe(d.error), correlationId, change.idempotencyKey(), now, now));
                LOG.warn("replay of dead letter {} failed ({}): {}", id, d.kind, SinkChannel.describe(d.error));
                return d.kind == ErrorKind.PERMANENT ? SinkOutcome.DEAD_LETTERED : SinkOutcome.DEFERRED;
            }
        }

        @Override
        public int replayAll(DeadLetterQuery query) {
            int applied = 0;
            for (DeadLetter dl : list(query)) {
                if (replay(dl.id()) == SinkOutcome.APPLIED) {
                    applied++;
                }
            }
            return applied;
        }

        @Override
        public boolean discard(String id) {
            Objects.requireNonNull(id, "id");
            boolean removed = dls.remove(id);
            if (removed) {
                LOG.info("discarded dead letter {}", id);
            }
            return removed;
        }

        @Override
        public int discardAll(DeadLetterQuery query) {
            int n = 0;
            for (DeadLetter dl : list(query)) {
                if (discard(dl.id())) {
                    n++;
                }
            }
            return n;
        }
    }
}
