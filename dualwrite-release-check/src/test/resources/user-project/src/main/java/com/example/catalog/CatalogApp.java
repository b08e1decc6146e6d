package com.example.catalog;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.WriteResult;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.redis.RedisSink;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.bson.codecs.pojo.annotations.BsonId;

public class CatalogApp {

    /** The entity: {@code @BsonId} makes {@code id} the document's {@code _id}. */
    public record Product(@BsonId String id, String name, long priceCents) {
    }

    /** MongoDB is the primary; the Redis cache follows it. The entity type names must match. */
    public static DualWriter<Product> writer(MongoDatabase database, RedisSink<Product> cache) {
        return DualWriter.<Product>builder()
                .entityType("product")
                .idOf(Product::id)
                .primary(MongoPrimaryStore.builder(database.getCollection("products", Product.class)).build())
                .deadLetterStore(MongoDeadLetterStore.builder(database).build())
                .sink("cache", cache)
                .build();
    }

    public static void main(String[] args) {
        String mongoUri = args.length > 0 ? args[0] : "mongodb://localhost:27017";
        String redisUri = args.length > 1 ? args[1] : "redis://localhost:6379";
        RedisClient redisClient = RedisClient.create(redisUri);
        try (MongoClient mongo = MongoClients.create(mongoUri);
             StatefulRedisConnection<String, String> redis = redisClient.connect();
             DualWriter<Product> writer = writer(mongo.getDatabase("shop"),
                     RedisSink.builder("product", Product.class).connection(redis).build());
             RecoveryWorker recovery = RecoveryWorker.builder(writer).build()) {
            recovery.start();                      // finishes in the background whatever a save could not
            WriteResult saved = writer.save(new Product("p-1", "Kettle", 2999));
            System.out.println("version " + saved.version() + ": " + saved.outcomes());
        } finally {                                // closed in reverse: recovery, writer, then the clients
            redisClient.shutdown();
        }
    }
}
