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
package io.dualwrite.testkit.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.result.UpdateResult;
import io.dualwrite.Change;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.testkit.convergence.SinkView;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A durable, version-guarded reference sink in a MongoDB collection, for tests whose writers die:
 * a child JVM killed with SIGKILL leaves behind exactly what this sink holds, and the parent
 * checks it. Each entity is one document {@code {_id, v, live, state}}; a change is applied with
 * one conditional upsert ({@code _id} matches and {@code v} is lower), so the guard lives in the
 * database and concurrent deliveries from several processes cannot regress it. A delete keeps a
 * tombstone ({@code live: false}) with its version.
 *
 * <p>Every delivery that changed the collection also inserts {@code "<id>@<version>"} into the
 * {@code <collection>_effects} collection; a second effect of the same version lands in
 * {@code <collection>_repeats}, which {@link #repeatedEffects()} lists — so "applied exactly once
 * in effect" can be checked across processes. (A process killed between the two writes leaves an
 * effect unrecorded; it never records a repeat that did not happen.)
 *
 * <p>States are converted to documents and back with Jackson; the conversion is the sink's mapping
 * step ({@link #map}, no I/O), the upsert and the effect records its I/O ({@link #send}). Content
 * digests are those of the {@code state} sub-document written as relaxed extended JSON
 * ({@link ContentDigest#ofJson(String)}), so neither the order of its fields nor the BSON number
 * type of an integral value counts.
 * Thread-safe, and safe to share between processes.
 *
 * @param <T> the entity type
 */
public final class MongoVersionedSink<T> implements MappingSink<T, Document>, ContentDigestingSink<T> {
    /** Suffix of the collection that records each effect once. */
    public static final String EFFECTS_SUFFIX = "_effects";
    /** Suffix of the collection that records repeated effects. */
    public static final String REPEATS_SUFFIX = "_repeats";

    private final MongoCollection<Document> entities;
    private final MongoCollection<Document> effects;
    private final MongoCollection<Document> repeats;
    private final Class<T> type;
    private final ObjectMapper mapper;
    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    /**
     * @param database   the database, not null
     * @param collection the collection's name, not null
     * @param type       the entity class (Jackson converts it), not null
     */
    public MongoVersionedSink(MongoDatabase database, String collection, Class<T> type) {
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        this.type = Objects.requireNonNull(type, "type");
        this.entities = database.getCollection(collection);
        this.effects = database.getCollection(collection + EFFECTS_SUFFIX);
        this.repeats = database.getCollection(collection + REPEATS_SUFFIX);
        this.mapper = JsonMapper.builder().findAndAddModules().build();
    }

    /**
     * Converts the state to a document with Jackson (the mapping step: no I/O).
     *
     * @param change the change
     * @return the fields the conditional upsert sets: {@code v}, {@code live} and {@code state}
     */
    @Override
    public Document map(Change<T> change) {
        Objects.requireNonNull(change, "change");
        return new Document("v", change.version()).append("live", !change.isDelete())
                .append("state", change.isDelete() ? null : toDocument(change.requireState()));
    }

    /**
     * Writes the mapped fields with one conditional upsert, then records the effect.
     *
     * @param change the change
     * @param set    what {@link #map} made of it
     * @return {@link ApplyResult#APPLIED}, or {@link ApplyResult#ALREADY_CURRENT} when the
     *         collection holds this version or a newer one
     */
    @Override
    public ApplyResult send(Change<T> change, Document set) {
        Bson guard = Filters.and(Filters.eq("_id", change.id()), Filters.lt("v", change.version()));
        Bson update = new Document("$set", set);
        boolean applied;
        try {
            UpdateResult r = entities.updateOne(guard, update, new UpdateOptions().upsert(true));
            applied = r.getMatchedCount() > 0 || r.getUpsertedId() != null;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            // the entity exists at this version or a newer one, or another delivery created it just now
            applied = entities.updateOne(guard, update).getMatchedCount() > 0;
        }
        if (!applied) {
            return ApplyResult.ALREADY_CURRENT;
        }
        recordEffect(change);
        return ApplyResult.APPLIED;
    }

    private void recordEffect(Change<T> change) {
        String key = change.id() + "@" + change.version();
        try {
            effects.insertOne(new Document("_id", key));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            repeats.insertOne(new Document("effect", key).append("at", Instant.now().toString()));
        }
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Document d : live(ids)) {
            out.put(d.getString("_id"), d.getLong("v"));
        }
        return out;
    }

    /** Reads the live entities' {@code state} sub-documents in one query. */
    @Override
    public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) {
        Map<String, ContentDigest> out = new LinkedHashMap<>();
        for (Document d : live(ids)) {
            out.put(d.getString("_id"), digest(d.get("state", Document.class)));
        }
        return out;
    }

    /** The live entities' documents among the ids, in one query (none for no ids). */
    private Iterable<Document> live(Collection<String> ids) {
        return ids.isEmpty() ? List.of()
                : entities.find(Filters.and(Filters.in("_id", new ArrayList<>(ids)), Filters.eq("live", true)));
    }

    /**
     * @param change an UPSERT change
     * @return the digest of the {@code state} sub-document {@link #map} makes of it
     * @throws IllegalArgumentException if the change is a DELETE, or Jackson cannot convert the state
     */
    @Override
    public ContentDigest expectedContentDigest(Change<T> change) {
        ContentDigestingSink.requireUpsert(change);
        return digest(map(change).get("state", Document.class));
    }

    private static ContentDigest digest(Document state) {
        return ContentDigest.ofJson(state == null ? "null" : state.toJson(RELAXED));
    }

    @Override
    public List<String> idsAfter(String afterExclusive, int limit) {
        Args.atLeast(limit, 1, "limit");
        Bson filter = afterExclusive == null ? Filters.eq("live", true)
                : Filters.and(Filters.eq("live", true), Filters.gt("_id", afterExclusive));
        List<String> out = new ArrayList<>();
        for (Document d : entities.find(filter).sort(Sorts.ascending("_id")).limit(limit)) {
            out.add(d.getString("_id"));
        }
        return out;
    }

    /**
     * @param id an entity id
     * @return the live state held, empty when absent or deleted
     */
    public Optional<T> get(String id) {
        Document d = entities.find(Filters.eq("_id", Objects.requireNonNull(id, "id"))).first();
        if (d == null || !d.getBoolean("live", false)) {
            return Optional.empty();
        }
        return Optional.of(mapper.convertValue(d.get("state", Document.class), type));
    }

    /** @return every live entity's version, by id */
    public Map<String, Long> liveVersions() {
        Map<String, Long> out = new TreeMap<>();
        for (Document d : entities.find(Filters.eq("live", true))) {
            out.put(d.getString("_id"), d.getLong("v"));
        }
        return out;
    }

    /** @return the repeated effects recorded, as {@code id@version}, in the order found */
    public List<String> repeatedEffects() {
        List<String> out = new ArrayList<>();
        for (Document d : repeats.find()) {
            out.add(d.getString("effect"));
        }
        return out;
    }

    /** @return how many effects were recorded (each version at most once) */
    public long effects() {
        return effects.countDocuments();
    }

    /** @return a view for {@link io.dualwrite.testkit.convergence.Convergence} that compares states too */
    public SinkView<T> view() {
        return io.dualwrite.testkit.convergence.Convergence.view(this::liveVersions, this::get);
    }

    /** Drops the entity, effect and repeat collections. */
    public void drop() {
        entities.drop();
        effects.drop();
        repeats.drop();
    }

    @Override
    public String toString() {
        return "MongoVersionedSink{" + entities.getNamespace() + "}";
    }

    @SuppressWarnings("unchecked")
    private Document toDocument(T state) {
        return new Document(mapper.convertValue(state, Map.class));
    }
}
