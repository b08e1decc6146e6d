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

import io.dualwrite.DualWriteMetrics;
import io.dualwrite.ErrorKind;
import io.dualwrite.WriteObservationContext;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import io.dualwrite.testkit.fault.FaultySink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spring Boot application with a {@link DualWritten} Spring Data repository on the test MongoDB: its saves and
 * deletes reach the sink with no dualwrite call in the application's code.
 */
@SpringBootTest(classes = {CatalogApplication.class, DualWrittenRepositoryTest.Sinks.class}, properties = {
        "dualwrite.entities.products.sinks.search.max-attempts=1",
        "dualwrite.entities.products.recovery.grace-period=200ms",
        "dualwrite.entities.products.recovery.interval=50ms"})
class DualWrittenRepositoryTest {
    static final InMemorySink<Product> SEARCH = new InMemorySink<>();
    static final List<String> OBSERVED = new CopyOnWriteArrayList<>();
    static final FaultySink<Product> FAULTY_SEARCH = FaultySink.wrap((io.dualwrite.spi.Sink<Product>) SEARCH).build();

    @TestConfiguration
    static class Sinks {
        @Bean
        DualWriteSinks<Product> productSinks() {
            return DualWriteSinks.builder(Product.class).sink("search", FAULTY_SEARCH).build();
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        ObservationRegistry observationRegistry() {
            ObservationRegistry registry = ObservationRegistry.create();
            registry.observationConfig().observationHandler(new ObservationHandler<>() {
                @Override
                public boolean supportsContext(Observation.Context context) {
                    return context instanceof WriteObservationContext;
                }

                @Override
                public void onStop(Observation.Context context) {
                    WriteObservationContext write = (WriteObservationContext) context;
                    OBSERVED.add(write.operation() + " " + write.entityType());
                }
            });
            return registry;
        }
    }

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @Autowired
    ProductRepository products;
    @Autowired
    MongoTemplate template;
    @Autowired
    DualWriters writers;
    @Autowired
    MeterRegistry meters;

    @BeforeEach
    void healSink() {
        FAULTY_SEARCH.heal();
    }

    @Test
    void repositorySaveReachesTheSinkAsSpringDataStoredIt() {
        Product saved = products.save(new Product("p-save", "Kettle", 2999));

        assertEquals(0L, saved.getVersion(), "save returns the saved entity, @Version set by Spring Data");
        Product delivered = SEARCH.get("p-save").orElseThrow(() -> new AssertionError("the sink holds p-save"));
        assertEquals("Kettle", delivered.getName());
        assertEquals(2999, delivered.getPriceCents());
        Document stored = template.getCollection("products").find(new Document("_id", "p-save")).first();
        assertNotNull(stored, "the document is in MongoDB");
        assertEquals(2999L, ((Number) stored.get("price_cents")).longValue(), "@Field mapping kept: " + stored.toJson());
        assertEquals(Product.class.getName(), stored.getString("_class"), "Spring Data's type hint kept");

        saved.setName("Kettle 2");
        Product again = products.save(saved);
        assertEquals(1L, again.getVersion());
        assertEquals("Kettle 2", SEARCH.get("p-save").orElseThrow().getName(), "the second save reached the sink");
    }

    @Test
    void repositoryDeletesReachTheSink() {
        Product a = products.save(new Product("p-del-a", "A", 1));
        products.save(new Product("p-del-b", "B", 2));
        products.saveAll(List.of(new Product("p-del-c", "C", 3), new Product("p-del-d", "D", 4)));
        assertTrue(SEARCH.get("p-del-c").isPresent() && SEARCH.get("p-del-d").isPresent(), "saveAll reached the sink");

        products.delete(a);
        products.deleteById("p-del-b");
        products.deleteAllById(List.of("p-del-c", "p-del-d"));

        for (String id : List.of("p-del-a", "p-del-b", "p-del-c", "p-del-d")) {
            assertTrue(SEARCH.isDeleted(id), id + " is deleted in the sink");
            assertFalse(products.existsById(id), id + " is gone from MongoDB");
        }
    }

    @Test
    void aStaleVersionSaveFailsAsWithoutDualwriteAndReachesNoSink() {
        products.save(new Product("p-stale", "first", 10));
        Product mine = products.findById("p-stale").orElseThrow();
        Product theirs = products.findById("p-stale").orElseThrow();
        theirs.setName("theirs");
        products.save(theirs);
        long applied = SEARCH.appliedCount();

        mine.setName("mine, stale");
        assertThrows(OptimisticLockingFailureException.class, () -> products.save(mine));

        assertEquals(applied, SEARCH.appliedCount(), "nothing reached the sink");
        assertEquals("theirs", SEARCH.get("p-stale").orElseThrow().getName());
        assertEquals("theirs", products.findById("p-stale").orElseThrow().getName());
    }

    @Test
    void recoveryDeliversASaveWhoseDeliveryFailed() {
        long injected = FAULTY_SEARCH.injectedTotal();
        FAULTY_SEARCH.failNext(1, ErrorKind.TRANSIENT);

        Product saved = products.save(new Product("p-recover", "Teapot", 1500));

        assertEquals(0L, saved.getVersion(), "the save itself succeeded");
        assertEquals(injected + 1, FAULTY_SEARCH.injectedTotal(), "the caller's path failed to deliver");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals("Teapot",
                SEARCH.get("p-recover").map(Product::getName).orElse(null), "the recovery worker delivered it"));
        // the delivery is acknowledged in the writer's next batch, a moment after the sink took it
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(0L,
                writers.writer(Product.class).operations().backlog(), "nothing left pending"));
    }

    @Test
    void theWriterReportsToTheApplicationsMeterAndObservationRegistries() {
        OBSERVED.clear();
        products.save(new Product("p-meter", "Cup", 5));
        products.deleteById("p-meter");

        assertFalse(meters.find(DualWriteMetrics.SINK_APPLY).tag(DualWriteMetrics.TAG_TYPE, "products").meters().isEmpty(),
                "the sink's meters are in the application's registry");
        assertEquals(List.of("UPSERT products", "DELETE products"), OBSERVED, "one observation per write");
    }

    @Test
    void aNewEntityWithoutIdGetsOneBeforeTheSave() {
        Product saved = products.save(new Product(null, "Pan", 4000));

        assertNotNull(saved.getId(), "an id was assigned");
        assertEquals("Pan", SEARCH.get(saved.getId()).orElseThrow().getName(), "delivered under that id");
        assertTrue(products.existsById(saved.getId()));
    }

    @Test
    void aStringIdThatSpringDataWouldStoreAsObjectIdIsRefused() {
        String hex = new ObjectId().toHexString();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> products.save(new Product(hex, "Pot", 1)));

        assertTrue(e.getMessage().contains("@MongoId(FieldType.STRING)"), e.getMessage());
        assertFalse(products.existsById(hex), "nothing was written");
    }
}
