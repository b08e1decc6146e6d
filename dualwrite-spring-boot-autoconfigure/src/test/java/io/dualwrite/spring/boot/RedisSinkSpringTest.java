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

import io.dualwrite.json.Jackson3Json;
import io.dualwrite.json.Json;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same repository with a real sink: the local Redis on 127.0.0.1:6379 (skipped, with the reason, where none
 * runs). The application configures its Jackson 3 mapper (snake case names), which the sink takes through the
 * starter's {@code Json} bean. Keys are prefixed per run so parallel builds do not meet.
 */
@SpringBootTest(classes = {CatalogApplication.class, RedisSinkSpringTest.Cache.class},
        properties = "spring.jackson.property-naming-strategy=SNAKE_CASE")
class RedisSinkSpringTest {
    @RegisterExtension
    static final LocalRedis redis = new LocalRedis();

    @TestConfiguration
    static class Cache {
        @Bean
        RedisSink<Product> productCache(Json json) {
            // the cached JSON is written and read by the application's own Jackson 3 mapper
            return redis.builder("products", Product.class).json(json).build();
        }

        @Bean
        DualWriteSinks<Product> productSinks(RedisSink<Product> cache) {
            return DualWriteSinks.builder(Product.class).sink("cache", cache).build();
        }
    }

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @Autowired
    ProductRepository products;
    @Autowired
    RedisSink<Product> cache;
    @Autowired
    Json json;
    @Autowired
    JsonMapper applicationMapper;

    @Test
    void theApplicationsJackson3MapperMapsTheEntities() {
        Jackson3Json jackson3 = assertInstanceOf(Jackson3Json.class, json, "Spring Boot 4's JsonMapper is taken");
        assertSame(applicationMapper, jackson3.mapper(), "the application's own mapper, with its configuration");
        Product saved = products.save(new Product("j-1", "Kettle", 2999));
        String stored = redis.connection().sync().hget(redis.prefix + ":products:j-1", "state");
        assertEquals(saved.getName(), applicationMapper.readTree(stored).get("name").asString(),
                "Redis holds the JSON the application's mapper wrote: " + stored);
        assertEquals(2999, applicationMapper.readTree(stored).path("price_cents").asLong(),
                "named by the application's spring.jackson.property-naming-strategy: " + stored);
        assertFalse(applicationMapper.readTree(stored).has("priceCents"), "not by Jackson's default: " + stored);
        assertEquals(2999, cache.get("j-1").orElseThrow().getPriceCents(), "and read back through the same mapper");
    }

    @Test
    void savesAndDeletesReachRedis() throws Exception {
        Product saved = products.save(new Product("r-1", "Kettle", 2999));
        assertEquals("Kettle", cache.get("r-1").orElseThrow().getName());

        saved.setPriceCents(2499);
        products.save(saved);
        assertEquals(2499, cache.get("r-1").orElseThrow().getPriceCents());

        products.deleteById("r-1");
        assertFalse(cache.get("r-1").isPresent(), "deleted from Redis");
    }

    @Test
    void aStaleSaveLeavesRedisAsItWas() throws Exception {
        Product mine = products.save(new Product("r-2", "first", 1));
        Product theirs = products.findById("r-2").orElseThrow();
        theirs.setName("theirs");
        products.save(theirs);

        mine.setName("stale");
        assertThrows(OptimisticLockingFailureException.class, () -> products.save(mine));

        assertEquals("theirs", cache.get("r-2").orElseThrow().getName());
        assertTrue(redis.holds("products", "r-2"), "the key layout is the test's own");
    }
}
