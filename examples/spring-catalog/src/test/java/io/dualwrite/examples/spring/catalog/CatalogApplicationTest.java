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
package io.dualwrite.examples.spring.catalog;

import io.dualwrite.jdbc.JdbcSink;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spring.boot.test.FaultySinks;
import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.testkit.servers.TestPostgres;
import io.dualwrite.testkit.servers.TestRedis;
import io.dualwrite.ErrorKind;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The catalog against real servers: the test MongoDB (in-JVM unless DUALWRITE_MONGO_URI says otherwise), the local
 * Redis and PostgreSQL (skipped, with the reason, where they do not run). A save reaches the cache and the search
 * table, a delete leaves both, and a cache outage heals by itself.
 */
@SpringBootTest(properties = "dualwrite.entities.products.recovery.grace-period=0s")
@Import(FaultySinks.class)
class CatalogApplicationTest {
    static final String RUN = UUID.randomUUID().toString().replace("-", "").substring(0, 10);

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestMongo.server().connectionString());
        registry.add("spring.mongodb.database", () -> "catalog_" + RUN);
        registry.add("catalog.redis.uri", TestRedis::uri);
        registry.add("catalog.cache.prefix", () -> "catalog-" + RUN);
        registry.add("catalog.search.jdbc-url", () -> TestPostgres.jdbcUrl() + "?user=" + TestPostgres.USER);
        registry.add("catalog.search.table", () -> "product_search_" + RUN);
    }

    @Autowired
    ProductRepository products;
    @Autowired
    RedisSink<Product> cache;
    @Autowired
    JdbcSink<Product> search;
    @Autowired
    FaultySinks faults;

    @Test
    void aProductSavedThroughTheRepositoryIsCachedAndSearchable() throws Exception {
        products.save(new Product("p-1", "Kettle", 2999));

        assertEquals("Kettle", cache.get("p-1").orElseThrow().getName(), "cached");
        assertTrue(search.versionsOf(List.of("p-1")).containsKey("p-1"), "in the search table");

        products.deleteById("p-1");
        assertFalse(cache.get("p-1").isPresent(), "gone from the cache");
        faults.awaitConverged(Duration.ofSeconds(20), Product.class, List.of("p-1"));
    }

    @Test
    void theCacheCatchesUpAfterAnOutage() throws Exception {
        faults.sink(Product.class, "cache").failNext(3, ErrorKind.TRANSIENT);
        products.save(new Product("p-2", "Teapot", 1500));

        faults.awaitConverged(Duration.ofSeconds(20), Product.class, List.of("p-2"));
        assertEquals("Teapot", cache.get("p-2").orElseThrow().getName());
    }
}
