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
import io.dualwrite.WriterOperations;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.dualwrite.spring.boot.app.Note;
import io.dualwrite.spring.boot.app.NoteRepository;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dualwrite.*} properties change how the application's writers deliver, and a misnamed one fails the start. */
class DualWritePropertiesTest {
    static final InMemorySink<Product> SHADOWED = new InMemorySink<>();

    @Configuration(proxyBeanMethods = false)
    static class Sinks {
        @Bean
        DualWriteSinks<Product> productSinks() {
            return DualWriteSinks.builder(Product.class).entityType("catalog").sink("shadowed", SHADOWED).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class NoteSinks {
        @Bean
        DualWriteSinks<Note> noteSinks() {
            return DualWriteSinks.builder(Note.class).sink("search", new InMemorySink<>()).build();
        }
    }

    @Test
    void aPolicyFromPropertiesOverridesTheBeans() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), Sinks.class,
                "dualwrite.entities.catalog.sinks.shadowed.policy=SHADOW",
                "dualwrite.entities.catalog.recovery.enabled=false")) {
            app.getBean(ProductRepository.class).save(new Product("s-1", "Spoon", 3));

            assertEquals("catalog", app.getBean(DualWriters.class).writer(Product.class).entityType(),
                    "the entity type the bean named");
            assertTrue(app.getBean(DualWriteLifecycle.class).workers().isEmpty(), "recovery off by property");
            assertFalse(SHADOWED.get("s-1").isPresent(), "a SHADOW sink is never sent a change");
            assertTrue(app.getBean(ProductRepository.class).existsById("s-1"), "the save itself happened");
        }
    }

    @Test
    void aPropertyForASinkThatDoesNotExistFailsTheStart() {
        Throwable failure = assertThrows(RuntimeException.class, () -> MongoForSpring.run(
                MongoForSpring.newDatabase(), Sinks.class, "dualwrite.entities.catalog.sinks.serach.policy=ASYNC")
                .close());

        assertTrue(rootMessage(failure).contains("dualwrite.entities.catalog.sinks.serach"), rootMessage(failure));
    }

    @Test
    void anEntityWithoutVersionFailsTheStart() {
        Throwable failure = assertThrows(RuntimeException.class, () -> MongoForSpring.run(
                MongoForSpring.newDatabase(), NoteSinks.class).close());

        assertTrue(rootMessage(failure).contains(Note.class.getName() + " has no @Version"), rootMessage(failure));
    }

    @Test
    void aMarkedRepositoryWithoutSinksWritesNothing() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), Sinks.class,
                "dualwrite.entities.catalog.recovery.enabled=false")) {
            NoteRepository notes = app.getBean(NoteRepository.class);

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> notes.save(new Note("n-1", "x")));

            assertTrue(e.getMessage().contains("no DualWriteSinks bean for " + Note.class.getName()), e.getMessage());
            assertEquals(0, notes.count(), "nothing was written");
        }
    }

    @Test
    void everyGroupOfPropertiesReachesItsBuilder() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), Sinks.class,
                "dualwrite.dead-letter-collection=shop_dead_letters",
                "dualwrite.reconcile.checkpoint-collection=shop_checkpoints",
                "dualwrite.entities.catalog.recovery.enabled=false",
                "dualwrite.entities.catalog.sinks.shadowed.ramp-percent=0",
                "dualwrite.entities.catalog.sinks.shadowed.circuit-breaker.minimum-number-of-calls=4",
                "dualwrite.entities.catalog.sinks.shadowed.circuit-breaker.wait-duration-in-open-state=7s")) {
            DualWriters writers = app.getBean(DualWriters.class);
            DualWriter<Product> writer = writers.writer(Product.class);
            CircuitBreakerConfig breaker = writers.circuitBreaker(writer, "shadowed").orElseThrow()
                    .getCircuitBreakerConfig();

            assertEquals(4, breaker.getMinimumNumberOfCalls(), "the breaker's minimum calls from properties");
            assertEquals(Duration.ofSeconds(7).toMillis(), breaker.getWaitIntervalFunctionInOpenState().apply(1),
                    "the breaker's open wait from properties");
            assertEquals(20, breaker.getSlidingWindowSize(), "what no property names keeps the bean's value");
            assertEquals(WriterOperations.Reach.IGNORES, writer.operations().reach("shadowed", "any"),
                    "a 0 % ramp leaves every entity out");
            assertEquals("shop_dead_letters", app.getBean(MongoDeadLetterStore.class).collection().getNamespace()
                    .getCollectionName());
            assertEquals("shop_checkpoints", app.getBean(MongoReconcileStore.class).checkpointCollection()
                    .getNamespace().getCollectionName());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "dualwrite.entities.catalog.request-key-window=0s",
            "dualwrite.entities.catalog.recovery.batch-size=0",
            "dualwrite.entities.catalog.recovery.lease=-1s",
            "dualwrite.entities.catalog.recovery.max-attempts=0",
            "dualwrite.entities.catalog.recovery.interval=0s",
            "dualwrite.entities.catalog.sinks.shadowed.ramp-percent=101",
            "dualwrite.entities.catalog.sinks.shadowed.max-attempts=0",
            "dualwrite.entities.catalog.sinks.shadowed.backoff-multiplier=0.5",
            "dualwrite.entities.catalog.sinks.shadowed.jitter=2",
            "dualwrite.entities.catalog.sinks.shadowed.max-concurrent-calls=0",
            "dualwrite.entities.catalog.sinks.shadowed.circuit-breaker.failure-rate-threshold=120",
            "dualwrite.entities.catalog.sinks.shadowed.circuit-breaker.sliding-window-size=0",
            "dualwrite.dead-letter-collection= ",
            "dualwrite.health.backlog-threshold=-1",
            "dualwrite.health.threshold-status= "})
    void aBadValueFailsTheStartNamingItsProperty(String property) {
        String name = property.substring(0, property.indexOf('='));
        Throwable failure = assertThrows(RuntimeException.class, () -> MongoForSpring.run(
                MongoForSpring.newDatabase(), Sinks.class, property).close());

        assertTrue(rootMessage(failure).contains(name), rootMessage(failure));
    }

    private static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" / ");
        }
        return all.toString();
    }
}
