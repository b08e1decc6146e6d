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
package io.dualwrite.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.operations.OperationRejectedException;
import io.dualwrite.mongo.operations.OperationRejectedException.Rejection;
import io.dualwrite.mongo.operations.Operations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import io.dualwrite.testkit.mongo.MongoExtension;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's acts through {@link Operations}, on the test MongoDB: the figures of embedded and write-ahead intents,
 * and input refused before anything changes.
 */
@ExtendWith(MongoExtension.class)
class OperationsTest {

    @Test
    void statusCountsEmbeddedAndWriteAheadIntentsAndTheirLeases(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> productStore = MongoPrimaryStore.builder(products).build();
        MongoCollection<Order> orders = db.getCollection(Collections.uniqueName("orders"), Order.class)
                .withCodecRegistry(Collections.POJOS);
        MongoWriteAheadStore<Order> orderStore = MongoWriteAheadStore.builder(db, orders).versionField("version").build();
        OrderRepository repository = new OrderRepository(orders);
        SinkSettings async = SinkSettings.of(DeliveryPolicy.ASYNC);
        try (DualWriter<Product> productWriter = DualWriter.<Product>builder().entityType("product")
                .idOf(Product::getId).primary(productStore).deadLetterStore(new InMemoryDeadLetterStore())
                .sink("search", new InMemorySink<>(), async)
                .gracePeriod(Duration.ZERO).meterRegistry(new SimpleMeterRegistry()).build();
             DualWriter<Order> orderWriter = DualWriter.<Order>builder().entityType("order").primary(orderStore)
                     .deadLetterStore(new InMemoryDeadLetterStore())
                     .sink("ledger", new InMemorySink<>(), async).gracePeriod(Duration.ZERO)
                     .meterRegistry(new SimpleMeterRegistry()).build()) {
            productWriter.save(new Product("p-1", "kettle", 2999));
            productWriter.save(new Product("p-2", "toaster", 1999));
            Order o1 = new Order("o-1", "PAID");
            orderWriter.saveWith("o-1", () -> repository.save(o1));
            orderWriter.saveWith("o-1", () -> repository.save(o1)); // two writes, one pending delivery
            Order o2 = new Order("o-2", "PAID");
            orderWriter.saveWith("o-2", () -> repository.save(o2));
            String productType = products.getNamespace().getCollectionName();
            String orderType = orders.getNamespace().getCollectionName();
            Operations ops = Operations.builder(db).build();

            Operations.SinkBacklog search = ops.status(productType).deliveries().get(0);
            assertEquals("search", search.sink());
            assertEquals("embedded", search.intents());
            assertEquals(productStore.pendingCount(), search.pending());
            assertEquals(2, search.due());
            assertEquals(productStore.oldestDue().orElseThrow(), search.oldestDue());

            Operations.SinkBacklog ledger = ops.status(orderType).deliveries().get(0);
            assertEquals("ledger", ledger.sink());
            assertEquals("write-ahead", ledger.intents(), "a collection with an intent collection is a type");
            assertEquals(orderStore.pendingCount(), ledger.pending());
            assertEquals(2, ledger.pending(), "one per order");
            assertEquals(orderStore.oldestDue().orElseThrow(), ledger.oldestDue());

            assertEquals(1, orderStore.claimDue(Instant.now(), 1, "worker-b", Duration.ofMinutes(5)).size());
            assertEquals(2, productStore.claimDue(Instant.now(), 2, "worker-c", Duration.ofMinutes(5)).size());
            Operations.Status status = Operations.builder(db).build().status(orderType);
            assertEquals(1, status.leases().size(), status.toString());
            assertEquals(new Operations.LeaseHolding(orderType, "worker-b", 1, status.leases().get(0).until()),
                    status.leases().get(0));
            assertEquals("worker-c", ops.status(productType).leases().get(0).owner());
            assertEquals(2, ops.status(productType).leases().get(0).entities());
        }
    }

    @Test
    void badInputIsRefusedAsSuchAndWhatDoesNotExistAsNotFound(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        try (DualWriter<Product> writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(MongoPrimaryStore.builder(products).build()).deadLetterStore(new InMemoryDeadLetterStore())
                .sink("search", new InMemorySink<>())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Product("p-1", "kettle", 2999));
        }
        String type = products.getNamespace().getCollectionName();
        Operations ops = Operations.builder(db).build();
        assertRejected(Rejection.BAD_INPUT, "unknown entity type 'invoice' (known: ", () -> ops.requireType("invoice"));
        assertRejected(Rejection.BAD_INPUT, "'p-1' is not a dead letter id: TYPE/ENTITY-ID#SINK",
                () -> ops.deadLetter("p-1"));
        assertRejected(Rejection.NOT_FOUND, "no dead letter '" + type + "/p-1#search'",
                () -> ops.deadLetter(type + "/p-1#search"));
        assertRejected(Rejection.BAD_INPUT, "'42' is not a reconciliation request id", () -> ops.reconciliation("42"));
        assertRejected(Rejection.NOT_FOUND, "no reconciliation request", () -> ops.reconciliation(
                "0123456789abcdef01234567"));
        assertRejected(Rejection.BAD_INPUT, "say why with --reason", () -> ops.discard(java.util.List.of(), "alice",
                " "));
    }

    private static void assertRejected(Rejection rejection, String message, Runnable act) {
        OperationRejectedException e = assertThrows(OperationRejectedException.class, act::run);
        assertEquals(rejection, e.rejection(), e.getMessage());
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }
}
