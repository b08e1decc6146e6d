/**
 * The MongoDB primary adapter: {@link io.dualwrite.mongo.MongoPrimaryStore} (embedded intents,
 * the default), {@link io.dualwrite.mongo.MongoWriteAheadStore} (for code that keeps its own save
 * call), {@link io.dualwrite.mongo.MongoDeadLetterStore}, {@link io.dualwrite.mongo.MongoErrorClassifier}
 * and {@link io.dualwrite.mongo.DualWriteFilters} for the application's own queries.
 */
package io.dualwrite.mongo;
