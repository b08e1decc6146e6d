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

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.internal.Args;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;
import io.dualwrite.internal.DefaultDualWriter;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.observation.ObservationRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Builds a {@link DualWriter}. Not thread-safe; the writer it builds is.
 *
 * @param <T> the entity type
 */
public final class DualWriterBuilder<T> {
    /** Default time after a write before recovery may deliver its intents: the synchronous path's head start. */
    public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);
    /** Default entities claimed per recovery pass. */
    public static final int DEFAULT_RECOVERY_BATCH_SIZE = 100;
    /** Default lease on a claimed entity. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);
    /** Default bound on how far the hosts' clocks disagree, kept free at the end of every recovery lease. */
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(2);
    /** Default recovery attempts per intent before it is dead-lettered. */
    public static final int DEFAULT_RECOVERY_MAX_ATTEMPTS = 10;
    /** Default wait after the first failed recovery attempt. */
    public static final Duration DEFAULT_RECOVERY_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Default longest wait between recovery attempts. */
    public static final Duration DEFAULT_RECOVERY_MAX_BACKOFF = Duration.ofMinutes(10);
    /** Default window in which a caller's request key is deduplicated. */
    public static final Duration DEFAULT_REQUEST_KEY_WINDOW = Duration.ofHours(24);
    /** Default acknowledgements per batch written to the primary. */
    public static final int DEFAULT_ACK_BATCH_SIZE = 256;
    /**
     * Default longest time an acknowledgement waits in the queue: long enough that a writer of a hundred saves a
     * second sends one acknowledgement command per ten saves, far below the grace period and the two seconds an
     * operator's replay allows for it.
     */
    public static final Duration DEFAULT_ACK_INTERVAL = Duration.ofMillis(100);

    private String entityType;
    private Function<? super T, String> idOf;
    private PrimaryStore<T> primary;
    private DeadLetterStore deadLetterStore;
    private final Map<String, SinkRegistration<T>> sinks = new LinkedHashMap<>();
    private Json json;
    private boolean validateSerialization = true;
    private MeterRegistry meterRegistry = Metrics.globalRegistry;
    private ObservationRegistry observationRegistry;
    private WriteObservationConvention observationConvention;
    private CircuitBreakerRegistry circuitBreakerRegistry;
    private Clock clock = Clock.systemUTC();
    private ExecutorService executor;
    private ScheduledExecutorService scheduler;
    private Duration gracePeriod = DEFAULT_GRACE_PERIOD;
    private int recoveryBatchSize = DEFAULT_RECOVERY_BATCH_SIZE;
    private Duration lease = DEFAULT_LEASE;
    private Duration maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
    private int recoveryMaxAttempts = DEFAULT_RECOVERY_MAX_ATTEMPTS;
    private Duration recoveryInitialBackoff = DEFAULT_RECOVERY_INITIAL_BACKOFF;
    private Duration recoveryMaxBackoff = DEFAULT_RECOVERY_MAX_BACKOFF;
    private Duration requestKeyWindow = DEFAULT_REQUEST_KEY_WINDOW;
    private int ackBatchSize = DEFAULT_ACK_BATCH_SIZE;
    private Duration ackInterval = DEFAULT_ACK_INTERVAL;
    private String workerId;

    DualWriterBuilder() {
    }

    /**
     * @param entityType the entity type's name, used in idempotency keys, metrics and dead letters;
     *                   required, not blank
     * @return this
     */
    public DualWriterBuilder<T> entityType(String entityType) {
        Objects.requireNonNull(entityType, "entityType");
        Args.notBlank(entityType, "entityType");
        if (entityType.indexOf('/') >= 0) {
            // keys and dead-letter ids are <type>/<id>…: a type with '/' would read as another type's id
            throw new IllegalArgumentException("entityType must not contain '/': '" + entityType + "'");
        }
        this.entityType = entityType;
        return this;
    }

    /**
     * @param idOf reads an entity's id; required for {@link DualWriter#save}, not needed when only the
     *             write-ahead methods are used
     * @return this
     */
    public DualWriterBuilder<T> idOf(Function<? super T, String> idOf) {
        this.idOf = Objects.requireNonNull(idOf, "idOf");
        return this;
    }

    /**
     * @param primary the primary store; required
     * @return this
     */
    public DualWriterBuilder<T> primary(PrimaryStore<T> primary) {
        this.primary = Objects.requireNonNull(primary, "primary");
        return this;
    }

    /**
     * @param store where dead letters go; required, and durable in production
     * @return this
     */
    public DualWriterBuilder<T> deadLetterStore(DeadLetterStore store) {
        this.deadLetterStore = Objects.requireNonNull(store, "store");
        return this;
    }

    /**
     * Registers a SYNC sink with default settings.
     *
     * @param name a unique, non-blank name (stored in intents: keep it stable)
     * @param sink the sink
     * @return this
     */
    public DualWriterBuilder<T> sink(String name, Sink<T> sink) {
        return sink(name, sink, SinkSettings.DEFAULT);
    }

    /**
     * Registers a sink.
     *
     * @param name     a unique, non-blank name without '.', '#' or a leading '$' (stored in intents: keep it stable)
     * @param sink     the sink
     * @param settings its policy and resilience settings
     * @return this
     * @throws IllegalArgumentException if the name is blank, malformed or already registered, or this sink instance
     *                                  is already registered under another name
     */
    public DualWriterBuilder<T> sink(String name, Sink<T> sink, SinkSettings settings) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(settings, "settings");
        if (name.isBlank() || name.contains(".") || name.contains("#") || name.startsWith("$")) {
            // '#' ends the entity id in a dead letter's id (<type>/<id>#<sink>), which ids may contain themselves
            throw new IllegalArgumentException("sink name must be non-blank, without '.' or '#' and not start with"
                    + " '$': '" + name + "'");
        }
        if (sinks.containsKey(name)) {
            throw new IllegalArgumentException("sink '" + name + "' is already registered");
        }
        sinks.values().stream().filter(r -> r.sink() == sink).findFirst().ifPresent(r -> {
            // two names would give one system two intents per write, two breakers and two dead letters for one failure
            throw new IllegalArgumentException("this sink instance is already registered as '" + r.name() + "': register"
                    + " it once, or build a second sink for '" + name + "'");
        });
        sinks.put(name, new SinkRegistration<>(name, sink, settings));
        return this;
    }

    /**
     * @param mapper the Jackson 2 mapper used to check that entities serialize; the same as
     *               {@code json(Jackson2Json.of(mapper))}
     * @return this
     */
    public DualWriterBuilder<T> objectMapper(ObjectMapper mapper) {
        return json(Jackson2Json.of(mapper));
    }

    /**
     * @param json the JSON mapping used to check that entities serialize (the application's Jackson 2 or Jackson 3
     *             mapper); default {@link Json#defaults()}: Jackson 3 when it is on the classpath, else Jackson 2
     *             with the Java time module
     * @return this
     */
    public DualWriterBuilder<T> json(Json json) {
        this.json = Objects.requireNonNull(json, "json");
        return this;
    }

    /**
     * @param validate whether {@code save} first checks that Jackson can serialize the entity
     *                 (and throws {@link EntitySerializationException} before writing if not); default true
     * @return this
     */
    public DualWriterBuilder<T> validateSerialization(boolean validate) {
        this.validateSerialization = validate;
        return this;
    }

    /**
     * @param registry where meters go; default {@link Metrics#globalRegistry}
     * @return this
     */
    public DualWriterBuilder<T> meterRegistry(MeterRegistry registry) {
        this.meterRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * The registry each write is observed in ({@value DualWriteMetrics#WRITE}): its meter handler
     * makes the {@value DualWriteMetrics#WRITE} timer of it (Spring Boot's registry has one), its
     * tracing handler a span. One observation per write, so the timer and the span carry the same
     * name and the same tags, and nothing is recorded twice.
     *
     * @param registry the registry; default one of the writer's own, whose only handler records the
     *                 timer in {@link #meterRegistry}
     * @return this
     */
    public DualWriterBuilder<T> observationRegistry(ObservationRegistry registry) {
        this.observationRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param convention names each write's observation and its key values (and so the timer's
     *                   tags); default {@link WriteObservationConvention#DEFAULT}
     * @return this
     */
    public DualWriterBuilder<T> observationConvention(WriteObservationConvention convention) {
        this.observationConvention = Objects.requireNonNull(convention, "convention");
        return this;
    }

    /**
     * Where the sinks' circuit breakers live, so that the application can see them: each is named
     * {@link DualWriter#circuitBreakerName(String, String) dualwrite.&lt;entity type&gt;.&lt;sink&gt;} and
     * configured by its sink's {@link SinkSettings.Builder#circuitBreaker}; a breaker the registry
     * already holds under that name (another writer of the same type and sink) is shared, and a
     * breaker the writer created there is removed when it closes. Publishing a registry's breakers
     * as meters is its owner's choice (Resilience4j's {@code TaggedCircuitBreakerMetrics}, which
     * Spring Boot's Resilience4j support binds for its own registry).
     *
     * @param registry the registry; default one of the writer's own, whose breakers it publishes to
     *                 {@link #meterRegistry} ({@code resilience4j.circuitbreaker.*}, tagged with the name and the
     *                 writer's {@link DualWriteMetrics#TAG_INSTANCE instance})
     * @return this
     */
    public DualWriterBuilder<T> circuitBreakerRegistry(CircuitBreakerRegistry registry) {
        this.circuitBreakerRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param clock the clock for versions, due times and leases; default UTC system clock
     * @return this
     */
    public DualWriterBuilder<T> clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * @param executor runs sink calls in parallel and under time limits; it must not queue tasks
     *                 behind a small fixed pool (use a cached pool): every in-flight write needs a
     *                 thread per sink. Default an owned cached pool of daemon threads, shut down
     *                 on close; a given executor is not shut down.
     * @return this
     */
    public DualWriterBuilder<T> executor(ExecutorService executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /**
     * @param scheduler flushes acknowledgements; default an owned single daemon thread, shut down on close
     * @return this
     */
    public DualWriterBuilder<T> scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /**
     * @param gracePeriod how long after a write recovery leaves its intents to the synchronous
     *                    path; not negative; default 30 s. Convergence after a fault takes at most
     *                    this plus the recovery backoff.
     * @return this
     */
    public DualWriterBuilder<T> gracePeriod(Duration gracePeriod) {
        Objects.requireNonNull(gracePeriod, "gracePeriod");
        Args.notNegative(gracePeriod, "gracePeriod");
        this.gracePeriod = gracePeriod;
        return this;
    }

    /**
     * @param size entities claimed per recovery pass, at least 1; default 100
     * @return this
     */
    public DualWriterBuilder<T> recoveryBatchSize(int size) {
        Args.atLeast(size, 1, "recoveryBatchSize");
        this.recoveryBatchSize = size;
        return this;
    }

    /**
     * @param lease how long a recovery claim holds, positive and longer than every sink's attempt timeout plus
     *              {@link #maxClockSkew}; default 60 s. A pass sends a sink only the changes whose calls can end
     *              within what is left of it, less that margin; the others wait for the next claim.
     * @return this
     */
    public DualWriterBuilder<T> lease(Duration lease) {
        Objects.requireNonNull(lease, "lease");
        Args.positive(lease, "lease");
        this.lease = lease;
        return this;
    }

    /**
     * @param skew how far the clocks of the hosts that run recovery may disagree, not negative; default 2 s. A lease's
     *             end is written with the clock of the instance that claims it and judged with the clock of the one
     *             that would claim the entity next, so a pass starts a call only if it can end {@code skew} before its
     *             lease ends: two instances whose clocks agree to within {@code skew} never deliver one entity at
     *             once, which keeps per-entity order at a sink that does not guard versions. The lease must be
     *             longer than every sink's attempt timeout plus this margin.
     * @return this
     */
    public DualWriterBuilder<T> maxClockSkew(Duration skew) {
        this.maxClockSkew = Args.notNegative(skew, "maxClockSkew");
        return this;
    }

    /**
     * @param maxAttempts recovery attempts per intent before it is dead-lettered, at least 1; default 10
     * @param initial     wait after the first failure, positive; default 1 s
     * @param max         longest wait (doubling with jitter in between), not below initial; default 10 min
     * @return this
     */
    public DualWriterBuilder<T> recoveryRetry(int maxAttempts, Duration initial, Duration max) {
        RetryBackoff.check(maxAttempts, initial, max);
        this.recoveryMaxAttempts = maxAttempts;
        this.recoveryInitialBackoff = initial;
        this.recoveryMaxBackoff = max;
        return this;
    }

    /**
     * @param window how long a caller's request key is deduplicated, positive; default 24 h
     * @return this
     */
    public DualWriterBuilder<T> requestKeyWindow(Duration window) {
        Objects.requireNonNull(window, "window");
        Args.positive(window, "requestKeyWindow");
        this.requestKeyWindow = window;
        return this;
    }

    /**
     * @param batchSize acknowledgements per primary write, at least 1; default 256
     * @param interval  longest wait in the queue, positive; default 100 ms
     * @return this
     */
    public DualWriterBuilder<T> acknowledgements(int batchSize, Duration interval) {
        Args.atLeast(batchSize, 1, "batchSize");
        Objects.requireNonNull(interval, "interval");
        Args.positive(interval, "interval");
        this.ackBatchSize = batchSize;
        this.ackInterval = interval;
        return this;
    }

    /**
     * @param workerId this instance's id in recovery leases (a lease's owner reads {@code <workerId>/<pass>}, so each
     *                 recovery pass ends only the leases it took) and the {@link DualWriteMetrics#TAG_INSTANCE}
     *                 tag of its meters (suffixed {@code #2}, {@code #3}, ... while another open writer of the same
     *                 entity type in this JVM has it); default a random UUID
     * @return this
     */
    public DualWriterBuilder<T> workerId(String workerId) {
        this.workerId = Objects.requireNonNull(workerId, "workerId");
        return this;
    }

    /**
     * @return the writer
     * @throws IllegalStateException if the entity type, the primary or the dead-letter store is missing, the
     *                               dead-letter store is in another database than the primary, a sink was
     *                               built for another entity type, a
     *                               REQUIRED sink is registered over a store that cannot compensate, or the
     *                               lease is not longer than a sink's attempt timeout plus {@link #maxClockSkew}
     */
    public DualWriter<T> build() {
        if (entityType == null) {
            throw new IllegalStateException("entityType is required");
        }
        if (primary == null) {
            throw new IllegalStateException("primary store is required");
        }
        if (deadLetterStore == null) {
            throw new IllegalStateException("deadLetterStore is required: dead letters must be kept somewhere durable");
        }
        primary.database().ifPresent(p -> deadLetterStore.database().filter(d -> !d.equals(p)).ifPresent(d -> {
            throw new IllegalStateException("the dead-letter store is in database '" + d + "', the primary in '" + p
                    + "': operators and the command line look for dead letters beside the entities; build the"
                    + " dead-letter store on database '" + p + "'");
        }));
        for (SinkRegistration<T> r : sinks.values()) {
            r.sink().boundEntityType().filter(t -> !t.equals(entityType)).ifPresent(t -> {
                throw new IllegalStateException("sink '" + r.name() + "' was built for entity type '" + t + "', this"
                        + " writer writes '" + entityType + "': every change would be refused; build the sink for '"
                        + entityType + "' or name the writer's type '" + t + "'");
            });
            if (r.settings().policy() != DeliveryPolicy.SHADOW
                    && lease.compareTo(r.settings().attemptTimeout().plus(maxClockSkew)) <= 0) {
                throw new IllegalStateException("the recovery lease (" + lease + ") must be longer than the attempt"
                        + " timeout of sink '" + r.name() + "' (" + r.settings().attemptTimeout() + ") plus maxClockSkew ("
                        + maxClockSkew + "): a recovery pass never starts a call that could outlive its lease as"
                        + " another host's clock reads it");
            }
        }
        if (!primary.supportsCompensation()) {
            sinks.values().stream().filter(r -> r.settings().policy() == DeliveryPolicy.REQUIRED).findFirst()
                    .ifPresent(r -> {
                        throw new IllegalStateException("sink '" + r.name() + "' is REQUIRED, but this primary store"
                                + " cannot write a compensation (its writes are the caller's own): use SYNC, or the"
                                + " embedded mode");
                    });
        }
        Json mapper = json != null ? json : Json.defaults();
        return new DefaultDualWriter<>(new WriterSettings<>(entityType, idOf, primary, deadLetterStore,
                new ArrayList<>(sinks.values()), mapper, validateSerialization,
                new WriterSettings.Observability(meterRegistry, observationRegistry, observationConvention,
                        circuitBreakerRegistry, clock),
                new WriterSettings.Threads(executor, scheduler),
                new WriterSettings.Recovery(gracePeriod, recoveryBatchSize, lease, recoveryMaxAttempts,
                        recoveryInitialBackoff, recoveryMaxBackoff, workerId != null ? workerId : UUID.randomUUID().toString(),
                        maxClockSkew),
                new WriterSettings.Acknowledgements(ackBatchSize, ackInterval), requestKeyWindow));
    }
}
