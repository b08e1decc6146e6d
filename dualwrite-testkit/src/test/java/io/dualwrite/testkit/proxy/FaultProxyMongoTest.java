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
package io.dualwrite.testkit.proxy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import io.dualwrite.testkit.mongo.InJvmMongo;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The proxy between the real MongoDB driver and the in-JVM MongoDB-wire server: a cut in the
 * middle of an operation surfaces as a driver error, and the driver recovers once the proxy is
 * restored.
 */
class FaultProxyMongoTest {

    @Test
    void aCutMidOperationFailsItAndTheDriverRecoversAfterRestore() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start();
             FaultProxy proxy = FaultProxy.start("127.0.0.1", mongo.port());
             MongoClient client = MongoClients.create(MongoClientSettings.builder()
                     .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + proxy.port()))
                     .applyToClusterSettings(b -> b.serverSelectionTimeout(1, TimeUnit.SECONDS))
                     .applyToSocketSettings(b -> b.connectTimeout(1, TimeUnit.SECONDS).readTimeout(3, TimeUnit.SECONDS))
                     .applyToServerSettings(b -> b.heartbeatFrequency(100, TimeUnit.MILLISECONDS)
                             .minHeartbeatFrequency(50, TimeUnit.MILLISECONDS))
                     .build())) {
            MongoCollection<Document> items = client.getDatabase("proxy").getCollection("items");
            items.insertOne(new Document("_id", 1));
            assertEquals(1, items.countDocuments(), "the driver works through the proxy");

            proxy.latency(Duration.ofMillis(400));
            CompletableFuture<Void> inFlight = CompletableFuture.runAsync(() -> items.insertOne(new Document("_id", 2)));
            Thread.sleep(150);
            proxy.cut();
            ExecutionException failed = assertThrows(ExecutionException.class, () -> inFlight.get(10, TimeUnit.SECONDS),
                    "an insert in flight during the cut must fail");
            assertInstanceOf(MongoException.class, failed.getCause(), "the failure is the driver's: " + failed.getCause());
            assertThrows(MongoException.class, () -> items.insertOne(new Document("_id", 3)),
                    "while cut, operations fail");

            proxy.restore();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try {
                    items.insertOne(new Document("_id", 4));
                    break;
                } catch (MongoException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
            assertEquals(4, items.find(new Document("_id", 4)).first().getInteger("_id"),
                    "after restore the driver writes again");
        }
    }
}
