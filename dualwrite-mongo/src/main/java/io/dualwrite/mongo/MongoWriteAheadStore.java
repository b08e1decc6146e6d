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

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.spi.PrimaryStore;
import org.bson.BsonDocument;

import java.util.List;

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
 * <p><b>Reads</b> ({@link #read}, {@link #scan}, recovery's claims) return only what the entity's record
 * accounts for: a document above what the record remembers (a write whose last command failed, or a write
 * from outside the store), below what the store gave the entity (an older copy put back), or a delete not
 * yet marked done has the record learn it first, under the entity's write turn, so that no later write
 * through the store reuses a version a sink may hold. Such a read costs a few more commands, once, and
 * waits for a write holding the entity up to the write wait, then fails with
 * {@link MongoEntityBusyException} ({@code TRANSIENT}).
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
    /**
     * Default number of entities whose record an instance remembers (as its own last save of each left it), so
     * that its next save of one takes the write turn and records the intent in one command.
     */
    long DEFAULT_RECORD_CACHE_ENTITIES = 100_000;
    /** Default time an entity's record is remembered after this instance's last save of it. */
    java.time.Duration DEFAULT_RECORD_CACHE_EXPIRY = java.time.Duration.ofMinutes(10);
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
    static <T> MongoWriteAheadStoreBuilder<T> builder(MongoDatabase database, MongoCollection<T> collection) {
        return new MongoWriteAheadStoreBuilder<>(database, collection);
    }

    /** @return the entity collection */
    MongoCollection<T> collection();

    /** @return the intent collection */
    MongoCollection<BsonDocument> intentCollection();

    /**
     * Creates the intent collection's indexes if they are missing, and marks the intent collection
     * as this entity collection's (by its name). Idempotent; the builder calls it unless
     * {@code createIndexes(false)}.
     *
     * @return the indexes' names
     * @throws IllegalStateException when the intent collection is marked as another entity
     *                               collection's: records and intents are keyed by the entity id alone
     */
    List<String> ensureIndexes();
}
