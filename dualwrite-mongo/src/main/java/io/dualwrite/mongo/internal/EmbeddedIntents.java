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
package io.dualwrite.mongo.internal;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Updates;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.IdType;
import io.dualwrite.spi.Intent;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.conversions.Bson;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What an operator's tool reads and changes of the embedded intents of a collection that a
 * {@link io.dualwrite.mongo.MongoPrimaryStore} manages, in the store's own layout ({@link Meta}): the pending
 * intents, the lease, and re-arming a sink's delivery so that the application's recovery worker delivers the
 * entity's current state again. Thread-safe (stateless).
 */
public final class EmbeddedIntents {
    /** Re-arming gives up after this many writes lost to concurrent changes of the document. */
    static final int MAX_RACES = 8;

    private EmbeddedIntents() {
    }

    /**
     * What a document's metadata says about its deliveries.
     *
     * @param version    the entity's version
     * @param deleted    whether the document is a tombstone
     * @param pending    the pending intents by sink
     * @param leaseOwner who holds the recovery lease, or null
     * @param leaseUntil when that lease ends, or null
     */
    public record Deliveries(long version, boolean deleted, Map<String, Intent> pending, String leaseOwner,
                             Instant leaseUntil) {
        /**
         * @param now the time to judge by
         * @return whether a lease is held at that time
         */
        public boolean leasedAt(Instant now) {
            return leaseOwner != null && leaseUntil != null && leaseUntil.isAfter(now);
        }
    }

    /** How a re-arm ended. */
    public enum Outcome {
        /** An intent for the sink's current version is now pending: recovery delivers it. */
        ARMED,
        /** The sink already had an intent pending: recovery delivers it, nothing was written. */
        ALREADY_PENDING,
        /** No document has that id: there is nothing to deliver from. */
        NO_DOCUMENT,
        /** The document holds no dualwrite metadata: the store never wrote it. */
        NOT_MANAGED
    }

    /**
     * @param outcome what happened
     * @param version the version recovery delivers (at least), or 0 when nothing is pending
     */
    public record Rearm(Outcome outcome, long version) {
    }

    /** @return the projection that reads only the metadata a tool needs */
    public static Bson metadataOnly() {
        return Projections.include(DualWriteFilters.FIELD);
    }

    /**
     * @param doc a document of the collection (with at least the {@value DualWriteFilters#FIELD} field)
     * @return its deliveries, or empty when the store does not manage it
     */
    public static Optional<Deliveries> deliveriesOf(BsonDocument doc) {
        Objects.requireNonNull(doc, "doc");
        Meta m = Meta.of(doc);
        if (m == null) {
            return Optional.empty();
        }
        return Optional.of(new Deliveries(m.version, m.deleted, Collections.unmodifiableMap(new TreeMap<>(m.pending)),
                m.leaseOwner, m.leaseUntil));
    }

    /**
     * @param collection the entity collection (BSON documents)
     * @param id         the document's id
     * @param sink       a sink's name
     * @return the version of the document's pending intent for the sink; empty when it has none (or is gone)
     */
    public static java.util.OptionalLong pendingVersion(MongoCollection<BsonDocument> collection, BsonValue id,
                                                        String sink) {
        BsonDocument doc = collection.find(Filters.eq("_id", id)).projection(metadataOnly()).first();
        Meta m = doc == null ? null : Meta.of(doc);
        Intent existing = m == null ? null : m.pending.get(sink);
        return existing == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(existing.version());
    }

    /**
     * Makes a sink's delivery of an entity pending again, due now, as a commit would: one write conditional on the
     * document's revision and on the sink having no intent yet, which moves the revision on (so every store instance
     * reads the document again before writing on it) and lowers the document's due time. The application's recovery
     * worker then claims the entity and delivers its current state through the sink's normal road; a failure ends
     * as every recovered delivery does (rescheduled, or dead-lettered again).
     *
     * @param collection    the entity collection
     * @param id            the document's {@code _id}
     * @param entityType    the entity type (for the idempotency key)
     * @param sink          the sink name
     * @param firstError    the first failure to carry over into a new dead letter, or null
     * @param correlationId the correlation id the delivery carries, or null
     * @param now           the due time
     * @return what happened
     */
    public static Rearm rearm(MongoCollection<BsonDocument> collection, BsonValue id, String entityType, String sink,
                              String firstError, String correlationId, Instant now) {
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(now, "now");
        Indexes.checkSinkName(sink);
        String intentPath = Meta.PENDING_PATH + "." + sink;
        for (int race = 0; race < MAX_RACES; race++) {
            BsonDocument doc = collection.find(Filters.eq("_id", id)).projection(metadataOnly()).first();
            if (doc == null) {
                return new Rearm(Outcome.NO_DOCUMENT, 0);
            }
            Meta m = Meta.of(doc);
            if (m == null) {
                return new Rearm(Outcome.NOT_MANAGED, 0);
            }
            Intent existing = m.pending.get(sink);
            if (existing != null) {
                return new Rearm(Outcome.ALREADY_PENDING, existing.version());
            }
            Intent intent = new Intent(sink, m.version, now, 0, firstError, null, correlationId,
                    IdempotencyKeys.of(entityType, new Ids(IdType.STRING).fromBson(id), m.version), null);
            Bson revision = doc.getDocument(DualWriteFilters.FIELD).containsKey(Meta.REV)
                    ? Filters.eq(Meta.REV_PATH, m.rev) : Filters.exists(Meta.REV_PATH, false);
            long matched = collection.updateOne(
                    Filters.and(Filters.eq("_id", id), revision, Filters.exists(intentPath, false)),
                    Updates.combine(Updates.set(intentPath, Meta.intentDoc(intent)), Updates.min(DualWriteFilters.DUE,
                            Meta.date(now)), DualWriteFilters.touch())).getMatchedCount();
            if (matched == 1) {
                return new Rearm(Outcome.ARMED, m.version);
            }
        }
        throw new IllegalStateException("the document " + id + " kept changing: its delivery to '" + sink
                + "' was not re-armed after " + MAX_RACES + " tries");
    }
}
