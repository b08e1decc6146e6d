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
import io.dualwrite.mongo.IdType;
import org.bson.BsonDocument;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * What a write-ahead store is built from, checked by its builder. Immutable (the collections it names are the
 * application's).
 *
 * @param collection    the entity collection the caller's own writes go to
 * @param intents       the intent collection, with the driver's default codecs
 * @param idType        how ids are stored in {@code _id}
 * @param versionField  the numeric version field of the entity documents
 * @param clock         the clock for write turns, settling and snapshot times without a recorded write
 * @param createIndexes whether to create the indexes when the store is made
 * @param timings       the settle time, the write lease and the longest wait for a write turn
 * @param recordCache   how many entities' records an instance remembers, and for how long
 * @param <T>           the entity type
 */
public record WriteAheadStoreSettings<T>(MongoCollection<T> collection, MongoCollection<BsonDocument> intents,
                                         IdType idType, String versionField, Clock clock, boolean createIndexes,
                                         Timings timings, RecordCache recordCache) {
    /**
     * What an instance remembers of the entities' records.
     *
     * @param maxEntities the most entities remembered, 0 for none
     * @param expireAfter how long one is remembered after the instance's last save of it
     */
    public record RecordCache(long maxEntities, Duration expireAfter) {
        /**
         * @throws NullPointerException     if {@code expireAfter} is null
         * @throws IllegalArgumentException if {@code maxEntities} is negative
         */
        public RecordCache {
            Objects.requireNonNull(expireAfter, "expireAfter");
            if (maxEntities < 0) {
                throw new IllegalArgumentException("maxEntities must be at least 0, was " + maxEntities);
            }
        }
    }

    /**
     * The store's timings.
     *
     * @param settleTime how long after its intent a caller's write may still land
     * @param writeLease how long one write may hold its entity
     * @param writeWait  how long a write waits for an entity another write holds
     */
    public record Timings(Duration settleTime, Duration writeLease, Duration writeWait) {
        /**
         * @throws NullPointerException if an argument is null
         */
        public Timings {
            Objects.requireNonNull(settleTime, "settleTime");
            Objects.requireNonNull(writeLease, "writeLease");
            Objects.requireNonNull(writeWait, "writeWait");
        }
    }
}
