package io.dualwrite.testkit.mongo;

/**
 * What a MongoDB used in tests can do. A test that needs one declares it with
 * {@link RequiresMongo}; {@link MongoExtension} skips it, naming the missing capability and the
 * server, only where the chosen server lacks it. Thread-safe (an enum).
 */
public enum MongoCapability {
    /** Sessions and multi-document transactions (a replica set or a sharded cluster). */
    TRANSACTIONS,
    /** Collection change streams that report inserts and deletes and resume from a token. */
    CHANGE_STREAMS,
    /**
     * Complete change streams: update descriptions, findOneAndX events, invalidate events,
     * database and cluster streams, a lost resume point reported as an error.
     */
    FULL_CHANGE_STREAMS,
    /** Update pipelines ({@code updateOne(filter, List<Bson>)}, {@code $replaceWith}, {@code $$NOW}). */
    UPDATE_PIPELINES,
    /** TTL indexes that actually remove expired documents. */
    TTL_EXPIRY
}
