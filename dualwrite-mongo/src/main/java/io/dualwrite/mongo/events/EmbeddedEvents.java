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

import io.dualwrite.internal.Args;
import io.dualwrite.mongo.events.internal.EventFields;
import io.dualwrite.spi.PrimaryWrite;
import org.bson.BsonArray;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

import java.util.Objects;

/**
 * Events recorded with the data: every committed write appends one small record to its own
 * document, in the same single-document write (no transaction), and {@link EmbeddedEventRelay}
 * publishes each document's records in version order and removes them once every event sink has
 * them.
 *
 * <pre>
 * _dw.ev: { due: when the relay should look next, owner, until: the relay's lease,
 *           failed: { &lt;sink&gt;: { v: the version retried there, n: its failed attempts, first: its first error } },
 *           sent: { &lt;sink&gt;: last version published }, bytes: size of the list,
 *           list: [ { v: version, op: UPSERT|DELETE, at: commit time, corr, key?, n: bytes,
 *                     state: the entity at that version (upserts) } ] }
 * </pre>
 *
 * <p>Each record keeps the entity's state at its version, so a consumer sees every version's state,
 * not only the latest. A document holds at most {@link Builder#maxEvents(int)} records and
 * {@link Builder#maxBytes(int)} bytes of them; a write that would pass either bound is refused
 * with {@link EventBacklogFullException} and writes nothing (back-pressure: the relay or its sinks
 * are behind). Older records are never dropped or moved, so per-entity order needs no second
 * collection. Keep the bounds well under MongoDB's 16 MiB document limit together with the entity.
 *
 * <pre>{@code
 * EmbeddedEvents events = EmbeddedEvents.builder().maxEvents(100).build();
 * MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).eventRecorder(events).build();
 * }</pre>
 *
 * Immutable and thread-safe.
 */
public final class EmbeddedEvents implements EventRecorder {
    /** Default most undelivered events one document holds. */
    public static final int DEFAULT_MAX_EVENTS = 100;
    /** Default most bytes of undelivered events one document holds (1 MiB). */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;
    /** Path of the time the relay should look at a document next (indexed). */
    public static final String DUE_PATH = "_dw." + FIELD + ".due";
    /** Name of the index on {@link #DUE_PATH}. */
    public static final String INDEX_DUE = "dualwrite_events_due";

    private static final String DUE = EventFields.DUE;
    private static final String BYTES = EventFields.BYTES;
    private static final String LIST = EventFields.LIST;

    private final int maxEvents;
    private final int maxBytes;

    private EmbeddedEvents(Builder b) {
        this.maxEvents = b.maxEvents;
        this.maxBytes = b.maxBytes;
    }

    /** @return a builder with every default */
    public static Builder builder() {
        return new Builder();
    }

    /** @return most undelivered events per document */
    public int maxEvents() {
        return maxEvents;
    }

    /** @return most bytes of undelivered events per document */
    public int maxBytes() {
        return maxBytes;
    }

    @Override
    public BsonDocument afterCommit(String collection, BsonDocument currentMeta, PrimaryWrite<?> write, long version, BsonDocument state) {
        Objects.requireNonNull(write, "write");
        BsonValue held = currentMeta == null ? null : currentMeta.get(FIELD);
        BsonDocument ev = held != null && held.isDocument() ? held.asDocument().clone() : new BsonDocument();
        BsonArray list = ev.containsKey(LIST) ? ev.getArray(LIST) : new BsonArray();
        BsonDocument record = new BsonDocument("v", new BsonInt64(version))
                .append("op", new BsonString(write.operation().name()))
                .append("at", new BsonDateTime(write.time().toEpochMilli()))
                .append("corr", new BsonString(write.correlationId()));
        write.idempotencyKey().ifPresent(k -> record.append("key", new BsonString(k)));
        if (state != null) {
            record.append("state", state);
        }
        int size = new RawBsonDocument(record, new BsonDocumentCodec()).getByteBuffer().remaining();
        record.append("n", new BsonInt32(size));
        int bytes = ev.getNumber(BYTES, new BsonInt32(0)).intValue();
        if (list.size() + 1 > maxEvents) {
            throw new EventBacklogFullException(collection, write.id(), list.size(), bytes,
                    "the bound of " + maxEvents + " events");
        }
        if (bytes + size > maxBytes) {
            throw new EventBacklogFullException(collection, write.id(), list.size(), bytes,
                    "the bound of " + maxBytes + " bytes");
        }
        list.add(record);
        ev.put(LIST, list);
        ev.put(BYTES, new BsonInt32(bytes + size));
        if (!ev.containsKey(DUE)) {
            ev.put(DUE, new BsonDateTime(write.time().toEpochMilli()));
        }
        return ev;
    }

    @Override
    public String toString() {
        return "EmbeddedEvents{maxEvents=" + maxEvents + ", maxBytes=" + maxBytes + "}";
    }

    /** Builds {@link EmbeddedEvents}. Not thread-safe. */
    public static final class Builder {
        private int maxEvents = DEFAULT_MAX_EVENTS;
        private int maxBytes = DEFAULT_MAX_BYTES;

        private Builder() {
        }

        /**
         * @param max most undelivered events one document holds, at least 1; default {@value EmbeddedEvents#DEFAULT_MAX_EVENTS}
         * @return this
         */
        public Builder maxEvents(int max) {
            Args.atLeast(max, 1, "maxEvents");
            this.maxEvents = max;
            return this;
        }

        /**
         * @param max most bytes of undelivered events one document holds, at least 1 KiB and at most
         *            8 MiB; default {@value EmbeddedEvents#DEFAULT_MAX_BYTES}
         * @return this
         */
        public Builder maxBytes(int max) {
            if (max < 1024 || max > 8 << 20) {
                throw new IllegalArgumentException("maxBytes must be between 1 KiB and 8 MiB, was " + max);
            }
            this.maxBytes = max;
            return this;
        }

        /** @return the recorder */
        public EmbeddedEvents build() {
            return new EmbeddedEvents(this);
        }
    }
}
