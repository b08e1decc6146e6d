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
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.SinkRegistration;
import io.dualwrite.WriterSettings;
import io.dualwrite.ErrorKind;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.Operation;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every job of the coordinator shares: its settings, the primary, the sink channels, the
 * acknowledgements, its threads and meters, and the steps each job takes the same way (the change
 * a sink receives, a dead letter). Thread-safe.
 *
 * @param <T> the entity type
 */
final class WriterCore<T> {
    static final Logger LOG = LoggerFactory.getLogger(DefaultDualWriter.class);

    final WriterSettings<T> cfg;
    final String type;
    final PrimaryStore<T> store;
    final List<SinkChannel<T>> channels;
    final Map<String, SinkChannel<T>> channelsByName;
    final ExecutorService executor;
    private final boolean ownsExecutor;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    final Acknowledger acks;
    /** The application's observation registry, or the writer's own, whose meter handler records dualwrite.write. */
    final ObservationRegistry observations;
    /** The writer's instance tag: unique among the open writers of its type in this JVM. */
    final MeterInstance instance;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    /** @param cfg the settings */
    WriterCore(WriterSettings<T> cfg) {
        this.cfg = cfg;
        this.type = cfg.entityType();
        this.store = cfg.primary();
        this.ownsExecutor = cfg.threads().executor() == null;
        this.executor = ownsExecutor ? Executors.newCachedThreadPool(daemon("dualwrite-" + type + "-io")) : cfg.threads().executor();
        this.ownsScheduler = cfg.threads().scheduler() == null;
        this.scheduler = ownsScheduler
                ? Executors.newSingleThreadScheduledExecutor(daemon("dualwrite-" + type + "-ack")) : cfg.threads().scheduler();
        this.instance = MeterInstance.claim(type, cfg.recovery().workerId());
        if (!instance.value().equals(cfg.recovery().workerId())) {
            LOG.info("the {} writer with worker id '{}' tags its meters {}={}: another open writer of that type in"
                    + " this JVM has that worker id", type, cfg.recovery().workerId(), DualWriteMetrics.TAG_INSTANCE,
                    instance.value());
        }
        // breakers from the application's registry, or from one of the writer's own whose breakers it publishes
        CircuitBreakerRegistry breakers = cfg.observability().breakers();
        if (breakers == null) {
            // its breakers' meters carry the instance tag, so another writer's of the same type and sink stay apart
            breakers = CircuitBreakerRegistry.custom()
                    .withTags(Map.of(DualWriteMetrics.TAG_INSTANCE, instance.value())).build();
            TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(cfg.observability().meters());
        }
        List<SinkChannel<T>> list = new ArrayList<>();
        Map<String, SinkChannel<T>> byName = new LinkedHashMap<>();
        for (SinkRegistration<T> r : cfg.sinks()) {
            SinkChannel<T> c = new SinkChannel<>(type, r.name(), r.sink(), r.settings(), executor, cfg.observability().meters(),
                    breakers);
            list.add(c);
            byName.put(r.name(), c);
        }
        this.channels = Collections.unmodifiableList(list);
        this.channelsByName = Collections.unmodifiableMap(byName);
        if (cfg.observability().observations() != null) {
            this.observations = cfg.observability().observations();
        } else {
            this.observations = ObservationRegistry.create();
            // the timer only: a long-task timer per write (the in-flight count) costs more than the coordinator itself
            this.observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(cfg.observability().meters(),
                    DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER));
        }
        this.acks = new Acknowledger(store, cfg.acknowledgements().batchSize(), cfg.acknowledgements().interval(), scheduler);
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    ErrorKind classifyStore(Throwable e) {
        try {
            ErrorKind k = store.classifier().classify(e);
            return k != null ? k : ErrorKind.UNKNOWN_OUTCOME;
        } catch (RuntimeException bug) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
    }

    /**
     * @return the change as one sink receives it: with its schema version, and, for an entity outside the
     *         sink's lowered ramp, as a delete at the same version (the sink must not hold it)
     */
    Change<T> forSink(Change<T> change, SinkChannel<T> c) {
        if (change.operation() == Operation.UPSERT && Ramp.role(change.id(), c.settings) == Ramp.Role.REMOVE) {
            return change.toBuilder().operation(Operation.DELETE).state(null).schemaVersion(c.settings.schemaVersion())
                    .build();
        }
        return withSchema(change, c);
    }

    Change<T> withSchema(Change<T> change, SinkChannel<T> c) {
        int schema = c.settings.schemaVersion();
        return schema == change.schemaVersion() ? change : change.toBuilder().schemaVersion(schema).build();
    }

    boolean deadLetter(Change<T> change, String sink, int attempts, ErrorKind kind, String firstError,
                               Throwable error, String intentRef) {
        return deadLetter(change.id(), change.version(), sink, attempts, kind, firstError, error,
                change.correlationId(), change.idempotencyKey(), intentRef);
    }

    boolean deadLetter(String id, long version, String sink, int attempts, ErrorKind kind, String firstError,
                               Throwable error, String correlationId, String idempotencyKey, String intentRef) {
        Instant now = cfg.observability().clock().instant();
        String last = SinkFailures.describe(error);
        String key = idempotencyKey != null ? idempotencyKey : IdempotencyKeys.of(type, id, version);
        DeadLetter dl = new DeadLetter(type, id, version, sink, Math.max(1, attempts), kind,
                firstError != null ? firstError : last, last, correlationId, key, now, now);
        try {
            cfg.deadLetterStore().add(dl);
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
    boolean deadLetterUnreadable(Snapshot<T> s, String sink, Intent intent, int attempts) {
        RuntimeException failure = s.readFailure().orElseThrow();
        // a dead letter names a version of at least 1: an adopted document the store never versioned has none
        return deadLetter(s.id(), Math.max(1, s.version()), sink, attempts, ErrorKind.PERMANENT,
                intent == null ? null : intent.firstError().orElse(null), new IllegalStateException("the primary's "
                        + type + "/" + s.id() + " cannot be decoded: " + failure, failure),
                intent == null ? null : intent.correlationId().orElse(null),
                intent == null ? null : intent.idempotencyKey().orElse(null),
                intent == null ? null : intent.ref().orElse(null));
    }

    /**
     * @param s      what the primary holds
     * @param intent the sink's pending intent, or null
     * @param c      the sink's channel, or null when it is not registered
     * @return the primary's current state as the change the sink receives
     */
    Change<T> changeOf(Snapshot<T> s, Intent intent, SinkChannel<T> c) {
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

    SinkChannel<T> channelFor(String sink) {
        Objects.requireNonNull(sink, "sink");
        ensureOpen();
        SinkChannel<T> c = channelsByName.get(sink);
        if (c == null) {
            throw new IllegalArgumentException("sink '" + sink + "' is not registered with the " + type + " writer");
        }
        return c;
    }

    /** Flushes what is left to acknowledge, releases the breakers it created, stops the threads it owns. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            acks.close();
        } finally {
            // a writer built again with the same registry starts from the breakers it then creates
            channels.forEach(SinkChannel::releaseBreaker);
            instance.release();
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

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the " + type + " writer is closed");
        }
    }

    /**
     * @return the counter, registered with the writer's meters and guarded: the registry's failure never changes what
     *         a write or a delivery does, nor hides it
     */
    Counter counter(String name, String... tags) {
        return counters.computeIfAbsent(name + String.join("|", tags), k -> SafeMeters.counter(name, () -> Counter
                .builder(name).tag(DualWriteMetrics.TAG_TYPE, type).tags(tags).register(cfg.observability().meters())));
    }
}
