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

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.dualwrite.mongo.DualWriteFilters;
import org.bson.BsonDocument;
import org.bson.BsonValue;

import java.time.Duration;
import java.util.Collection;
import java.util.Objects;

/**
 * What one store instance remembers of the documents it wrote or read: the whole document as it was at a revision.
 * A commit that finds its entity here writes conditionally on that revision without reading first; if another
 * instance (or this store's recovery, acknowledgements, leases) changed the document since, the condition fails and
 * the commit reads and writes as it would have without this cache. So what is remembered only ever saves commands,
 * never decides an outcome. Bounded in bytes and in time; a document is remembered only with a revision.
 *
 * <p>It also learns whether saves of ids it does not know tend to be of new entities: then a save inserts at once
 * (an insert is conditional on the id being free) instead of reading first. Thread-safe.
 */
final class RevisionCache {
    private final Cache<BsonValue, Known> docs;
    private final NewIdGuess newIds = new NewIdGuess();

    /** A document as stored at {@link #rev}, and its BSON size. */
    private record Known(BsonDocument doc, long rev, int bytes) {
    }

    /**
     * @param maxBytes    the most bytes of documents remembered (their BSON size), 0 for none
     * @param expireAfter how long a document is remembered after it was written or read
     */
    RevisionCache(long maxBytes, Duration expireAfter) {
        Objects.requireNonNull(expireAfter, "expireAfter");
        this.docs = maxBytes <= 0 ? null : Caffeine.newBuilder().maximumWeight(maxBytes)
                .<BsonValue, Known>weigher((k, d) -> Math.max(1, d.bytes())).expireAfterWrite(expireAfter).build();
    }

    /** @return whether this instance remembers anything at all (a cache of no bytes remembers nothing) */
    boolean enabled() {
        return docs != null;
    }

    /** @return a copy of the document as this instance last wrote or read it, or null when it does not know it */
    BsonDocument known(BsonValue id) {
        Known k = docs == null ? null : docs.getIfPresent(id);
        return k == null ? null : k.doc().clone();
    }

    /**
     * Remembers a document as it is stored at its revision, keeping the newer of two revisions remembered at once.
     * The document must not be changed afterwards.
     *
     * @param doc   the whole document, as written or read
     * @param bytes its BSON size
     */
    void remember(BsonValue id, BsonDocument doc, int bytes) {
        long rev = rev(doc);
        if (docs == null || rev < 0) {
            return;
        }
        docs.asMap().merge(id, new Known(doc, rev, bytes), (old, neu) -> neu.rev() >= old.rev() ? neu : old);
    }

    /**
     * An acknowledgement landed: the sink holds {@code version}, so the document no longer asks it for that version
     * or an older one (the store removed that intent, and the due time with the last one, at the same revision).
     */
    void acknowledged(BsonValue id, String sink, long version) {
        if (docs == null) {
            return;
        }
        docs.asMap().computeIfPresent(id, (k, known) -> {
            BsonValue m = known.doc().get(DualWriteFilters.FIELD);
            BsonValue pending = m == null || !m.isDocument() ? null : m.asDocument().get(Meta.PENDING);
            BsonValue intent = pending == null || !pending.isDocument() ? null : pending.asDocument().get(sink);
            if (intent == null || !intent.isDocument()
                    || intent.asDocument().getNumber(Meta.V).longValue() > version) {
                return known;
            }
            BsonDocument doc = known.doc().clone();
            BsonDocument meta = doc.getDocument(DualWriteFilters.FIELD);
            meta.getDocument(Meta.PENDING).remove(sink);
            if (meta.getDocument(Meta.PENDING).isEmpty()) {
                meta.remove(Meta.DUE);
            }
            return new Known(doc, known.rev(), known.bytes());
        });
    }

    void forget(BsonValue id) {
        if (docs != null) {
            docs.invalidate(id);
        }
    }

    void forgetAll(Collection<? extends BsonValue> ids) {
        if (docs != null) {
            docs.invalidateAll(ids);
        }
    }

    /** @return true when a save of an id this instance does not know should insert at once */
    boolean guessNew() {
        return docs != null && newIds.guessNew();
    }

    /** Learns from a save of an id this instance did not know: whether the id turned out new. */
    void learnNew(boolean wasNew) {
        newIds.learn(wasNew);
    }

    private static long rev(BsonDocument doc) {
        BsonValue m = doc.get(DualWriteFilters.FIELD);
        if (m == null || !m.isDocument()) {
            return -1;
        }
        BsonValue r = m.asDocument().get(Meta.REV);
        return r != null && r.isNumber() ? r.asNumber().longValue() : -1;
    }
}
