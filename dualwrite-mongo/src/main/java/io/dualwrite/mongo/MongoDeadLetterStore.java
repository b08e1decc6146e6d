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

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.ErrorKind;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.spi.DeadLetterStore;
import org.bson.Document;
import org.bson.conversions.Bson;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A durable {@link DeadLetterStore} in a MongoDB collection (default
 * {@value #DEFAULT_COLLECTION}), one document per entity and sink ({@link DeadLetter#id()} as
 * {@code _id}): a later failure of the same entity at the same sink is merged into it, atomically
 * with one upsert. Operators list, inspect, replay and discard them through
 * {@link io.dualwrite.DualWriter#deadLetters()}.
 *
 * <pre>{@code
 * DeadLetterStore deadLetters = MongoDeadLetterStore.builder(database).build();
 * }</pre>
 * Thread-safe; several processes may share the collection.
 */
public final class MongoDeadLetterStore implements DeadLetterStore {
    /** Default collection name. */
    public static final String DEFAULT_COLLECTION = "dualwrite_dead_letters";
    /** Name of the index used to list by entity type, sink and kind, oldest first. */
    public static final String INDEX_QUERY = "dualwrite_dead_letters_query";
    /** Name of the index used to list one entity's dead letters. */
    public static final String INDEX_ENTITY = "dualwrite_dead_letters_entity";
    /** Name of the index used to list everything oldest first. */
    public static final String INDEX_CREATED = "dualwrite_dead_letters_created";
    /** Field of a dead letter's document: the entity type. */
    public static final String FIELD_TYPE = "type";
    /** Field of a dead letter's document: the entity id. */
    public static final String FIELD_ENTITY_ID = "entityId";
    /** Field of a dead letter's document: the sink name. */
    public static final String FIELD_SINK = "sink";
    /** Field of a dead letter's document: the last failure's {@link ErrorKind} name. */
    public static final String FIELD_KIND = "kind";
    /** Field of a dead letter's document: the version that could not be delivered. */
    public static final String FIELD_VERSION = "version";
    /** Field of a dead letter's document: when it was first stored. */
    public static final String FIELD_CREATED_AT = "createdAt";
    /** Field of a dead letter's document: the delivery attempts made, added up over merged failures. */
    public static final String FIELD_ATTEMPTS = "attempts";
    /** Field of a dead letter's document: when the last attempt failed. */
    public static final String FIELD_LAST_FAILED_AT = "lastFailedAt";

    private final MongoCollection<Document> collection;

    private MongoDeadLetterStore(MongoCollection<Document> collection, boolean createIndexes) {
        this.collection = collection;
        if (createIndexes) {
            ensureIndexes();
        }
    }

    /**
     * @param database the database that holds the collection
     * @return a new builder
     */
    public static Builder builder(MongoDatabase database) {
        return new Builder(database);
    }

    /**
     * Creates the indexes if they are missing. Idempotent.
     *
     * @return their names
     */
    public List<String> ensureIndexes() {
        return collection.createIndexes(List.of(
                new IndexModel(Indexes.ascending(FIELD_TYPE, FIELD_SINK, FIELD_KIND, FIELD_CREATED_AT, "_id"),
                        new IndexOptions().name(INDEX_QUERY)),
                new IndexModel(Indexes.ascending(FIELD_TYPE, FIELD_ENTITY_ID), new IndexOptions().name(INDEX_ENTITY)),
                new IndexModel(Indexes.ascending(FIELD_CREATED_AT, "_id"), new IndexOptions().name(INDEX_CREATED))));
    }

    /** @return the collection that holds the dead letters */
    public MongoCollection<Document> collection() {
        return collection;
    }

    @Override
    public void add(DeadLetter d) {
        Objects.requireNonNull(d, "deadLetter");
        // the same merge as DeadLetter.mergeWith, done by the server in one atomic upsert
        Bson update = Updates.combine(
                Updates.setOnInsert(FIELD_TYPE, d.entityType()),
                Updates.setOnInsert(FIELD_ENTITY_ID, d.entityId()),
                Updates.setOnInsert(FIELD_SINK, d.sink()),
                Updates.setOnInsert("firstError", d.firstError()),
                Updates.setOnInsert(FIELD_CREATED_AT, Date.from(d.createdAt())),
                Updates.max(FIELD_VERSION, d.version()),
                Updates.inc(FIELD_ATTEMPTS, d.attempts()),
                Updates.set(FIELD_KIND, d.kind().name()),
                Updates.set("lastError", d.lastError()),
                Updates.set("correlationId", d.correlationId().orElse(null)),
                Updates.set("idempotencyKey", d.idempotencyKey().orElse(null)),
                Updates.set(FIELD_LAST_FAILED_AT, Date.from(d.lastFailedAt())));
        try {
            collection.updateOne(Filters.eq("_id", d.id()), update, new UpdateOptions().upsert(true));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            // two upserts raced to insert the same id: the other one inserted, this one merges
            collection.updateOne(Filters.eq("_id", d.id()), update);
        }
    }

    @Override
    public List<DeadLetter> list(DeadLetterQuery query) {
        Objects.requireNonNull(query, "query");
        List<Bson> filters = new ArrayList<>();
        query.entityType().ifPresent(v -> filters.add(Filters.eq(FIELD_TYPE, v)));
        query.entityId().ifPresent(v -> filters.add(Filters.eq(FIELD_ENTITY_ID, v)));
        query.sink().ifPresent(v -> filters.add(Filters.eq(FIELD_SINK, v)));
        query.kind().ifPresent(v -> filters.add(Filters.eq(FIELD_KIND, v.name())));
        query.createdFrom().ifPresent(v -> filters.add(Filters.gte(FIELD_CREATED_AT, Date.from(v))));
        query.createdBefore().ifPresent(v -> filters.add(Filters.lt(FIELD_CREATED_AT, Date.from(v))));
        Bson filter = filters.isEmpty() ? new Document() : Filters.and(filters);
        List<DeadLetter> out = new ArrayList<>();
        for (Document d : collection.find(filter).sort(Sorts.ascending(FIELD_CREATED_AT, "_id")).limit(query.limit())) {
            out.add(fromDocument(d));
        }
        return out;
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        Objects.requireNonNull(id, "id");
        return Optional.ofNullable(collection.find(Filters.eq("_id", id)).first()).map(MongoDeadLetterStore::fromDocument);
    }

    @Override
    public boolean remove(String id) {
        Objects.requireNonNull(id, "id");
        return collection.deleteOne(Filters.eq("_id", id)).getDeletedCount() == 1;
    }

    @Override
    public boolean removeIfAtMost(String id, long version) {
        Objects.requireNonNull(id, "id");
        return collection.deleteOne(Filters.and(Filters.eq("_id", id), Filters.lte(FIELD_VERSION, version)))
                .getDeletedCount() == 1;
    }

    @Override
    public boolean removeIfUnchanged(DeadLetter seen) {
        Objects.requireNonNull(seen, "seen");
        // every merge adds attempts and sets the failure time, so these three tell a merged record from the one seen
        return collection.deleteOne(Filters.and(Filters.eq("_id", seen.id()), Filters.eq(FIELD_VERSION, seen.version()),
                Filters.eq(FIELD_ATTEMPTS, seen.attempts()),
                Filters.eq(FIELD_LAST_FAILED_AT, Date.from(seen.lastFailedAt())))).getDeletedCount() == 1;
    }

    @Override
    public long count() {
        return collection.countDocuments();
    }

    /** @return the collection's database */
    @Override
    public Optional<String> database() {
        return Optional.of(collection.getNamespace().getDatabaseName());
    }

    private static DeadLetter fromDocument(Document d) {
        return new DeadLetter(d.getString(FIELD_TYPE), d.getString(FIELD_ENTITY_ID), d.get(FIELD_VERSION, Number.class).longValue(),
                d.getString(FIELD_SINK), d.get(FIELD_ATTEMPTS, Number.class).intValue(), ErrorKind.valueOf(d.getString(FIELD_KIND)),
                d.getString("firstError"), d.getString("lastError"), d.getString("correlationId"),
                d.getString("idempotencyKey"), d.getDate(FIELD_CREATED_AT).toInstant(), d.getDate(FIELD_LAST_FAILED_AT).toInstant());
    }

    @Override
    public String toString() {
        return "MongoDeadLetterStore{" + collection.getNamespace() + "}";
    }

    /** Builds a {@link MongoDeadLetterStore}. Not thread-safe. */
    public static final class Builder {
        private final MongoDatabase database;
        private String collectionName = DEFAULT_COLLECTION;
        private boolean createIndexes = true;

        private Builder(MongoDatabase database) {
            this.database = Objects.requireNonNull(database, "database");
        }

        /**
         * @param name the collection name; default {@value MongoDeadLetterStore#DEFAULT_COLLECTION}
         * @return this
         */
        public Builder collectionName(String name) {
            Objects.requireNonNull(name, "name");
            Args.notBlank(name, "collection name");
            this.collectionName = name;
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the indexes; default true
         * @return this
         */
        public Builder createIndexes(boolean create) {
            this.createIndexes = create;
            return this;
        }

        /** @return the store */
        public MongoDeadLetterStore build() {
            return new MongoDeadLetterStore(OnPrimary.of(database.getCollection(collectionName)), createIndexes);
        }
    }
}
