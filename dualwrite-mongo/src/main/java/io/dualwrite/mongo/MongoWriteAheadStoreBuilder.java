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
package io.dualwrite.mongo;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.IdMapping;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.mongo.internal.WriteAheadIntentStore;
import io.dualwrite.mongo.internal.WriteAheadStoreSettings;
import org.bson.BsonDocument;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Builds a {@link MongoWriteAheadStore}. Not thread-safe.
 *
 * @param <T> the entity type
 */
public final class MongoWriteAheadStoreBuilder<T> {
    private final MongoDatabase database;
    private final MongoCollection<T> collection;
    private String intentCollection;
    private MongoCollection<BsonDocument> intentCollectionItself;
    private String versionField = MongoWriteAheadStore.DEFAULT_VERSION_FIELD;
    private Duration settleTime = MongoWriteAheadStore.DEFAULT_SETTLE_TIME;
    private Duration writeLease = MongoWriteAheadStore.DEFAULT_WRITE_LEASE;
    private Duration writeWait = MongoWriteAheadStore.DEFAULT_WRITE_WAIT;
    private IdType idType = IdType.STRING;
    private Clock clock = Clock.systemUTC();
    private boolean createIndexes = true;
    private WriteAheadStoreSettings.RecordCache recordCache = new WriteAheadStoreSettings.RecordCache(
            MongoWriteAheadStore.DEFAULT_RECORD_CACHE_ENTITIES, MongoWriteAheadStore.DEFAULT_RECORD_CACHE_EXPIRY);

    MongoWriteAheadStoreBuilder(MongoDatabase database, MongoCollection<T> collection) {
        this.database = Objects.requireNonNull(database, "database");
        this.collection = Objects.requireNonNull(collection, "collection");
    }

    /**
     * Names the intent collection. Each entity collection needs one of its own: its records and
     * intents are keyed by the entity id alone. {@link MongoWriteAheadStore#ensureIndexes()}, which
     * {@link #build()} calls unless {@link #createIndexes(boolean)} is off, marks the intent
     * collection with the entity collection's name and throws {@link IllegalStateException} when
     * another entity collection's store marked it first.
     *
     * @param name the intent collection, in the builder's database; default the entity
     *             collection's name + {@value MongoWriteAheadStore#DEFAULT_INTENT_COLLECTION_SUFFIX}
     * @return this
     */
    public MongoWriteAheadStoreBuilder<T> intentCollection(String name) {
        Objects.requireNonNull(name, "name");
        Args.notBlank(name, "intent collection name");
        this.intentCollection = name;
        return this;
    }

    /**
     * @param intents the intent collection itself, for example with settings of its own; it must
     *                not be the entity collection, nor another entity collection's intent collection
     *                (see {@link #intentCollection(String)}); default the one named by
     *                {@link #intentCollection(String)}
     * @return this
     */
    public MongoWriteAheadStoreBuilder<T> intentCollection(MongoCollection<BsonDocument> intents) {
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
    public MongoWriteAheadStoreBuilder<T> writeLease(Duration lease, Duration wait) {
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
    public MongoWriteAheadStoreBuilder<T> versionField(String field) {
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
    public MongoWriteAheadStoreBuilder<T> idType(IdType idType) {
        this.idType = Objects.requireNonNull(idType, "idType");
        return this;
    }

    /**
     * @param clock the clock for snapshot times when no write time is recorded; default the system UTC clock
     * @return this
     */
    public MongoWriteAheadStoreBuilder<T> clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * @param settleTime how long after its intent a caller's own write may still land, positive;
     *                   recovery drops an intent whose entity shows no trace of the write only once
     *                   it is older than this; default {@link MongoWriteAheadStore#DEFAULT_SETTLE_TIME}
     * @return this
     */
    public MongoWriteAheadStoreBuilder<T> settleTime(Duration settleTime) {
        Objects.requireNonNull(settleTime, "settleTime");
        Args.positive(settleTime, "settleTime");
        this.settleTime = settleTime;
        return this;
    }

    /**
     * Bounds what this instance remembers (kept with Caffeine) of the entities' records in the intent collection:
     * per entity, its version base and the version field its last save through this instance left. A save of an
     * entity it remembers takes the write turn and records its intent in one command, conditional on the record
     * still being as remembered; when another instance (or a delete) changed it meanwhile, the condition fails
     * and the save takes the turn as it would without this cache (one command more). An instance that remembers
     * records also learns whether the ids it does not remember have lately had none (new entities): then such a
     * save creates the record with the turn and records its intent in one command, which only inserts. What is
     * remembered only ever saves commands, never decides a version.
     *
     * @param maxEntities the most entities remembered, 0 to remember none; default
     *                    {@value MongoWriteAheadStore#DEFAULT_RECORD_CACHE_ENTITIES}
     * @param expireAfter how long an entity is remembered after this instance's last save of it, positive;
     *                    default {@link MongoWriteAheadStore#DEFAULT_RECORD_CACHE_EXPIRY}
     * @return this
     * @throws IllegalArgumentException if {@code maxEntities} is negative or {@code expireAfter} not positive
     */
    public MongoWriteAheadStoreBuilder<T> recordCache(long maxEntities, Duration expireAfter) {
        Objects.requireNonNull(expireAfter, "expireAfter");
        Args.positive(expireAfter, "expireAfter");
        this.recordCache = new WriteAheadStoreSettings.RecordCache(maxEntities, expireAfter);
        return this;
    }

    /**
     * @param create whether {@link #build()} creates the indexes and marks the intent collection as
     *               the entity collection's (see {@link #intentCollection(String)}); default true
     * @return this
     */
    public MongoWriteAheadStoreBuilder<T> createIndexes(boolean create) {
        this.createIndexes = create;
        return this;
    }

    /**
     * @return the store
     * @throws IllegalStateException if the intent collection is the entity collection or holds another
     *                               entity collection's intents, the write lease
     *                               is not shorter than the settle time, or the collection's entity class is a
     *                               record or POJO whose id the driver's record or POJO codec does not map to
     *                               {@code _id} (the id needs {@code @BsonId})
     */
    public MongoWriteAheadStore<T> build() {
        IdMapping.requireIdMapsToUnderscoreId(collection);
        MongoCollection<BsonDocument> intents = intentCollectionItself;
        if (intents == null) {
            String name = intentCollection != null ? intentCollection
                    : collection.getNamespace().getCollectionName() + MongoWriteAheadStore.DEFAULT_INTENT_COLLECTION_SUFFIX;
            intents = database.getCollection(name, BsonDocument.class)
                    .withWriteConcern(collection.getWriteConcern()).withReadConcern(collection.getReadConcern());
        }
        intents = OnPrimary.of(intents.withCodecRegistry(MongoClientSettings.getDefaultCodecRegistry()));
        if (collection.getNamespace().equals(intents.getNamespace())) {
            throw new IllegalStateException("the intent collection must differ from the entity collection");
        }
        if (writeLease.compareTo(settleTime) >= 0) {
            throw new IllegalStateException("the write lease (" + writeLease + ") must be shorter than the settle"
                    + " time (" + settleTime + "): recovery must not settle a write that still holds its entity");
        }
        return new WriteAheadIntentStore<>(new WriteAheadStoreSettings<>(collection, intents, idType, versionField, clock,
                createIndexes, new WriteAheadStoreSettings.Timings(settleTime, writeLease, writeWait),
                recordCache));
    }
}
