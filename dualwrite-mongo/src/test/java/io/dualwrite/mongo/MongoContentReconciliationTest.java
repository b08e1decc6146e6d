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
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Content comparison over the MongoDB primary: the embedded store lets the reconciler rewrite the
 * entity as a new version (a real conditional write on the version), the write-ahead store only
 * lets it report, since its writes are the application's own.
 */
@ExtendWith(MongoExtension.class)
class MongoContentReconciliationTest {

    @Test
    void overTheEmbeddedStoreContentDriftIsRewrittenAsTheNextVersion(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> primary = MongoPrimaryStore.builder(products).build();
        InMemorySink<Product> search = new InMemorySink<>();
        try (DualWriter<Product> writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            long v = writer.save(new Product("p-1", "kettle", 2999)).version();
            writer.save(new Product("p-2", "toaster", 1999));
            search.force("p-1", v, new Product("p-1", "kettle", 1)); // edited in the sink, version kept

            Reconciler reconciler = Reconciler.<Product>builder().writer(writer).primary(primary).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build();
            ReconcileReport report = reconciler.apply(ReconcileScope.all());

            assertEquals(1, report.count(DriftClass.CONTENT_MISMATCH), report.summary());
            assertEquals(1, report.actions(RepairOutcome.REWRITTEN), report.summary());
            assertEquals(v + 1, primary.read("p-1").orElseThrow().version(), "the primary's version grew by one");
            assertEquals(new Product("p-1", "kettle", 2999), search.get("p-1").orElseThrow(),
                    "the sink holds the primary's content, read back through the codec");
            assertEquals(v + 1, search.versionOf("p-1").getAsLong());
            assertEquals(0, reconciler.apply(ReconcileScope.all()).drift(), "nothing is left");
        }
    }

    @Test
    void overTheWriteAheadStoreContentDriftIsReportedOnly(MongoDatabase db) {
        MongoCollection<Order> orders = db.getCollection(Collections.uniqueName("orders"), Order.class)
                .withCodecRegistry(Collections.POJOS);
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).versionField("version").build();
        OrderRepository repository = new OrderRepository(orders);
        InMemorySink<Order> search = new InMemorySink<>();
        try (DualWriter<Order> writer = DualWriter.<Order>builder().entityType("order").primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            Order order = new Order("o-1", "PAID");
            long v = writer.saveWith("o-1", () -> repository.save(order)).version();
            Order held = search.get("o-1").orElseThrow();
            Order edited = new Order("o-1", "REFUNDED");
            edited.setVersion(held.getVersion());
            search.force("o-1", v, edited);

            ReconcileReport report = Reconciler.<Order>builder().writer(writer).primary(store).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().apply(ReconcileScope.all());

            assertEquals(1, report.count(DriftClass.CONTENT_MISMATCH), report.summary());
            assertEquals(0, report.repaired(), "reported only: " + report.summary());
            assertTrue(report.errors().stream().anyMatch(e -> e.contains("write-ahead")), report.errors().toString());
            assertEquals(v, store.read("o-1").orElseThrow().version(), "nothing was written to the primary");
            assertEquals("REFUNDED", search.get("o-1").orElseThrow().getStatus(), "the sink keeps what it holds");
        }
    }
}
