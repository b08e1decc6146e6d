package io.dualwrite.spring.boot;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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

        Throwable cause = failure;
        while (cause.getCause() != null && !(cause instanceof IllegalStateException)) {
            cause = cause.getCause();
        }
        assertTrue(cause.getMessage().contains("dualwrite.entities.catalog.sinks.serach"), cause.getMessage());
    }
}
