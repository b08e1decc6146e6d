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
import io.dualwrite.spi.PrimaryStore;

import java.time.Duration;
import java.util.List;

/**
 * The MongoDB primary store with embedded intents (the default mode): each entity's document
 * carries, in its {@value DualWriteFilters#FIELD} field, its version, the intents still pending
 * per sink, the lease of a recovery worker and the recent request keys. A commit is one
 * conditional single-document write (an insert for a new id, else a replace conditional on the
 * revision read or remembered: see {@link MongoPrimaryStoreBuilder#revisionCache}), so it needs
 * no transaction and works on a standalone server, a replica set and a sharded cluster (shard on
 * {@code _id}).
 *
 * <pre>{@code
 * MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(database.getCollection("products", Product.class))
 *         .build();
 * DualWriter<Product> products = DualWriter.<Product>builder()
 *         .entityType("product").idOf(Product::id)
 *         .primary(store)
 *         .deadLetterStore(MongoDeadLetterStore.builder(database).build())
 *         .sink("search", searchSink)
 *         .build();
 * }</pre>
 *
 * Deleted entities stay as tombstones until every sink has acknowledged the delete: keep them out
 * of your own queries with {@link DualWriteFilters#notDeleted()}. Thread-safe; several processes
 * may share one collection.
 *
 * @param <T> the entity type; its codec (from the collection's registry) must write the id as {@code _id}
 */
public interface MongoPrimaryStore<T> extends PrimaryStore<T> {
    /** Name of the index on the earliest due time, used by recovery's query. */
    String INDEX_DUE = "dualwrite_due";
    /** Name of the index on lease expiry. */
    String INDEX_LEASE = "dualwrite_lease";
    /** Name of the index on remembered request keys. */
    String INDEX_REQUEST_KEYS = "dualwrite_request_keys";
    /** Default number of request keys remembered per entity; older ones are forgotten first. */
    int DEFAULT_MAX_REQUEST_KEYS = 32;
    /** Default bound, in BSON bytes, of the documents an instance remembers to write on without reading first: 32 MiB. */
    long DEFAULT_REVISION_CACHE_BYTES = 32L << 20;
    /** Default time an instance remembers a document it wrote or read. */
    Duration DEFAULT_REVISION_CACHE_EXPIRY = Duration.ofMinutes(10);

    /**
     * @param collection the entity collection, with the codec registry that maps {@code T}
     * @param <T>        the entity type
     * @return a new builder
     */
    static <T> MongoPrimaryStoreBuilder<T> builder(MongoCollection<T> collection) {
        return new MongoPrimaryStoreBuilder<>(collection);
    }

    /** @return the entity collection */
    MongoCollection<T> collection();

    /**
     * Creates the store's indexes if they are missing ({@value #INDEX_DUE}, {@value #INDEX_LEASE},
     * {@value #INDEX_REQUEST_KEYS}); the builder calls it unless told not to. Idempotent.
     *
     * @return the names of the indexes
     */
    List<String> ensureIndexes();
}
