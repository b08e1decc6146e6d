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
package io.dualwrite.cli;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.SinkSettings;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.redis.RedisKeyLayout;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.testkit.servers.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.bson.Document;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An application as an operator meets it: in its own database, products written through a {@link DualWriter} to a
 * real Redis cache (sink {@code cache}) with a {@link RecoveryWorker} running, and orders whose asynchronous sink
 * nobody recovers (so their intents stay pending). The cache refuses, as a permanent error, every product whose id
 * is {@link #poison poisoned}: that is how dead letters are made, and {@link #heal healing} is the operator's fix.
 * A {@link ReconcileRequestWorker} runs the reconciliation requests of products (in chunks of two ids).
 * Needs the test MongoDB ({@link TestMongo}) and a Redis ({@link TestRedis}). Not thread-safe.
 */
final class RunningApplication implements AutoCloseable {
    final String databaseName = "cli_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final MongoDatabase database = TestMongo.client().getDatabase(databaseName);
    final MongoCollection<Document> products = database.getCollection("products");
    final MongoCollection<Document> orders = database.getCollection("orders");
    final MongoDeadLetterStore deadLetters = MongoDeadLetterStore.builder(database).build();
    final MongoPrimaryStore<Document> productStore = MongoPrimaryStore.builder(products).build();
    final MongoPrimaryStore<Document> orderStore = MongoPrimaryStore.builder(orders).build();
    final RedisSink<Document> cache;
    final DualWriter<Document> productWriter;
    final DualWriter<Document> orderWriter;
    final RecoveryWorker recovery;
    final Reconciler productReconciler;
    final ReconcileRequestWorker reconcileRequests;
    private MongoWriteAheadStore<Document> invoiceStore;
    private DualWriter<Document> invoiceWriter;
    private final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    private final RedisClient redis;
    private final StatefulRedisConnection<String, String> connection;

    RunningApplication() {
        redis = RedisClient.create(TestRedis.uri());
        connection = redis.connect();
        cache = RedisSink.builder("product", Document.class).connection(connection)
                .keyLayout(RedisKeyLayout.of(databaseName + ":{type}:{id}")).build();
        ForwardingSink<Document> refusing = new ForwardingSink<>(cache) {
            // every delivery, one by one or in a batch, is mapped first
            @Override
            public Object map(Change<Document> change) throws Exception {
                if (poisoned.contains(change.id())) {
                    throw new SinkException("the cache refuses " + change.id() + ": value too large",
                            ErrorKind.PERMANENT, null);
                }
                return super.map(change);
            }
        };
        productWriter = DualWriter.<Document>builder().entityType("product").idOf(d -> d.getString("_id"))
                .primary(productStore).deadLetterStore(deadLetters).sink("cache", refusing)
                .workerId("app-1").gracePeriod(Duration.ofMillis(100)).build();
        recovery = RecoveryWorker.builder(productWriter).interval(Duration.ofMillis(100)).build();
        recovery.start();
        productReconciler = Reconciler.<Document>builder().writer(productWriter).primary(productStore)
                .sink("cache", cache).store(MongoReconcileStore.builder(database).build()).chunkSize(2).build();
        reconcileRequests = ReconcileRequestWorker.builder(ReconcileRequests.builder(database).build())
                .reconciler(productReconciler).workerId("app-1").interval(Duration.ofMillis(50)).build();
        reconcileRequests.start();
        orderWriter = DualWriter.<Document>builder().entityType("order").idOf(d -> d.getString("_id"))
                .primary(orderStore).deadLetterStore(deadLetters)
                .sink("billing", new io.dualwrite.memory.InMemorySink<>(), SinkSettings.of(DeliveryPolicy.ASYNC))
                .gracePeriod(Duration.ZERO).build();
    }

    /**
     * Starts writing invoices in write-ahead mode (the application keeps its own save call; the intents live in
     * {@code invoices_dualwrite_intents}) to an asynchronous sink {@code ledger} that nobody recovers, so that their
     * intents stay pending.
     *
     * @return the invoices' store
     */
    MongoWriteAheadStore<Document> startInvoices() {
        MongoCollection<Document> invoices = database.getCollection("invoices");
        invoiceStore = MongoWriteAheadStore.builder(database, invoices).versionField("version").build();
        invoiceWriter = DualWriter.<Document>builder().entityType("invoice").primary(invoiceStore)
                .deadLetterStore(deadLetters)
                .sink("ledger", new io.dualwrite.memory.InMemorySink<>(), SinkSettings.of(DeliveryPolicy.ASYNC))
                .gracePeriod(Duration.ZERO).build();
        return invoiceStore;
    }

    void saveInvoice(String id, long total) {
        // the application's own save, which increments the version field as Spring Data's @Version does
        invoiceWriter.saveWith(id, () -> database.getCollection("invoices").updateOne(Filters.eq("_id", id),
                Updates.combine(Updates.set("total", total), Updates.inc("version", 1L)),
                new UpdateOptions().upsert(true)));
    }

    /** @return the arguments that point the tool at this application's primary and name its collections' types */
    List<String> connection() {
        return List.of("--mongo-uri", TestMongo.server().connectionString(), "--database", databaseName,
                "--entity", "product=products,order=orders");
    }

    void poison(String id) {
        poisoned.add(id);
    }

    void heal(String id) {
        poisoned.remove(id);
    }

    void saveProduct(String id, String name) {
        productWriter.save(new Document("_id", id).append("name", name));
    }

    void saveOrder(String id, long total) {
        orderWriter.save(new Document("_id", id).append("total", total));
    }

    /** Removes a product from the cache behind the application's back: drift that only a reconciliation finds. */
    void dropFromCache(String id) {
        connection.sync().del(cache.keyLayout().key("product", id));
    }

    /** @return the reconciler of the products and the cache, storing its reports in the primary */
    Reconciler reconciler() {
        return productReconciler;
    }

    /** Sets back the version the cache holds of a product behind the application's back: a stale entry. */
    void setBackInCache(String id) throws Exception {
        connection.sync().hset(cache.keyLayout().key("product", id), "version", String.valueOf(cachedVersion(id) - 1));
    }

    /** Copies a product's cache entry under an id the primary does not hold: an orphan. */
    void copyInCache(String id, String orphanId) {
        connection.sync().hset(cache.keyLayout().key("product", orphanId),
                connection.sync().hgetall(cache.keyLayout().key("product", id)));
    }

    /** @return the version of the product the primary holds */
    long primaryVersion(String id) {
        return productStore.read(id).orElseThrow().version();
    }

    /** @return the version of the product the cache holds, or null */
    Long cachedVersion(String id) throws Exception {
        return cache.versionsOf(List.of(id)).get(id);
    }

    @Override
    public void close() {
        reconcileRequests.close();
        recovery.close();
        productWriter.close();
        orderWriter.close();
        if (invoiceWriter != null) {
            invoiceWriter.close();
        }
        List<String> keys = connection.sync().keys(databaseName + ":*");
        if (!keys.isEmpty()) {
            connection.sync().del(keys.toArray(new String[0]));
        }
        redis.shutdown();
        database.drop();
    }

    /** @return the cache's dead letter of a product, which the test made */
    DeadLetter deadLetterOf(String id) {
        return deadLetters.get(DeadLetter.idOf("product", id, "cache")).orElseThrow(
                () -> new AssertionError("no dead letter for product " + id));
    }

    /** Polls a condition until it holds, for at most 20 seconds. */
    static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(20);
        while (!condition.getAsBoolean()) {
            if (java.time.Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(50);
        }
    }
}
