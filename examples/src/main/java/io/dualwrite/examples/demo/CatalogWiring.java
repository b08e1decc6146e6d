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
package io.dualwrite.examples.demo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.examples.Product;
import io.dualwrite.kafka.KafkaSink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.opensearch.OpenSearchSink;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.opensearch.client.RestClient;

/**
 * The catalog's wiring, shared by the demo's main process and the writer processes it kills: the
 * same collection, index, topic and cache keys for one demo run. Immutable and thread-safe.
 */
public final class CatalogWiring {
    /** The entity type of the catalog. */
    public static final String ENTITY_TYPE = "product";
    /** Sink name of the search index. */
    public static final String SEARCH = "search";
    /** Sink name of the Kafka topic. */
    public static final String EVENTS = "events";
    /** Sink name of the cache. */
    public static final String CACHE = "cache";
    /** How long a fresh intent is left to the synchronous path before recovery takes it. */
    public static final Duration GRACE_PERIOD = Duration.ofSeconds(2);

    private final String run;

    /**
     * @param run a short name of this demo run (letters and digits), used in every collection,
     *            index, topic and key name so runs never share data
     */
    public CatalogWiring(String run) {
        this.run = Objects.requireNonNull(run, "run");
        if (!run.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("run must be lowercase letters and digits, was " + run);
        }
    }

    /** @return the run's name */
    public String run() {
        return run;
    }

    /** @return the MongoDB database of the run */
    public String databaseName() {
        return "catalog_" + run;
    }

    /** @return the index and topic name of the run */
    public String indexName() {
        return "products-" + run;
    }

    /** @return the topic of the run */
    public String topicName() {
        return "products-" + run;
    }

    /**
     * @param uri a MongoDB connection string
     * @return a client whose codecs map {@link Product} (records are in the driver's defaults)
     */
    public static MongoClient mongoClient(String uri) {
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(uri))
                .applyToClusterSettings(c -> c.serverSelectionTimeout(10, TimeUnit.SECONDS))
                .build());
    }

    /**
     * @param client a client
     * @return the run's database
     */
    public MongoDatabase database(MongoClient client) {
        return client.getDatabase(databaseName());
    }

    /** @return the collection of the catalog's products in the run's database */
    public String collectionName() {
        return "products";
    }

    /**
     * @param database the run's database
     * @return the primary store of the catalog (embedded intents)
     */
    public MongoPrimaryStore<Product> primary(MongoDatabase database) {
        MongoCollection<Product> products = database.getCollection(collectionName(), Product.class);
        return MongoPrimaryStore.builder(products).build();
    }

    /**
     * @param database the run's database
     * @return the durable dead-letter store
     */
    public MongoDeadLetterStore deadLetters(MongoDatabase database) {
        return MongoDeadLetterStore.builder(database).build();
    }

    /**
     * @param client a REST client of the search engine
     * @return the search-index sink (one shard, no replica: fine for a single node)
     */
    public OpenSearchSink<Product> search(RestClient client) {
        return OpenSearchSink.builder(ENTITY_TYPE, Product.class).client(client).index(indexName())
                .indexSettings("{\"number_of_shards\":1,\"number_of_replicas\":0}")
                .build();
    }

    /**
     * @param bootstrapServers the Kafka bootstrap servers
     * @return the Kafka sink
     */
    public KafkaSink<Product> events(String bootstrapServers) {
        return KafkaSink.builder(ENTITY_TYPE, Product.class).bootstrapServers(bootstrapServers).topic(topicName())
                .sendTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * @param connection a Redis connection
     * @return the Redis cache sink, its keys under {@code demo:<run>:}
     */
    public RedisSink<Product> redisCache(StatefulRedisConnection<String, String> connection) {
        return RedisSink.builder(ENTITY_TYPE, Product.class).connection(connection)
                .keyLayout(RedisKeyLayout.of(redisKeyPrefix() + "{type}:{id}"))
                .build();
    }

    /** @return the prefix of every cache key of the run in Redis */
    public String redisKeyPrefix() {
        return "demo:" + run + ":";
    }

    /**
     * @param n a product number
     * @return its id, zero-padded so ids sort like numbers
     */
    public static String productId(int n) {
        return String.format("p-%04d", n);
    }
}
