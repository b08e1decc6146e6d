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
package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Wiring for the relay tests: an "item" collection of plain documents, the application's writer and the relay's. */
final class Items {
    static final String SINK = "events";
    private static final AtomicInteger N = new AtomicInteger();

    private Items() {
    }

    static MongoCollection<Document> collection(MongoDatabase db) {
        return db.getCollection("items_" + N.incrementAndGet());
    }

    /** The application's writer: it commits to the primary and has no sink of its own. */
    static DualWriter<Document> app(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** The relay's writer: it only delivers (one attempt per call; a circuit breaker that recovers in 50 ms). */
    static DualWriter<Document> relayWriter(MongoPrimaryStore<Document> store, Sink<Document> sink) {
        return relayWriter(store, sink, new InMemoryDeadLetterStore());
    }

    /** The relay's writer, with the dead-letter store given. */
    static DualWriter<Document> relayWriter(MongoPrimaryStore<Document> store, Sink<Document> sink,
                                            DeadLetterStore deadLetters) {
        SinkSettings settings = SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(10))
                .circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(20).minimumNumberOfCalls(10)
                        .waitDurationInOpenState(Duration.ofMillis(50)).build()).build();
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry())
                .sink(SINK, sink, settings).build();
    }

    /** Seeded writes: creates, updates and deletes over {@code ids} entities. */
    static void writes(DualWriter<Document> app, Random random, String prefix, int ids, int writes) {
        for (int i = 0; i < writes; i++) {
            String id = prefix + random.nextInt(ids);
            if (random.nextInt(6) == 0) {
                app.delete(id);
            } else {
                app.save(new Document("_id", id).append("n", random.nextInt(1000)).append("w", i));
            }
        }
    }
}
