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

import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.events.EmbeddedEventRelay;
import io.dualwrite.mongo.events.EmbeddedEvents;
import io.dualwrite.mongo.events.EventRecorder;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.MongoTemplate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An event relay the application declares as a bean runs with the application: started by {@link DualWriteLifecycle},
 * and stopped gracefully on shutdown, after the pass it is in, which publishes what it claimed and releases the lease,
 * so that the next instance finds nothing left behind.
 */
class RelayLifecycleTest {
    static final String COLLECTION = "audit_items";
    static final CountDownLatch ENTERED = new CountDownLatch(1);
    static final CountDownLatch RELEASE = new CountDownLatch(1);
    static final List<String> PUBLISHED = new CopyOnWriteArrayList<>();

    /** A sink that holds its first event until the test releases it. */
    static final Sink<Document> HELD = change -> {
        ENTERED.countDown();
        if (!RELEASE.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never released the held event");
        }
        PUBLISHED.add(change.id());
        return ApplyResult.APPLIED;
    };

    @Configuration(proxyBeanMethods = false)
    static class Events {
        @Bean
        MongoPrimaryStore<Document> auditStore(MongoTemplate template) {
            return MongoPrimaryStore.builder(template.getDb().getCollection(COLLECTION))
                    .eventRecorder(EmbeddedEvents.builder().build()).build();
        }

        @Bean
        DualWriter<Document> auditWriter(MongoPrimaryStore<Document> auditStore) {
            return DualWriter.<Document>builder().entityType("audit").idOf(d -> d.getString("_id"))
                    .primary(auditStore).deadLetterStore(new InMemoryDeadLetterStore()).build();
        }

        @Bean
        EmbeddedEventRelay auditRelay(MongoTemplate template) {
            return EmbeddedEventRelay.builder(template.getDb().getCollection(COLLECTION)).entityType("audit")
                    .sink("audit", HELD).deadLetterStore(new InMemoryDeadLetterStore())
                    .lease(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(10)).build();
        }
    }

    @Test
    void theRelayStartsWithTheApplicationAndItsGracefulStopReleasesTheLease() throws Exception {
        String database = MongoForSpring.newDatabase();
        ConfigurableApplicationContext app = MongoForSpring.run(database, Events.class);
        MongoTemplate template = app.getBean(MongoTemplate.class);
        assertEquals(1, app.getBean(DualWriteLifecycle.class).eventRelays().size(), "the relay bean is managed");

        app.getBean("auditWriter", DualWriter.class).save(new Document("_id", "a-1").append("what", "login"));
        assertTrue(ENTERED.await(20, TimeUnit.SECONDS), "the relay, started with the application, claimed the event");
        assertNotNull(leaseOf(template), "while the event is being published, the document is leased to the relay");

        CompletableFuture<Void> closing = CompletableFuture.runAsync(app::close);
        assertFalse(closing.isDone(), "shutdown waits for the relay's pass");
        RELEASE.countDown();
        closing.get(30, TimeUnit.SECONDS);

        assertEquals(List.of("a-1"), PUBLISHED, "the claimed event was published before the relay stopped");
        try (ConfigurableApplicationContext next = MongoForSpring.run(database, Configuration0.class)) {
            MongoTemplate after = next.getBean(MongoTemplate.class);
            assertNull(leaseOf(after), "no lease is left for the next instance to wait out");
        }
    }

    /** The next instance: the same database, no relay. */
    @Configuration(proxyBeanMethods = false)
    static class Configuration0 {
    }

    private static BsonDocument leaseOf(MongoTemplate template) {
        BsonDocument doc = template.getDb().getCollection(COLLECTION, BsonDocument.class)
                .find(new Document("_id", "a-1")).first();
        BsonDocument events = doc == null ? null : doc.getDocument(DualWriteFilters.FIELD, new BsonDocument())
                .getDocument(EventRecorder.FIELD, null);
        return events == null || !events.containsKey("owner") ? null : events;
    }
}
