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
import io.dualwrite.ErrorKind;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import io.dualwrite.testkit.fault.FaultySink;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The application's start and shutdown: recovery workers run while it runs, shutdown closes them and the writers,
 * and a restarted application finds nothing left to do, or finishes what the previous run could not.
 */
class DualWriteLifecycleTest {
    static final InMemorySink<Product> SEARCH = new InMemorySink<>();
    static final FaultySink<Product> FAULTY_SEARCH = FaultySink.wrap((io.dualwrite.spi.Sink<Product>) SEARCH).build();

    @Configuration(proxyBeanMethods = false)
    static class Sinks {
        @Bean
        DualWriteSinks<Product> productSinks() {
            return DualWriteSinks.builder(Product.class).sink("search", FAULTY_SEARCH).build();
        }
    }

    /** A sink that never returns from its first delivery until the test lets it: a process stuck, or dead, mid-save. */
    static final CountDownLatch STUCK_ENTERED = new CountDownLatch(1);
    static final CountDownLatch UNSTICK = new CountDownLatch(1);

    @Configuration(proxyBeanMethods = false)
    static class StuckSinks {
        @Bean
        DualWriteSinks<Product> productSinks() {
            io.dualwrite.spi.Sink<Product> stuck = change -> {
                STUCK_ENTERED.countDown();
                UNSTICK.await();
                return SEARCH.apply(change);
            };
            return DualWriteSinks.builder(Product.class).sink("search", stuck).build();
        }
    }

    private static ConfigurableApplicationContext start(String database, boolean recovery) {
        return MongoForSpring.run(database, Sinks.class,
                "dualwrite.entities.products.sinks.search.max-attempts=1",
                "dualwrite.entities.products.recovery.enabled=" + recovery,
                "dualwrite.entities.products.recovery.grace-period=100ms",
                "dualwrite.entities.products.recovery.interval=50ms");
    }

    @Test
    void shutdownClosesWorkersAndWritersAndLeavesNothingPending() {
        String database = MongoForSpring.newDatabase();
        DualWriter<Product> writer;
        DualWriteLifecycle lifecycle;
        try (ConfigurableApplicationContext app = start(database, true)) {
            lifecycle = app.getBean(DualWriteLifecycle.class);
            assertTrue(lifecycle.isRunning(), "started with the application");
            assertEquals(1, lifecycle.workers().size(), "one recovery worker for products");
            writer = app.getBean(DualWriters.class).writer(Product.class);
            app.getBean(ProductRepository.class).save(new Product("l-1", "Mug", 700));
        }
        assertFalse(lifecycle.isRunning(), "stopped with the application");
        assertThrows(IllegalStateException.class, () -> writer.save(new Product("l-2", "Cup", 1)),
                "the writer was closed");

        try (ConfigurableApplicationContext again = start(database, false)) {
            assertEquals(0L, again.getBean(DualWriters.class).writer(Product.class).operations().backlog(),
                    "the delivered save's intent was acknowledged before the first run ended");
            assertEquals("Mug", SEARCH.get("l-1").orElseThrow().getName());
        }
    }

    @Test
    void aSaveCommittedByAnInstanceThatNeverDeliveredItIsRecoveredByTheNextOne() throws Exception {
        String database = MongoForSpring.newDatabase();
        ConfigurableApplicationContext crashed = MongoForSpring.run(database, StuckSinks.class,
                "dualwrite.entities.products.recovery.enabled=false",
                "dualwrite.entities.products.recovery.grace-period=100ms");
        try {
            ProductRepository products = crashed.getBean(ProductRepository.class);
            CompletableFuture<Product> save = CompletableFuture.supplyAsync(
                    () -> products.save(new Product("c-1", "Teapot", 1500)));
            assertTrue(STUCK_ENTERED.await(20, TimeUnit.SECONDS), "Spring Data's save committed, the delivery began");
            assertFalse(SEARCH.get("c-1").isPresent(), "and never finished: the instance is as good as dead");

            // a new instance on the same database, while the first one never gets further
            try (ConfigurableApplicationContext next = start(database, true)) {
                assertTrue(next.getBean(ProductRepository.class).existsById("c-1"), "the commit is in MongoDB");
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals("Teapot",
                        SEARCH.get("c-1").map(Product::getName).orElse(null), "recovered by the next instance"));
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(0L, next.getBean(
                        DualWriters.class).writer(Product.class).operations().backlog(), "the intent acknowledged"));
            }
            UNSTICK.countDown();
            save.get(20, TimeUnit.SECONDS);
        } finally {
            UNSTICK.countDown();
            crashed.close();
        }
        assertEquals("Teapot", SEARCH.get("c-1").orElseThrow().getName(), "the late delivery changed nothing");
    }

    @Test
    void aDeliveryLeftUndoneWhenTheApplicationStoppedIsFinishedAfterRestart() {
        String database = MongoForSpring.newDatabase();
        try (ConfigurableApplicationContext app = start(database, false)) {
            FAULTY_SEARCH.failNext(1, ErrorKind.TRANSIENT);
            app.getBean(ProductRepository.class).save(new Product("r-1", "Jug", 900));
            assertFalse(SEARCH.get("r-1").isPresent(), "the only attempt failed");
            assertEquals(1L, app.getBean(DualWriters.class).writer(Product.class).operations().backlog());
        }

        try (ConfigurableApplicationContext again = start(database, true)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals("Jug",
                    SEARCH.get("r-1").map(Product::getName).orElse(null), "recovery after restart delivered it"));
        }
    }
}
