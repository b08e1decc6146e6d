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

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.examples.Product;
import io.dualwrite.kafka.KafkaSink;
import io.dualwrite.opensearch.OpenSearchSink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.Change;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.http.HttpHost;
import org.opensearch.client.RestClient;

/**
 * A second instance of the catalog service, run in its own JVM by the demo and killed with
 * SIGKILL while it writes: it shares the demo's MongoDB and sinks, writes as fast as it can and
 * runs no recovery, so whatever it committed but did not deliver when it died is left to the
 * demo's recovery worker.
 *
 * <p>Arguments: {@code mongoUri run opensearchUrl kafkaBootstrap redisUri|- products seed}. Prints
 * {@value #READY} after its first write and {@value #WROTE} with the count after every write.
 */
public final class CrashingWriter {
    /** Printed once the first write is done. */
    public static final String READY = "READY";
    /** Prefix of the progress lines. */
    public static final String WROTE = "WROTE ";
    private static final int MAX_OPERATIONS = 1_000_000;

    private CrashingWriter() {
    }

    /**
     * @param args see the class description
     * @throws Exception if the wiring fails (the parent sees the output)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            throw new IllegalArgumentException("usage: mongoUri run opensearchUrl kafkaBootstrap redisUri|- products seed");
        }
        CatalogWiring wiring = new CatalogWiring(args[1]);
        int products = Integer.parseInt(args[5]);
        long seed = Long.parseLong(args[6]);
        try (MongoClient mongo = CatalogWiring.mongoClient(args[0]);
             RestClient rest = RestClient.builder(HttpHost.create(args[2])).build();
             KafkaSink<Product> events = wiring.events(args[3])) {
            MongoDatabase db = wiring.database(mongo);
            OpenSearchSink<Product> search = wiring.search(rest);
            DualWriterBuilder<Product> b = DualWriter.<Product>builder()
                    .entityType(CatalogWiring.ENTITY_TYPE).idOf(Product::id)
                    .primary(wiring.primary(db)).deadLetterStore(wiring.deadLetters(db))
                    .gracePeriod(CatalogWiring.GRACE_PERIOD)
                    .sink(CatalogWiring.SEARCH, search)
                    .sink(CatalogWiring.EVENTS, events);
            StatefulRedisConnection<String, String> redis = null;
            RedisClient redisClient = null;
            if (!"-".equals(args[4])) {
                redisClient = RedisClient.create(args[4]);
                redis = redisClient.connect();
                b.sink(CatalogWiring.CACHE, wiring.redisCache(redis));
            } else {
                // the in-memory cache lives in the demo's main process: record the intent here and
                // let that process's recovery deliver it
                b.sink(CatalogWiring.CACHE, new CacheInAnotherProcess(), SinkSettings.of(DeliveryPolicy.ASYNC));
            }
            try (DualWriter<Product> writer = b.build()) {
                CatalogTraffic traffic = new CatalogTraffic(writer, products, seed);
                for (int i = 1; i <= MAX_OPERATIONS; i++) {
                    traffic.next();
                    if (i == 1) {
                        System.out.println(READY);
                    }
                    System.out.println(WROTE + i);
                }
            } finally {
                if (redis != null) {
                    redis.close();
                    redisClient.shutdown();
                }
            }
        }
    }

    /**
     * The cache of the demo's main process as seen from this one: registered ASYNC, so this
     * process only records intents for it and never calls it (it runs no recovery).
     */
    private static final class CacheInAnotherProcess implements Sink<Product> {
        @Override
        public ApplyResult apply(Change<Product> change) throws SinkException {
            throw new SinkException("the cache lives in the demo's main process; its recovery delivers "
                    + change.idempotencyKey(), ErrorKind.TRANSIENT, null);
        }
    }
}
