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
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delete, then recovery: every sink drops the entity, the tombstone leaves, and nothing brings it back. */
@ExtendWith(MongoExtension.class)
class DeleteAndRecoveryTest {

    @Test
    void deleteThenRecoveryDropsTheEntityEverywhereAndNothingBringsItBack(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MutableClock clock = new MutableClock(Fixture.START);
        Map<String, InMemorySink<Product>> sinks = Fixture.sinks("search", "cache");
        Change<Product> old;
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w1", sinks).build()) {
            WriteResult first = w.save(new Product("d1", "lamp", 12));
            old = Change.<Product>builder().entityType("product").id("d1").version(first.version())
                    .operation(io.dualwrite.Operation.UPSERT).state(new Product("d1", "lamp", 12))
                    .idempotencyKey("product/d1@" + first.version()).correlationId("late").time(clock.instant()).build();
            w.operations().flushAcknowledgements();
        }
        // the delete is committed, then the writer dies before telling any sink
        Committed<Product> delete = Fixture.deleteAndDie(store, clock, "d1", sinks.keySet());
        assertTrue(store.read("d1").orElseThrow().deleted(), "the primary holds a tombstone meanwhile");
        assertEquals(1, products.withDocumentClass(BsonDocument.class).countDocuments(DualWriteFilters.deleted()),
                "the tombstone is a document the filter helper finds");
        assertEquals(0, products.countDocuments(DualWriteFilters.notDeleted()), "user queries with the helper skip it");
        Intent pending = store.read("d1").orElseThrow().pending().get("search");
        try (DualWriter<Product> w2 = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w2", sinks).build()) {
            Fixture.recoverAll(w2, store, clock);
        }
        for (Map.Entry<String, InMemorySink<Product>> e : sinks.entrySet()) {
            assertTrue(e.getValue().isDeleted("d1"), "sink " + e.getKey() + " dropped the entity");
            assertEquals(delete.version(), e.getValue().versionOf("d1").orElseThrow(),
                    "sink " + e.getKey() + " keeps the delete's version as its tombstone");
        }
        assertTrue(store.read("d1").orElseThrow().pending().isEmpty(), "every sink acknowledged the delete");
        assertEquals(delete.version(), store.read("d1").orElseThrow().version(), "the tombstone keeps its version");
        assertEquals(0, products.countDocuments(DualWriteFilters.notDeleted()), "user queries with the helper skip it");

        // late arrivals of older news bring nothing back
        for (InMemorySink<Product> sink : sinks.values()) {
            sink.apply(old);
            assertTrue(sink.get("d1").isEmpty(), "a late redelivery of an older version does not resurrect it");
        }
        store.acknowledge(List.of(new Ack("d1", "search", old.version(), null)));
        store.reschedule("d1", List.of(pending.failedAttempt(clock.instant(), 1, "late")));
        store.release("d1", "w2");
        Snapshot<Product> tombstone = store.read("d1").orElseThrow();
        assertTrue(tombstone.deleted() && tombstone.pending().isEmpty() && tombstone.version() == delete.version(),
                "late acknowledgements, reschedules and releases bring nothing back: " + tombstone);
        assertEquals(0, products.countDocuments(DualWriteFilters.notDeleted()), "no live document");
        clock.advance(Duration.ofMinutes(5));
        assertTrue(store.claimDue(clock.instant(), 10, "w3", Duration.ofSeconds(30)).isEmpty(), "nothing to recover");
        assertEquals(List.of("d1"), store.scan(null, 10).stream().filter(s -> s.deleted()).map(Snapshot::id).toList(),
                "a scan finds only the tombstone");
    }
}
