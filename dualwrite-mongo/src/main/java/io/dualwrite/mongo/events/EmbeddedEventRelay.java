package io.dualwrite.mongo.events;

import com.mongodb.client.MongoCollection;
import io.dualwrite.Change;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.events.internal.DefaultEmbeddedEventRelay;
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
 * Publishes the events {@link EmbeddedEvents} recorded in an entity collection's documents.
 *
 * <p>Each pass claims documents whose events are due (an indexed query on
 * {@value EmbeddedEvents#DUE_PATH}) with a lease, so several relays share the work and never
 * publish one entity at the same time; publishes each entity's events in version order to every
 * event sink, one {@link Sink#apply} at a time; records per sink the last version published; and
 * removes the events every sink has (a tombstone whose events and intents are all gone leaves the
 * collection). A relay that dies mid-entity leaves its lease to expire; the next relay resumes
 * after the last version recorded as published, so an event may be published again but never
 * skipped: consumers deduplicate by the envelope's id or by {@code entityversion}.
 *
 * <p>Whatever a sink throws for an event is that event's own failure, an {@link Error} included;
 * only the JVM's fatal errors ({@link io.dualwrite.ErrorClassifier#isFatal}) propagate, and the
 * document waits for its lease to run out. A transient failure stops that sink at the failed event
 * and retries it later with exponential backoff and jitter (other sinks and other entities go on).
 * Attempts are counted per event and sink and kept in the document, so they survive a restart and a
 * later event of the same entity starts its own count. A permanent failure (an {@code Error} always
 * is one, whatever the sink's classifier says), or a transient one whose attempts are spent, puts
 * the event in the dead-letter store (entity, version, sink, attempts, first and last error) and
 * that sink moves past it. A relay that dies after storing a dead letter and before recording the
 * move tries the event once more on the next claim: it is published, or dead-lettered again (the
 * store merges the two), so nothing is skipped unseen.
 *
 * <pre>{@code
 * EmbeddedEventRelay relay = EmbeddedEventRelay.builder(products)
 *         .entityType("product")
 *         .sink("audit", auditSink)
 *         .deadLetterStore(deadLetters)
 *         .build();
 * relay.start();
 * }</pre>
 *
 * Thread-safe.
 */
public interface EmbeddedEventRelay extends AutoCloseable {
    /** Default most documents claimed per pass. */
    int DEFAULT_BATCH_SIZE = 100;
    /** Default lease on a claimed document. */
    Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** Default wait between passes that found nothing. */
    Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(200);
    /** Default publishing attempts of one event at one sink before it is dead-lettered. */
    int DEFAULT_MAX_ATTEMPTS = 10;
    /** Default first retry delay. */
    Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Default longest retry delay. */
    Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);

    /**
     * @param collection the entity collection whose store records events, with its codec registry
     * @param <T>        the entity type
     * @return a new builder
     */
    static <T> Builder<T> builder(MongoCollection<T> collection) {
        return new Builder<>(collection);
    }

    /**
     * One pass: claims up to the batch size of documents whose events are due, publishes and
     * removes their events.
     *
     * @return events published (counting each sink)
     * @throws IllegalStateException when closed
     */
    int publishDue();

    /**
     * Runs passes until one publishes nothing.
     *
     * @param maxPasses the most passes, at least 1
     * @return events published in all
     */
    long drain(int maxPasses);

    /** @return documents holding undelivered events (due or not) */
    long backlog();

    /** Starts a daemon thread running passes, waiting the poll interval after an empty one. Idempotent. */
    void start();

    /** Stops the thread after its current pass. Idempotent. */
    @Override
    void close();

    /**
     * Builds an {@link EmbeddedEventRelay}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    final class Builder<T> {
        private final MongoCollection<T> collection;
        private final Map<String, Sink<T>> sinks = new LinkedHashMap<>();
        private final Map<String, SinkSettings> sinkSettings = new LinkedHashMap<>();
        private CircuitBreakerRegistry circuitBreakerRegistry;
        private String entityType;
        private DeadLetterStore deadLetters;
        private IdType idType = IdType.STRING;
        private String owner = "relay-" + UUID.randomUUID();
        private Duration lease = DEFAULT_LEASE;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private int schemaVersion = Change.DEFAULT_SCHEMA_VERSION;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();
        private boolean createIndexes = true;

        private Builder(MongoCollection<T> collection) {
            this.collection = Objects.requireNonNull(collection, "collection");
        }

        /**
         * @param entityType the entity type of the changes (as the writer's); required
         * @return this
         */
        public Builder<T> entityType(String entityType) {
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
        public Builder<T> sink(String name, Sink<T> sink) {
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
        public Builder<T> sink(String name, Sink<T> sink, SinkSettings settings) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sink, "sink");
            Objects.requireNonNull(settings, "settings");
            if (name.isEmpty() || name.contains(".") || name.startsWith("$")) {
                throw new IllegalArgumentException("a sink name must be non-empty, without dots, not start with $: " + name);
            }
            if (sinks.putIfAbsent(name, sink) != null) {
                throw new IllegalArgumentException("sink " + name + " is registered twice");
            }
            sinkSettings.put(name, settings);
            return this;
        }

        /**
         * @param registry where the event sinks' circuit breakers come from; default one of the relay's own,
         *                 published to its meter registry
         * @return this
         */
        public Builder<T> circuitBreakerRegistry(CircuitBreakerRegistry registry) {
            this.circuitBreakerRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param store where events that cannot be published go; required
         * @return this
         */
        public Builder<T> deadLetterStore(DeadLetterStore store) {
            this.deadLetters = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * @param idType how ids are stored in {@code _id}, as for the store; default {@link IdType#STRING}
         * @return this
         */
        public Builder<T> idType(IdType idType) {
            this.idType = Objects.requireNonNull(idType, "idType");
            return this;
        }

        /**
         * @param owner this relay's id in leases; default {@code relay-<random UUID>}
         * @return this
         */
        public Builder<T> owner(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
            return this;
        }

        /**
         * @param lease how long a claimed document stays this relay's, positive; default 30 s
         * @return this
         */
        public Builder<T> lease(Duration lease) {
            this.lease = positive(lease, "lease");
            return this;
        }

        /**
         * @param size documents per pass, at least 1; default {@value EmbeddedEventRelay#DEFAULT_BATCH_SIZE}
         * @return this
         */
        public Builder<T> batchSize(int size) {
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
        public Builder<T> retry(int maxAttempts, Duration initial, Duration max) {
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
        public Builder<T> pollInterval(Duration interval) {
            this.pollInterval = positive(interval, "interval");
            return this;
        }

        /**
         * @param schemaVersion the schema version the changes carry, at least 1; default 1
         * @return this
         */
        public Builder<T> schemaVersion(int schemaVersion) {
            Args.atLeast(schemaVersion, 1, "schemaVersion");
            this.schemaVersion = schemaVersion;
            return this;
        }

        /**
         * @param clock the clock of due times and leases; default UTC system clock
         * @return this
         */
        public Builder<T> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param registry where the relay's meters go; default a private {@link SimpleMeterRegistry}
         * @return this
         */
        public Builder<T> meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the index {@value EmbeddedEvents#INDEX_DUE}; default true
         * @return this
         */
        public Builder<T> createIndexes(boolean create) {
            this.createIndexes = create;
            return this;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
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
            for (Map.Entry<String, SinkSettings> e : sinkSettings.entrySet()) {
                Duration longest = DefaultEmbeddedEventRelay.longestDelivery(e.getValue());
                if (longest.compareTo(lease) >= 0) {
                    throw new IllegalStateException("the lease of " + lease + " cannot hold one delivery to event sink '"
                            + e.getKey() + "', which may take " + longest + " (attempt timeout × attempts, and the"
                            + " waits between them): lengthen the lease or shorten the sink's settings");
                }
            }
            return new DefaultEmbeddedEventRelay<>(collection, entityType, sinks, sinkSettings, circuitBreakerRegistry,
                    deadLetters, idType, owner, lease, batchSize, maxAttempts, initialBackoff, maxBackoff, pollInterval,
                    schemaVersion, clock, meterRegistry, createIndexes);
        }
    }
}
