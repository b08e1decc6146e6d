package io.dualwrite.mongo;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.Ids;
import io.dualwrite.mongo.internal.WriteAheadIntentStore;
import io.dualwrite.spi.PrimaryStore;
import org.bson.BsonDocument;

import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * The MongoDB primary store for code that keeps its own save call (a Spring Data repository,
 * its own {@code MongoCollection} call): the write-ahead mode. For each
 * {@link io.dualwrite.DualWriter#saveWith saveWith}/{@link io.dualwrite.DualWriter#deleteWith deleteWith}
 * it records the intent in an intent collection first, reads the before-image, runs the caller's
 * write, reads the entity back and returns its state and version; recovery reads whatever state
 * the primary holds and delivers that.
 *
 * <pre>{@code
 * MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(database,
 *                 database.getCollection("orders", Order.class))
 *         .versionField("version")          // Spring Data's @Version field
 *         .build();
 * DualWriter<Order> orders = DualWriter.<Order>builder().entityType("order").primary(store)
 *         .deadLetterStore(MongoDeadLetterStore.builder(database).build()).sink("search", searchSink).build();
 * orders.saveWith(order.getId(), () -> orderRepository.save(order));
 * }</pre>
 *
 * <p><b>Versions</b> come from a numeric field of the document that every save increments (a
 * Spring Data {@code @Version} field, 0 for a new document): dualwrite's version is that field
 * plus a per-entity base kept in the intent collection, {@link io.dualwrite.Versions#firstVersion}
 * of the first save (or the pending delete's version + 1 for an entity saved again before its
 * tombstone left). A document written before the store managed it has base 1.
 *
 * <p><b>Differences from {@link MongoPrimaryStore}:</b> request keys are not deduplicated (the
 * caller's own save decides what a repeat does); the expected-version check runs before the
 * caller's write and is not atomic with it (use the {@code @Version} field for that); a caller's
 * write must finish within the coordinator's grace period, or recovery may deliver the state
 * before it. Thread-safe; several processes may share the collections.
 *
 * @param <T> the entity type
 */
public interface MongoWriteAheadStore<T> extends PrimaryStore<T> {
    /** Suffix of the default intent collection's name, after the entity collection's name. */
    String DEFAULT_INTENT_COLLECTION_SUFFIX = "_dualwrite_intents";
    /** Default name of the document's numeric version field. */
    String DEFAULT_VERSION_FIELD = "version";
    /**
     * Default settle time: how long after its intent a caller's own write may still land. Recovery
     * never drops a younger intent as "the caller's write did not happen".
     */
    java.time.Duration DEFAULT_SETTLE_TIME = java.time.Duration.ofMinutes(5);
    /**
     * Default write lease: how long one {@code saveWith}/{@code deleteWith} may hold an entity. Writes
     * of one entity through the store take turns, so each knows the version it made; a writer that
     * stops while holding the entity gives it up when the lease ends.
     */
    java.time.Duration DEFAULT_WRITE_LEASE = java.time.Duration.ofSeconds(30);
    /** Default longest wait for an entity another write holds, before the write fails (TRANSIENT, nothing written). */
    java.time.Duration DEFAULT_WRITE_WAIT = java.time.Duration.ofSeconds(5);
    /** Name of the index on the intents' due time. */
    String INDEX_DUE = "dualwrite_intents_due";
    /** Name of the index on the intents' entity id. */
    String INDEX_ENTITY = "dualwrite_intents_entity";
    /** Name of the index on lease expiry. */
    String INDEX_LEASE = "dualwrite_intents_lease";

    /**
     * @param database   the database that holds the intent collection (usually the entity collection's)
     * @param collection the entity collection the caller's own writes go to
     * @param <T>        the entity type
     * @return a new builder
     */
    static <T> Builder<T> builder(MongoDatabase database, MongoCollection<T> collection) {
        return new Builder<>(database, collection);
    }

    /** @return the entity collection */
    MongoCollection<T> collection();

    /** @return the intent collection */
    MongoCollection<BsonDocument> intentCollection();

    /**
     * Creates the intent collection's indexes if they are missing. Idempotent.
     *
     * @return their names
     */
    List<String> ensureIndexes();

    /**
     * Builds a {@link MongoWriteAheadStore}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    final class Builder<T> {
        private final MongoDatabase database;
        private final MongoCollection<T> collection;
        private String intentCollection;
        private MongoCollection<BsonDocument> intentCollectionItself;
        private String versionField = DEFAULT_VERSION_FIELD;
        private java.time.Duration settleTime = DEFAULT_SETTLE_TIME;
        private java.time.Duration writeLease = DEFAULT_WRITE_LEASE;
        private java.time.Duration writeWait = DEFAULT_WRITE_WAIT;
        private IdType idType = IdType.STRING;
        private Clock clock = Clock.systemUTC();
        private boolean createIndexes = true;

        private Builder(MongoDatabase database, MongoCollection<T> collection) {
            this.database = Objects.requireNonNull(database, "database");
            this.collection = Objects.requireNonNull(collection, "collection");
        }

        /**
         * @param name the intent collection, in the builder's database; default the entity
         *             collection's name + {@value MongoWriteAheadStore#DEFAULT_INTENT_COLLECTION_SUFFIX}
         * @return this
         */
        public Builder<T> intentCollection(String name) {
            Objects.requireNonNull(name, "name");
            Args.notBlank(name, "intent collection name");
            this.intentCollection = name;
            return this;
        }

        /**
         * @param intents the intent collection itself, for example with settings of its own; it must
         *                not be the entity collection; default the one named by {@link #intentCollection(String)}
         * @return this
         */
        public Builder<T> intentCollection(MongoCollection<BsonDocument> intents) {
            this.intentCollectionItself = Objects.requireNonNull(intents, "intents");
            return this;
        }

        /**
         * @param lease how long one write may hold an entity, positive and below the settle time; default
         *              {@link MongoWriteAheadStore#DEFAULT_WRITE_LEASE}. The caller's own write must finish
         *              within it, and the hosts' clocks must agree to well within it.
         * @param wait  how long a write waits for an entity another write holds, not negative; default
         *              {@link MongoWriteAheadStore#DEFAULT_WRITE_WAIT}
         * @return this
         */
        public Builder<T> writeLease(java.time.Duration lease, java.time.Duration wait) {
            Objects.requireNonNull(lease, "lease");
            Objects.requireNonNull(wait, "wait");
            if (lease.isNegative() || lease.isZero() || wait.isNegative()) {
                throw new IllegalArgumentException("need a positive lease and a wait of at least 0, got " + lease
                        + " and " + wait);
            }
            this.writeLease = lease;
            this.writeWait = wait;
            return this;
        }

        /**
         * @param field the document's numeric version field that every save increments; default
         *              {@value MongoWriteAheadStore#DEFAULT_VERSION_FIELD}
         * @return this
         */
        public Builder<T> versionField(String field) {
            Objects.requireNonNull(field, "field");
            if (field.isBlank() || "_id".equals(field)) {
                throw new IllegalArgumentException("version field must be a named field other than _id, was '" + field + "'");
            }
            this.versionField = field;
            return this;
        }

        /**
         * @param idType how ids are stored in {@code _id}; default {@link IdType#STRING}
         * @return this
         */
        public Builder<T> idType(IdType idType) {
            this.idType = Objects.requireNonNull(idType, "idType");
            return this;
        }

        /**
         * @param clock the clock for snapshot times when no write time is recorded; default the system UTC clock
         * @return this
         */
        public Builder<T> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param settleTime how long after its intent a caller's own write may still land, positive;
         *                   recovery drops an intent whose entity shows no trace of the write only once
         *                   it is older than this; default {@link MongoWriteAheadStore#DEFAULT_SETTLE_TIME}
         * @return this
         */
        public Builder<T> settleTime(java.time.Duration settleTime) {
            Objects.requireNonNull(settleTime, "settleTime");
            Args.positive(settleTime, "settleTime");
            this.settleTime = settleTime;
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the indexes; default true
         * @return this
         */
        public Builder<T> createIndexes(boolean create) {
            this.createIndexes = create;
            return this;
        }

        /**
         * @return the store
         * @throws IllegalStateException if the intent collection is the entity collection, or the write lease
         *                               is not shorter than the settle time
         */
        public MongoWriteAheadStore<T> build() {
            MongoCollection<BsonDocument> intents = intentCollectionItself;
            if (intents == null) {
                String name = intentCollection != null ? intentCollection
                        : collection.getNamespace().getCollectionName() + DEFAULT_INTENT_COLLECTION_SUFFIX;
                intents = database.getCollection(name, BsonDocument.class)
                        .withWriteConcern(collection.getWriteConcern()).withReadConcern(collection.getReadConcern())
                        .withReadPreference(collection.getReadPreference());
            }
            intents = intents.withCodecRegistry(MongoClientSettings.getDefaultCodecRegistry());
            if (collection.getNamespace().equals(intents.getNamespace())) {
                throw new IllegalStateException("the intent collection must differ from the entity collection");
            }
            if (writeLease.compareTo(settleTime) >= 0) {
                throw new IllegalStateException("the write lease (" + writeLease + ") must be shorter than the settle"
                        + " time (" + settleTime + "): recovery must not settle a write that still holds its entity");
            }
            return new WriteAheadIntentStore<>(collection, intents, new Ids(idType), versionField, clock, createIndexes,
                    new WriteAheadIntentStore.Timings(settleTime, writeLease, writeWait));
        }
    }
}
