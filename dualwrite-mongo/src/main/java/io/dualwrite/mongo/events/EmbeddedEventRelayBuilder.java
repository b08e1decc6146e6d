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
package io.dualwrite.mongo.events;

import com.mongodb.client.MongoCollection;
import io.dualwrite.Change;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.events.internal.DefaultEmbeddedEventRelay;
import io.dualwrite.mongo.events.internal.EventRelaySettings;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds an {@link EmbeddedEventRelay}. Not thread-safe.
 *
 * @param <T> the entity type
 */
public final class EmbeddedEventRelayBuilder<T> {
    private final MongoCollection<T> collection;
    private final Map<String, EventRelaySettings.EventSink<T>> sinks = new LinkedHashMap<>();
    private CircuitBreakerRegistry circuitBreakerRegistry;
    private String entityType;
    private DeadLetterStore deadLetters;
    private IdType idType = IdType.STRING;
    private String owner = "relay-" + UUID.randomUUID();
    private Duration lease = EmbeddedEventRelay.DEFAULT_LEASE;
    private int batchSize = EmbeddedEventRelay.DEFAULT_BATCH_SIZE;
    private int maxAttempts = EmbeddedEventRelay.DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = EmbeddedEventRelay.DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = EmbeddedEventRelay.DEFAULT_MAX_BACKOFF;
    private Duration pollInterval = EmbeddedEventRelay.DEFAULT_POLL_INTERVAL;
    private Duration maxClockSkew = EmbeddedEventRelay.DEFAULT_MAX_CLOCK_SKEW;
    private int schemaVersion = Change.DEFAULT_SCHEMA_VERSION;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry meterRegistry = new SimpleMeterRegistry();
    private boolean createIndexes = true;

    EmbeddedEventRelayBuilder(MongoCollection<T> collection) {
        this.collection = Objects.requireNonNull(collection, "collection");
    }

    /**
     * @param entityType the entity type of the changes (as the writer's); required
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> entityType(String entityType) {
        Objects.requireNonNull(entityType, "entityType");
        Args.notBlank(entityType, "entityType");
        this.entityType = entityType;
        return this;
    }

    /**
     * Registers an event sink with {@link SinkSettings#DEFAULT}; see {@link #sink(String, Sink, SinkSettings)}.
     *
     * @param name a sink name (no dot, no {@code $}), unique
     * @param sink an event sink; it receives every version of every entity, in order per entity
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> sink(String name, Sink<T> sink) {
        return sink(name, sink, SinkSettings.DEFAULT);
    }

    /**
     * Registers an event sink. Each event reaches it through the same delivery pipeline as a writer's sinks
     * ({@link io.dualwrite.SinkPipeline}): the settings' time limit per call, circuit breaker (named
     * {@code dualwrite.<entityType>.events.<name>}), bulkhead and jittered retries within a pass, the sink's
     * classification of its failures, and the {@code dualwrite.sink.apply} timer with {@code path=events}.
     * A failure left after those retries counts one of the relay's attempts ({@link #retry}); a sink whose
     * circuit is open is not called and spends no attempt. The delivery policy and ramp of the settings do not
     * apply: every event goes to every event sink.
     *
     * @param name     a sink name (no dot, no {@code $}), unique
     * @param sink     an event sink; it receives every version of every entity, in order per entity
     * @param settings its time limit, retries within a pass, breaker and bulkhead
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> sink(String name, Sink<T> sink, SinkSettings settings) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(settings, "settings");
        if (name.isEmpty() || name.contains(".") || name.startsWith("$")) {
            throw new IllegalArgumentException("a sink name must be non-empty, without dots, not start with $: " + name);
        }
        if (sinks.putIfAbsent(name, new EventRelaySettings.EventSink<>(sink, settings)) != null) {
            throw new IllegalArgumentException("sink " + name + " is registered twice");
        }
        return this;
    }

    /**
     * @param registry where the event sinks' circuit breakers come from; default one of the relay's own,
     *                 published to its meter registry
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> circuitBreakerRegistry(CircuitBreakerRegistry registry) {
        this.circuitBreakerRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param store where events that cannot be published go; required
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> deadLetterStore(DeadLetterStore store) {
        this.deadLetters = Objects.requireNonNull(store, "store");
        return this;
    }

    /**
     * @param idType how ids are stored in {@code _id}, as for the store; default {@link IdType#STRING}
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> idType(IdType idType) {
        this.idType = Objects.requireNonNull(idType, "idType");
        return this;
    }

    /**
     * @param owner this relay's id in leases; default {@code relay-<random UUID>}
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> owner(String owner) {
        this.owner = Objects.requireNonNull(owner, "owner");
        return this;
    }

    /**
     * @param lease how long a claimed document stays this relay's, positive; default 30 s. It must hold each event
     *              sink's longest delivery, {@link #maxClockSkew} and {@link EmbeddedEventRelay#LEASE_HEADROOM}
     *              ({@link #build()} checks)
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> lease(Duration lease) {
        this.lease = Args.positive(lease, "lease");
        return this;
    }

    /**
     * How far the clocks of the relays that share the collection may disagree. A lease's end is written with the
     * claiming relay's clock and judged with the others', so a relay starts a delivery only while its lease has room
     * for the longest delivery plus this much: another relay whose clock is ahead by up to this much never claims the
     * document while that delivery may still run. Keep the hosts' clocks in step (NTP) to well within it.
     *
     * @param skew not negative; default 2 s
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> maxClockSkew(Duration skew) {
        Objects.requireNonNull(skew, "skew");
        if (skew.isNegative()) {
            throw new IllegalArgumentException("maxClockSkew must not be negative: " + skew);
        }
        this.maxClockSkew = skew;
        return this;
    }

    /**
     * @param size documents per pass, at least 1; default {@value EmbeddedEventRelay#DEFAULT_BATCH_SIZE}
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> batchSize(int size) {
        Args.atLeast(size, 1, "batchSize");
        this.batchSize = size;
        return this;
    }

    /**
     * @param maxAttempts attempts per event and sink before dead-lettering, at least 1; default 10
     * @param initial     first retry delay, positive; default 1 s. Each delay doubles, spread by
     *                    ±50 % derived from the entity, the sink and the attempt
     * @param max         longest retry delay, not below initial; default 5 min
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> retry(int maxAttempts, Duration initial, Duration max) {
        RetryBackoff.check(maxAttempts, initial, max);
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initial;
        this.maxBackoff = max;
        return this;
    }

    /**
     * @param interval wait after a pass that found nothing, positive; default 200 ms
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> pollInterval(Duration interval) {
        this.pollInterval = Args.positive(interval, "interval");
        return this;
    }

    /**
     * @param schemaVersion the schema version the changes carry, at least 1; default 1
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> schemaVersion(int schemaVersion) {
        Args.atLeast(schemaVersion, 1, "schemaVersion");
        this.schemaVersion = schemaVersion;
        return this;
    }

    /**
     * @param clock the clock of due times and leases; default UTC system clock
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * @param registry where the relay's meters go; default a private {@link SimpleMeterRegistry}
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> meterRegistry(MeterRegistry registry) {
        this.meterRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param create whether {@link #build()} creates the index {@value EmbeddedEvents#INDEX_DUE}; default true
     * @return this
     */
    public EmbeddedEventRelayBuilder<T> createIndexes(boolean create) {
        this.createIndexes = create;
        return this;
    }

    /**
     * @return the relay, not started
     * @throws IllegalStateException if the entity type, the dead-letter store or every sink is missing, or the
     *                               lease cannot hold one delivery to a sink
     */
    public EmbeddedEventRelay build() {
        if (entityType == null) {
            throw new IllegalStateException("entityType is required");
        }
        if (deadLetters == null) {
            throw new IllegalStateException("deadLetterStore is required");
        }
        if (sinks.isEmpty()) {
            throw new IllegalStateException("register at least one event sink");
        }
        for (Map.Entry<String, EventRelaySettings.EventSink<T>> e : sinks.entrySet()) {
            Duration longest = DefaultEmbeddedEventRelay.longestDelivery(e.getValue().settings());
            if (longest.plus(maxClockSkew).plus(EmbeddedEventRelay.LEASE_HEADROOM).compareTo(lease) > 0) {
                throw new IllegalStateException("the lease of " + lease + " cannot hold one delivery to event sink '"
                        + e.getKey() + "', which may take " + longest + " (attempt timeout × attempts, and the"
                        + " longest waits between them), the clock skew of " + maxClockSkew + " and "
                        + EmbeddedEventRelay.LEASE_HEADROOM + " for the claim itself: lengthen the lease or shorten the"
                        + " sink's settings");
            }
        }
        return new DefaultEmbeddedEventRelay<>(new EventRelaySettings<>(collection, entityType, sinks,
                circuitBreakerRegistry, deadLetters, idType,
                new EventRelaySettings.Passes(owner, lease, batchSize, pollInterval, maxClockSkew), maxAttempts,
                new RetryBackoff(initialBackoff, maxBackoff), schemaVersion, clock, meterRegistry, createIndexes));
    }
}
