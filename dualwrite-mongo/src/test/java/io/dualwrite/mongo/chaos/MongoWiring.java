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
package io.dualwrite.mongo.chaos;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.chaos.ChaosWiring;
import io.dualwrite.testkit.mongo.TestItemCodec;
import io.dualwrite.testkit.sink.MongoVersionedSink;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The system the killed-writer test runs in every child JVM and in the parent: the MongoDB
 * primary store with embedded intents, two durable version-guarded sinks and the MongoDB
 * dead-letter store, all in one database of the parent's MongoDB.
 */
public final class MongoWiring implements ChaosWiring {

    @Override
    public Wired create(String uri, Clock clock) {
        MongoClient client = MongoClients.create(uri);
        MongoDatabase db = client.getDatabase("killed_writers").withCodecRegistry(TestItemCodec.registry());
        PrimaryStore<TestItem> primary = MongoPrimaryStore.builder(db.getCollection("items", TestItem.class)).build();
        DeadLetterStore dead = MongoDeadLetterStore.builder(db).build();
        Map<String, MongoVersionedSink<TestItem>> sinks = new LinkedHashMap<>();
        sinks.put("search", new MongoVersionedSink<>(db, "search", TestItem.class));
        sinks.put("cache", new MongoVersionedSink<>(db, "cache", TestItem.class));
        SinkSettings fast = SinkSettings.builder().maxAttempts(2).attemptTimeout(Duration.ofSeconds(2))
                .backoff(Duration.ofMillis(1), 2, Duration.ofMillis(4)).build();
        DualWriter<TestItem> writer = DualWriter.<TestItem>builder()
                .entityType("item").idOf(TestItem::id)
                .primary(primary).deadLetterStore(dead)
                .clock(clock).gracePeriod(Duration.ZERO).lease(Duration.ofSeconds(5))
                .recoveryRetry(50, Duration.ofMillis(1), Duration.ofMillis(10))
                .sink("search", sinks.get("search"), fast)
                .sink("cache", sinks.get("cache"), fast)
                .build();
        return new Wired(writer, primary, sinks, dead, client);
    }
}
