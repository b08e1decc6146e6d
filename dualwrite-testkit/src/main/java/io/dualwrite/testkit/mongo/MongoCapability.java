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
