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

import io.dualwrite.ErrorKind;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import io.dualwrite.spring.boot.test.FaultySinks;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FaultySinks} in an application's test: the Redis cache bean is wrapped in a fault-injecting sink, an outage
 * leaves a save to recovery, and the wait for convergence sees Redis catch up.
 */
@SpringBootTest(classes = {CatalogApplication.class, FaultySinksTest.Cache.class}, properties = {
        "dualwrite.entities.products.recovery.grace-period=0s",
        "dualwrite.entities.products.sinks.cache.max-attempts=1"})
@Import(FaultySinks.class)
class FaultySinksTest {
    @RegisterExtension
    static final LocalRedis redis = new LocalRedis();

    @TestConfiguration
    static class Cache {
        @Bean
        DualWriteSinks<Product> productSinks() {
            return DualWriteSinks.builder(Product.class).sink("cache", redis.sink("products", Product.class)).build();
        }
    }

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @Autowired
    FaultySinks faults;
    @Autowired
    ProductRepository products;

    @Test
    void aSaveLeftToRecoveryDuringAnOutageReachesRedisOnceTheSinkHeals() {
        faults.sink(Product.class, "cache").failNext(1, ErrorKind.TRANSIENT);
        products.save(new Product("f-1", "Kettle", 2999));
        assertFalse(redis.holds("products", "f-1"), "the outage kept the save from Redis");

        ConvergenceReport report = faults.awaitConverged(Duration.ofSeconds(20), Product.class, List.of("f-1"));

        assertTrue(redis.holds("products", "f-1"), "recovery delivered it: " + report);
        assertEquals(1L, faults.sink(Product.class, "cache").injectedTotal(), "one fault was injected");
    }
}
