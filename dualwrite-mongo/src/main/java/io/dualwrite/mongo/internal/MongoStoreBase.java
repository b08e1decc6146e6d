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
import io.dualwrite.ErrorClassifier;
import io.dualwrite.internal.Args;
import io.dualwrite.mongo.MongoErrorClassifier;
import io.dualwrite.spi.Ack;
import org.bson.BsonDocument;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What both MongoDB stores share: the entity collection, its codec and ids, the classifier and
 * the argument checks of the SPI. Thread-safe.
 *
 * @param <T> the entity type
 */
abstract class MongoStoreBase<T> {
    /** Conditional writes lost to concurrent writers before giving up. */
    static final int MAX_RACES = 1000;

    final MongoCollection<T> collection;
    final MongoCollection<BsonDocument> entities;
    final EntityCodec<T> codec;
    final Ids ids;
    final String entityName;

    MongoStoreBase(MongoCollection<T> collection, Ids ids) {
        this.collection = OnPrimary.of(Objects.requireNonNull(collection, "collection"));
        this.entities = this.collection.withDocumentClass(BsonDocument.class);
        this.codec = new EntityCodec<>(collection.getCodecRegistry(), collection.getDocumentClass());
        this.ids = Objects.requireNonNull(ids, "ids");
        this.entityName = collection.getNamespace().getCollectionName();
    }

    /** @return the entity collection */
    public MongoCollection<T> collection() {
        return collection;
    }

    /** @return the entity collection's database */
    public Optional<String> database() {
        return Optional.of(collection.getNamespace().getDatabaseName());
    }

    /** @return {@link MongoErrorClassifier#INSTANCE} */
    public ErrorClassifier classifier() {
        return MongoErrorClassifier.INSTANCE;
    }

    static void checkLimit(int limit) {
        Args.atLeast(limit, 1, "limit");
    }

    static void checkClaim(Instant now, int limit, String owner, Duration lease) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(lease, "lease");
        checkLimit(limit);
    }

    static Map<String, List<Ack>> byEntity(Collection<Ack> acks) {
        Objects.requireNonNull(acks, "acks");
        Map<String, List<Ack>> byId = new LinkedHashMap<>();
        for (Ack a : acks) {
            byId.computeIfAbsent(a.id(), k -> new ArrayList<>()).add(a);
        }
        return byId;
    }
}
