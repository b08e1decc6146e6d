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
import io.dualwrite.SinkSettings;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.testkit.fault.FaultySink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dualwrite} health contributor over a real sink, the local Redis, behind a fault-injecting wrapper: UP
 * while deliveries succeed, OUT_OF_SERVICE past the backlog threshold, DOWN while the sink's circuit is open, UP again
 * once the sink heals and recovery has delivered what was left. Recovery runs from the test (the background worker
 * is off), so each step is decided by the test, not by a timer.
 */
@SpringBootTest(classes = {CatalogApplication.class, DualWriteHealthTest.Cache.class}, properties = {
        "dualwrite.entities.products.recovery.enabled=false",
        "dualwrite.entities.products.recovery.grace-period=0s",
        "dualwrite.entities.products.sinks.cache.max-attempts=1",
        "dualwrite.health.backlog-threshold=0"})
class DualWriteHealthTest {
    @RegisterExtension
    static final LocalRedis redis = new LocalRedis();
    static FaultySink<Product> cache;

    @TestConfiguration
    static class Cache {
        @Bean
        FaultySink<Product> productCache() {
            cache = FaultySink.wrap(redis.sink("products", Product.class))
                    .failProbability(1.0, ErrorKind.TRANSIENT)
                    .build();
            cache.heal();
            return cache;
        }

        @Bean
        DualWriteSinks<Product> productSinks(FaultySink<Product> cache) {
            // opens after three failed calls of the last three, probes again after 100 ms with one call
            CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                    .slidingWindowSize(3).minimumNumberOfCalls(3).failureRateThreshold(50)
                    .waitDurationInOpenState(Duration.ofMillis(100)).permittedNumberOfCallsInHalfOpenState(1)
                    .build();
            return DualWriteSinks.builder(Product.class)
                    .sink("cache", cache, SinkSettings.builder().circuitBreaker(breaker).build()).build();
        }
    }

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @Autowired
    ProductRepository products;
    @Autowired
    DualWriters writers;
    @Autowired
    HealthContributorRegistry registry;

    @Test
    void turnsDownWhileTheSinkIsDownAndUpOnceItHealed() {
        HealthIndicator health = productsHealth();
        DualWriter<Product> writer = writers.writer(Product.class);
        products.save(new Product("h-1", "Kettle", 2999));
        writer.operations().flushAcknowledgements(); // the delivered intent is acknowledged off the caller's path
        assertEquals(Status.UP, health.health().getStatus(), () -> "delivered: " + health.health());
        assertEquals("CLOSED", sink(health.health()).get("circuit"));

        cache.unheal();
        products.save(new Product("h-2", "Mug", 700));
        Health past = health.health();
        assertEquals(Status.OUT_OF_SERVICE, past.getStatus(), () -> "one entity left to recovery: " + past);
        assertEquals(1L, past.getDetails().get("backlog"));
        assertEquals("CLOSED", sink(past).get("circuit"), "one failure does not open the circuit");

        products.save(new Product("h-3", "Cup", 500));
        products.save(new Product("h-4", "Jug", 900));
        Health down = health.health();
        assertEquals(Status.DOWN, down.getStatus(), () -> "three failed calls opened the circuit: " + down);
        assertEquals("OPEN", sink(down).get("circuit"));
        assertTrue(down.getDetails().get("reasons").toString().contains("circuit of sink cache is OPEN"),
                () -> "the reason names the sink: " + down);

        cache.heal();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            writer.operations().recoverDue();
            writer.operations().flushAcknowledgements();
            return health.health().getStatus().equals(Status.UP);
        });
        Health up = health.health();
        assertEquals("CLOSED", sink(up).get("circuit"), () -> "healed: " + up);
        assertEquals(0L, up.getDetails().get("backlog"));
        for (String id : List.of("h-2", "h-3", "h-4")) {
            assertTrue(redis.holds("products", id),
                    id + " reached Redis after the sink healed");
        }
    }

    private HealthIndicator productsHealth() {
        CompositeHealthContributor dualwrite = assertInstanceOf(CompositeHealthContributor.class,
                registry.getContributor("dualwrite"), "registered with Actuator as 'dualwrite'");
        HealthIndicator products = assertInstanceOf(HealthIndicator.class, dualwrite.getContributor("products"));
        assertNotNull(products, "one indicator per entity type");
        return products;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sink(Health health) {
        return (Map<String, Object>) ((Map<String, Object>) health.getDetails().get("sinks")).get("cache");
    }
}
