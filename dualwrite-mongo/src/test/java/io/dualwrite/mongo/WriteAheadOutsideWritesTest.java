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

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write-ahead store against code outside it: a document the store never wrote delivered by a read and then put
 * back older or re-inserted, a TTL delete before a delete through the store, a blind save over a document the codec
 * cannot read.
 */
class WriteAheadOutsideWritesTest extends ScriptedWriteAheadFixture {
    /**
     * A document that existed before the store managed it (no record) is repaired: the read delivers it at base 1
     * + its version field, and no record learns that version. Code outside the store then puts an older copy back
     * (a restore); the next save through the store goes above the copy, not above what the sinks hold, and the sink
     * never takes it.
     */
    @Test
    void anAdoptedDocumentRepairedThenPutBackOlderThenSavedThroughTheStore() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            Order older = new Order("p1", "RESTORED");
            older.setVersion(5L);
            Order adopted = new Order("p1", "ADOPTED");
            adopted.setVersion(100L);
            orders.insertOne(adopted);
            a.operations().redeliver("search", List.of("p1"));
            long delivered = search.versionOf("p1").orElseThrow();
            assertEquals("ADOPTED", search.get("p1").orElseThrow().getStatus());
            // a restore from outside the store puts an older copy back
            orders.replaceOne(Filters.eq("_id", "p1"), older);
            WriteResult next = save(a, "p1", "AFTER-RESTORE");
            // the promise: once recovery ran, the sink holds what the primary holds
            recover(a);
            assertEquals("AFTER-RESTORE", search.get("p1").orElseThrow().getStatus(), "the sink holds the primary's"
                    + " state; the save after the put-back was given " + next.version() + ", below the " + delivered
                    + " the repair delivered");
            assertTrue(next.version() > delivered, "versions only grow: " + next);
        }
    }

    /**
     * The same through the documented adoption step: a reconciliation run over a collection the store did not
     * write delivers each document at base 1 + its version field, and no record learns it. Then the docs' own
     * example of a write outside the store, "a TTL index's delete, then an insert at version 0 again", and the
     * application's next save through the store (saveReturning of a repository save): it is given a version far
     * below the one the sink holds, and the sink never takes it.
     */
    @Test
    void anAdoptedDocumentReconciledThenReinsertedAtVersionZeroThenSavedReturning() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            Order adopted = new Order("t1", "ADOPTED");
            adopted.setVersion(40L);
            orders.insertOne(adopted);
            var report = io.dualwrite.reconcile.Reconciler.<Order>builder().writer(a)
                    .primary((io.dualwrite.spi.PrimaryStore<Order>) store(a)).sink("search", search)
                    .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).build()
                    .apply(io.dualwrite.reconcile.ReconcileScope.all());
            assertEquals("ADOPTED", search.get("t1").orElseThrow().getStatus(), report.summary());
            long reconciled = search.versionOf("t1").orElseThrow();
            // a TTL index deletes it; the application inserts it again, at version 0, outside the store
            orders.deleteOne(Filters.eq("_id", "t1"));
            Order again = new Order("t1", "AGAIN");
            again.setVersion(0L);
            orders.insertOne(again);
            OrderRepository repository = new OrderRepository(orders);
            Order loaded = orders.find(Filters.eq("_id", "t1")).first();
            loaded.setStatus("PAID");
            WriteResult paid = a.saveReturning("t1", () -> repository.save(loaded));
            recover(a);
            assertEquals("PAID", search.get("t1").orElseThrow().getStatus(), "the sink holds the primary's state;"
                    + " the save was given " + paid.version() + ", below the " + reconciled + " the reconciliation"
                    + " delivered");
        }
    }

    /**
     * guarantees.md: "An update made directly on the collection records no intent; sinks hear of it at the entity's
     * next write". The docs' own example of such a write is a TTL index's delete. The entity's next write is the
     * application's delete through the store: it finds the document absent, answers "nothing to delete", records
     * no intent and delivers nothing, though the entity's record says the sink was given a live version. The
     * sink keeps the entity the primary no longer has, also after recovery.
     */
    @Test
    void aDeleteThroughTheStoreAfterATtlDeleteNeverReachesTheSink() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            save(a, "d1", "NEW");
            WriteResult paid = save(a, "d1", "PAID");
            assertEquals(paid.version(), search.versionOf("d1").orElseThrow());
            // a TTL index deletes the document, outside the store
            orders.deleteOne(Filters.eq("_id", "d1"));
            // the entity's next write: the application deletes it through the store
            WriteResult deleted = a.deleteWith("d1", () -> orders.deleteOne(Filters.eq("_id", "d1")));
            recover(a);
            assertTrue(search.get("d1").isEmpty(), "the primary has no d1, nor may the sink after the entity's next"
                    + " write (" + deleted + "): it holds " + search.get("d1").map(Order::getStatus).orElse(null)
                    + " at " + search.versionOf("d1").orElse(-1L));
        }
    }

    /**
     * guarantees.md: a write of an entity whose document the codec cannot decode "is refused with
     * PrimaryWriteException (PERMANENT, the codec's error), nothing written"; mongodb.md: a failure after the
     * caller's write completed is UNKNOWN_OUTCOME, "never 'nothing was written'". A blind saveWith of an entity the
     * store saved before reads nothing first (its record remembers the version field): the caller's update runs
     * and lands, then the read-back cannot decode the document, and the caller is told PERMANENT.
     */
    @Test
    void aBlindSaveOverAnUndecodableDocumentLandsAndIsReportedPermanent() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            save(a, "u1", "NEW");
            save(a, "u1", "PAID");
            // someone else's code makes the status a number the entity class cannot hold
            raw.updateOne(Filters.eq("_id", "u1"), Updates.set("status", 42));
            long fieldBefore = raw.find(Filters.eq("_id", "u1")).first().getNumber("version").longValue();
            io.dualwrite.PrimaryWriteException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.dualwrite.PrimaryWriteException.class, () -> a.saveWith("u1",
                            () -> orders.updateOne(Filters.eq("_id", "u1"), Updates.inc("version", 1L))));
            long fieldAfter = raw.find(Filters.eq("_id", "u1")).first().getNumber("version").longValue();
            assertTrue(e.kind() != io.dualwrite.ErrorKind.PERMANENT || fieldAfter == fieldBefore, "reported "
                    + e.kind() + " (refused, nothing written), yet the caller's write landed: version field "
                    + fieldBefore + " -> " + fieldAfter + " (" + e.getMessage() + ")");
        }
    }

    private MongoWriteAheadStore<Order> lastStore;

    @Override
    DualWriter<Order> writer(String name, boolean scripted, Duration writeWait) {
        lastStore = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(scripted ? script.wrap(intents) : intents)
                .writeLease(Duration.ofMinutes(1), writeWait).clock(clock).build();
        return writer(name, lastStore, search);
    }

    private MongoWriteAheadStore<Order> store(DualWriter<Order> w) {
        return lastStore;
    }
}
