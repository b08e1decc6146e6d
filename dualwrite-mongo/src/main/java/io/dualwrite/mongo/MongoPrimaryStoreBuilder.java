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
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.events.EventRecorder;
import io.dualwrite.mongo.internal.EmbeddedIntentStore;
import io.dualwrite.mongo.internal.EmbeddedStoreSettings;
import io.dualwrite.mongo.internal.IdMapping;

import java.time.Duration;
import java.util.Objects;

/**
 * Builds a {@link MongoPrimaryStore}. Not thread-safe.
 *
 * @param <T> the entity type
 */
public final class MongoPrimaryStoreBuilder<T> {
    private final MongoCollection<T> collection;
    private IdType idType = IdType.STRING;
    private int maxRequestKeys = MongoPrimaryStore.DEFAULT_MAX_REQUEST_KEYS;
    private boolean createIndexes = true;
    private EventRecorder eventRecorder;
    private long revisionCacheBytes = MongoPrimaryStore.DEFAULT_REVISION_CACHE_BYTES;
    private Duration revisionCacheExpiry = MongoPrimaryStore.DEFAULT_REVISION_CACHE_EXPIRY;

    MongoPrimaryStoreBuilder(MongoCollection<T> collection) {
        this.collection = Objects.requireNonNull(collection, "collection");
    }

    /**
     * @param idType how ids are stored in {@code _id}; default {@link IdType#STRING}
     * @return this
     */
    public MongoPrimaryStoreBuilder<T> idType(IdType idType) {
        this.idType = Objects.requireNonNull(idType, "idType");
        return this;
    }

    /**
     * @param max request keys remembered per entity, at least 1; default {@value MongoPrimaryStore#DEFAULT_MAX_REQUEST_KEYS}
     * @return this
     */
    public MongoPrimaryStoreBuilder<T> maxRequestKeys(int max) {
        Args.atLeast(max, 1, "maxRequestKeys");
        this.maxRequestKeys = max;
        return this;
    }

    /**
     * @param create whether {@link #build()} creates the indexes; default true (turn it off when
     *               the indexes are managed by migrations)
     * @return this
     */
    public MongoPrimaryStoreBuilder<T> createIndexes(boolean create) {
        this.createIndexes = create;
        return this;
    }

    /**
     * @param recorder records each committed write's event in the same document write (see
     *                 {@link io.dualwrite.mongo.events.EmbeddedEvents}); default none
     * @return this
     */
    public MongoPrimaryStoreBuilder<T> eventRecorder(EventRecorder recorder) {
        this.eventRecorder = Objects.requireNonNull(recorder, "recorder");
        return this;
    }

    /**
     * Bounds what this instance remembers of the documents it wrote or read (kept with Caffeine). A save of an
     * entity it remembers is one conditional write, with no read before it; one whose document changed since
     * (another instance wrote it, recovery leased it, an acknowledgement landed) fails its condition and reads
     * and writes as without this cache, so it never decides an outcome. Writes to the collection that bypass
     * the store must change {@code _dw.rev} ({@link DualWriteFilters#touch()}) for it to notice them.
     *
     * @param maxBytes    the most BSON bytes of documents remembered, 0 to always read before writing; default
     *                    {@link MongoPrimaryStore#DEFAULT_REVISION_CACHE_BYTES}
     * @param expireAfter how long a document is remembered after it was written or read, positive; default
     *                    {@link MongoPrimaryStore#DEFAULT_REVISION_CACHE_EXPIRY}
     * @return this
     */
    public MongoPrimaryStoreBuilder<T> revisionCache(long maxBytes, Duration expireAfter) {
        Args.atLeast(maxBytes, 0, "maxBytes");
        Objects.requireNonNull(expireAfter, "expireAfter");
        Args.positive(expireAfter, "expireAfter");
        this.revisionCacheBytes = maxBytes;
        this.revisionCacheExpiry = expireAfter;
        return this;
    }

    /**
     * @return the store; its indexes exist unless {@link #createIndexes(boolean)} was false
     * @throws IllegalStateException if the collection's entity class is a record or POJO whose id the driver's
     *                               record or POJO codec does not map to {@code _id} (the id needs
     *                               {@code @BsonId})
     */
    public MongoPrimaryStore<T> build() {
        IdMapping.requireIdMapsToUnderscoreId(collection);
        return new EmbeddedIntentStore<>(new EmbeddedStoreSettings<>(collection, idType, maxRequestKeys, createIndexes,
                eventRecorder, revisionCacheBytes, revisionCacheExpiry));
    }
}
