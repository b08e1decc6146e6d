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
package io.dualwrite.spring.boot;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.relay.ChangeStreamRelay;
import io.dualwrite.testkit.mongo.MongoCapability;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.RequiresMongo;
import io.dualwrite.testkit.mongo.TestMongo;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.MongoTemplate;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A change-stream relay the application declares as a bean runs with the application: {@link DualWriteLifecycle}
 * starts it, it feeds an ASYNC sink from the collection's change stream, and on shutdown it stops with its resume
 * token checkpointed, so that the next start delivers what changed while no instance ran. Needs change streams:
 * skipped, naming the server, where the MongoDB in use has none (the in-JVM server here has them; a
 * {@code DUALWRITE_MONGO_URI} must name a replica set).
 */
@ExtendWith(MongoExtension.class)
@RequiresMongo(MongoCapability.CHANGE_STREAMS)
class ChangeStreamRelayLifecycleTest {
    static final String COLLECTION = "catalog_events";
    static final String RELAY = "catalog-feed";
    static final InMemorySink<Document> FEED = new InMemorySink<>();

    private static MongoPrimaryStore<Document> store(MongoDatabase db) {
        return MongoPrimaryStore.builder(db.getCollection(COLLECTION)).build();
    }

    /** A writer whose only sink is ASYNC: it records the intent and leaves the delivery to the relay. */
    private static DualWriter<Document> writer(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("event").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore())
                .sink("feed", FEED, SinkSettings.of(DeliveryPolicy.ASYNC)).build();
    }

    @Configuration(proxyBeanMethods = false)
    static class Feed {
        @Bean
        MongoPrimaryStore<Document> eventStore(MongoTemplate template) {
            return store(template.getDb());
        }

        @Bean
        DualWriter<Document> eventWriter(MongoPrimaryStore<Document> eventStore) {
            return writer(eventStore);
        }

        @Bean
        ChangeStreamRelay eventRelay(MongoTemplate template, DualWriter<Document> eventWriter,
                                     MongoPrimaryStore<Document> eventStore) {
            return ChangeStreamRelay.builder(template.getDb().getCollection(COLLECTION), eventWriter, eventStore)
                    .checkpoints(template.getDb()).name(RELAY).backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                    .build();
        }
    }

    @Test
    void theRelayStartsAndStopsWithTheApplicationAndTheNextStartResumesAtItsCheckpoint() {
        String database = MongoForSpring.newDatabase();
        ChangeStreamRelay relay;
        try (ConfigurableApplicationContext app = MongoForSpring.run(database, Feed.class)) {
            DualWriteLifecycle lifecycle = app.getBean(DualWriteLifecycle.class);
            assertEquals(1, lifecycle.changeStreamRelays().size(), "the relay bean is managed");
            relay = lifecycle.changeStreamRelays().get(0);
            // the relay starts at the present: wait until it has a checkpoint to resume from before writing
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.checkpoint().isPresent());
            app.getBean("eventWriter", DualWriter.class).save(new Document("_id", "e-1").append("what", "listed"));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals("listed",
                    FEED.get("e-1").map(d -> d.getString("what")).orElse(null),
                    "the relay, started with the application, delivered the change"));
        }
        assertThrows(IllegalStateException.class, relay::pollOnce, "the relay was closed with the application");

        // written while no instance runs: the intent waits, and nothing delivers it
        try (DualWriter<Document> offline = writer(store(TestMongo.client().getDatabase(database)))) {
            offline.save(new Document("_id", "e-2").append("what", "withdrawn"));
        }
        assertTrue(FEED.get("e-2").isEmpty(), "an ASYNC sink is never called on the caller's path");

        try (ConfigurableApplicationContext next = MongoForSpring.run(database, Feed.class)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals("withdrawn",
                    FEED.get("e-2").map(d -> d.getString("what")).orElse(null),
                    "the relay of the next start resumed at the checkpoint the stopped one left"));
        }
    }
}
