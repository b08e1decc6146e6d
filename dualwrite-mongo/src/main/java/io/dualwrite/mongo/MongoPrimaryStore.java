package io.dualwrite.mongo;

import com.mongodb.client.MongoCollection;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.internal.EmbeddedIntentStore;
import io.dualwrite.mongo.internal.Ids;
import io.dualwrite.spi.PrimaryStore;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The MongoDB primary store with embedded intents (the default mode): each entity's document
 * carries, in its {@value DualWriteFilters#FIELD} field, its version, the intents still pending
 * per sink, the lease of a recovery worker and the recent request keys. A commit is one
 * conditional single-document write (an insert for a new id, else a replace conditional on the
 * revision read or remembered: see {@link Builder#revisionCache}), so it needs no transaction and works on a standalone server, a replica set and
 * a sharded cluster (shard on {@code _id}).
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
    static <T> Builder<T> builder(MongoCollection<T> collection) {
        return new Builder<>(collection);
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

    /**
     * Builds a {@link MongoPrimaryStore}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    final class Builder<T> {
        private final MongoCollection<T> collection;
        private IdType idType = IdType.STRING;
        private int maxRequestKeys = DEFAULT_MAX_REQUEST_KEYS;
        private boolean createIndexes = true;
        private io.dualwrite.mongo.events.EventRecorder eventRecorder;
        private long revisionCacheBytes = DEFAULT_REVISION_CACHE_BYTES;
        private Duration revisionCacheExpiry = DEFAULT_REVISION_CACHE_EXPIRY;

        private Builder(MongoCollection<T> collection) {
            this.collection = Objects.requireNonNull(collection, "collection");
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
         * @param max request keys remembered per entity, at least 1; default {@value MongoPrimaryStore#DEFAULT_MAX_REQUEST_KEYS}
         * @return this
         */
        public Builder<T> maxRequestKeys(int max) {
            Args.atLeast(max, 1, "maxRequestKeys");
            this.maxRequestKeys = max;
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the indexes; default true (turn it off when
         *               the indexes are managed by migrations)
         * @return this
         */
        public Builder<T> createIndexes(boolean create) {
            this.createIndexes = create;
            return this;
        }

        /**
         * @param recorder records each committed write's event in the same document write (see
         *                 {@link io.dualwrite.mongo.events.EmbeddedEvents}); default none
         * @return this
         */
        public Builder<T> eventRecorder(io.dualwrite.mongo.events.EventRecorder recorder) {
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
         *                    {@link #DEFAULT_REVISION_CACHE_BYTES}
         * @param expireAfter how long a document is remembered after it was written or read, positive; default
         *                    {@link #DEFAULT_REVISION_CACHE_EXPIRY}
         * @return this
         */
        public Builder<T> revisionCache(long maxBytes, Duration expireAfter) {
            Args.atLeast(maxBytes, 0, "maxBytes");
            Objects.requireNonNull(expireAfter, "expireAfter");
            Args.positive(expireAfter, "expireAfter");
            this.revisionCacheBytes = maxBytes;
            this.revisionCacheExpiry = expireAfter;
            return this;
        }

        /** @return the store; its indexes exist unless {@link #createIndexes(boolean)} was false */
        public MongoPrimaryStore<T> build() {
            return new EmbeddedIntentStore<>(collection, new Ids(idType), maxRequestKeys, createIndexes, eventRecorder,
                    revisionCacheBytes, revisionCacheExpiry);
        }
    }
}
