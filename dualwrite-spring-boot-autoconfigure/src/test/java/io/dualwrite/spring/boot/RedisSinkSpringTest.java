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

import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same repository with a real sink: the local Redis on 127.0.0.1:6379 (skipped, with the reason, where none
 * runs). Keys are prefixed per run so parallel builds do not meet.
 */
@SpringBootTest(classes = {CatalogApplication.class, RedisSinkSpringTest.Cache.class})
class RedisSinkSpringTest {
    static final String PREFIX = "dw-spring-" + UUID.randomUUID().toString().substring(0, 8);
    static RedisClient client;
    static StatefulRedisConnection<String, String> connection;

    @BeforeAll
    static void connect() {
        client = RedisClient.create("redis://127.0.0.1:6379");
        try {
            connection = client.connect();
        } catch (RuntimeException e) {
            client.shutdown();
            Assumptions.abort("no Redis on 127.0.0.1:6379 (start it with redis-server): " + e.getMessage());
        }
    }

    @AfterAll
    static void disconnect() {
        if (connection != null) {
            connection.sync().keys(PREFIX + ":*").forEach(k -> connection.sync().del(k));
            connection.close();
            client.shutdown();
        }
    }

    @TestConfiguration
    static class Cache {
        @Bean
        RedisSink<Product> productCache() {
            return RedisSink.builder("products", Product.class).connection(connection)
                    .keyLayout(RedisKeyLayout.of(PREFIX + ":{type}:{id}")).build();
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
        assertTrue(connection.sync().exists(PREFIX + ":products:r-2") == 1L, "the key layout is the test's own");
    }
}
