package com.example.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.example.catalog.CatalogApp.Product;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(MongoExtension.class)                  // a MongoDB per test: DUALWRITE_MONGO_URI, Testcontainers or in-JVM
class CatalogAppTest {

    @Test
    void theCacheHoldsWhatMongoDbHolds(MongoDatabase database) throws Exception {
        RedisClient client = RedisClient.create("redis://localhost:6379");
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            RedisSink<Product> cache = RedisSink.builder("product", Product.class).connection(redis)
                    .keyLayout(RedisKeyLayout.of("test-" + UUID.randomUUID() + ":{type}:{id}"))  // keys of its own
                    .build();
            try (DualWriter<Product> writer = CatalogApp.writer(database, cache)) {
                writer.save(new Product("p-1", "Kettle", 2999));
                writer.save(new Product("p-1", "Kettle", 2499));

                Convergence.<Product>check().primary(writer, List.of("p-1")).sink("cache", cache)
                        .awaitConverged(Duration.ofSeconds(10), writer);   // recovery and acknowledgements, until quiet
                assertEquals(2499, cache.get("p-1").orElseThrow().priceCents());
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void theFirstProgramRuns() {
        try (InJvmMongo mongo = InJvmMongo.start()) {
            CatalogApp.main(new String[] {mongo.connectionString(), "redis://localhost:6379"});
        }
    }
}
