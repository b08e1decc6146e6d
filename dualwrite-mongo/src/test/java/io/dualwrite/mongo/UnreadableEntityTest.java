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
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.relay.Gap;
import io.dualwrite.mongo.relay.GapHandler;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A document the codec cannot decode is that entity's own permanent failure on every road that
 * reads the primary outside recovery (a redelivery, a reconciliation, a dead-letter replay, a
 * resync after a relay's gap): it is dead-lettered or reported, and the others go on.
 */
@ExtendWith(MongoExtension.class)
class UnreadableEntityTest {
    private final InMemorySink<Product> search = new InMemorySink<>();
    private final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    private MongoCollection<Product> products;
    private MongoPrimaryStore<Product> primary;
    private DualWriter<Product> writer;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
        primary = MongoPrimaryStore.builder(products).build();
        writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId).primary(primary)
                .deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry()).sink("search", search).build();
        writer.save(new Product("a", "a", 1));
        writer.save(new Product("bad", "bad", 2));
        writer.save(new Product("c", "c", 3));
        writer.operations().flushAcknowledgements();
        // someone else's code turns the price into text the entity class cannot hold (moving the revision on, as a
        // write that bypasses the store must for the store's instances to notice it); the sink loses everything
        products.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"),
                Updates.combine(Updates.set("price", "twelve"), DualWriteFilters.touch()));
        search.clear();
    }

    @Test
    void theStoreSaysPlainlyWhatItCannotReadAndListsItInAScan() {
        UnreadableEntityException e = assertThrows(UnreadableEntityException.class, () -> primary.read("bad"));
        Snapshot<Product> s = e.snapshot();
        assertEquals("bad", s.id());
        assertTrue(s.version() > 0, "its version is still known: " + s);
        assertTrue(e.getMessage().contains("bad"), e.getMessage());
        List<Snapshot<Product>> page = primary.scan(null, 10);
        assertEquals(List.of("a", "bad", "c"), page.stream().map(Snapshot::id).toList(), "one bad document stops no walk");
        assertTrue(page.get(1).readFailure().isPresent());
        assertFalse(page.get(0).readFailure().isPresent());
    }

    @Test
    void aSaveOverTheUnreadableDocumentIsRefusedPlainlyAndWritesNothing() {
        BsonDocument before = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "bad")).first();
        io.dualwrite.PrimaryWriteException e = assertThrows(io.dualwrite.PrimaryWriteException.class,
                () -> writer.save(new Product("bad", "fixed", 3)));
        assertEquals(ErrorKind.PERMANENT, e.kind(), e.toString());
        assertTrue(e.getMessage().contains("bad"), e.getMessage());
        assertEquals(before, products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "bad")).first(),
                "nothing was written: the document is fixed in place (or its codec), then its dead letters replayed");
        assertTrue(search.get("bad").isEmpty());
    }

    @Test
    void aRedeliveryDeadLettersTheUnreadableOneAndDeliversTheOthers() {
        Map<String, SinkOutcome> out = writer.operations().redeliver("search", List.of("a", "bad", "c"));
        assertEquals(Map.of("a", SinkOutcome.APPLIED, "bad", SinkOutcome.DEAD_LETTERED, "c", SinkOutcome.APPLIED), out);
        DeadLetter dl = deadLetters.get(DeadLetter.idOf("product", "bad", "search")).orElseThrow();
        assertEquals(ErrorKind.PERMANENT, dl.kind());
        assertTrue(dl.lastError().contains("decode"), dl.lastError());
        assertTrue(search.get("a").isPresent() && search.get("c").isPresent());

        Map<String, Redelivery> counted = writer.operations().redeliver("search", List.of("bad"), Map.of(), 3);
        assertEquals(SinkOutcome.DEAD_LETTERED, counted.get("bad").outcome(), "a counted redelivery too: " + counted);
    }

    @Test
    void aReplayOfItsDeadLetterKeepsItAndTheOthersAreStillReplayed() {
        writer.operations().redeliver("search", List.of("bad"));
        // the unreadable one is dead-lettered; another one failed for a reason now gone
        deadLetters.add(new DeadLetter("product", "a", primary.read("a").orElseThrow().version(), "search", 1,
                ErrorKind.TRANSIENT, "503", "503", null, "k", Instant.now(), Instant.now()));
        assertEquals(SinkOutcome.DEAD_LETTERED, writer.deadLetters().replay(DeadLetter.idOf("product", "bad", "search")));
        assertEquals(1, writer.deadLetters().replayAll(io.dualwrite.DeadLetterQuery.ALL), "the other one is replayed");
        assertTrue(search.get("a").isPresent());
        assertTrue(deadLetters.get(DeadLetter.idOf("product", "bad", "search")).isPresent(), "and the bad one stays");
    }

    @Test
    void aReconciliationRepairsTheOthersAndReportsTheUnreadableOne() {
        ReconcileReport report = Reconciler.<Product>builder().writer(writer).primary(primary).sink("search", search)
                .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().apply(ReconcileScope.all());
        assertEquals(RunStatus.COMPLETED, report.status(), report.summary());
        assertTrue(search.get("a").isPresent() && search.get("c").isPresent(), report.summary());
        assertEquals(1, report.actions(RepairOutcome.DEAD_LETTERED), report.summary());
        assertTrue(deadLetters.get(DeadLetter.idOf("product", "bad", "search")).isPresent());
    }

    @Test
    void aResyncAfterARelaysGapDeliversTheOthersAndFinishes() {
        PrimaryStore<Product> store = primary;
        GapHandler resync = GapHandler.resync(writer, store, List.of("search"));
        resync.handle(new Gap("relay", "db.products", Optional.empty(), Instant.now(), 286, "history lost"));
        assertTrue(search.get("a").isPresent() && search.get("c").isPresent());
        assertTrue(deadLetters.get(DeadLetter.idOf("product", "bad", "search")).isPresent());
    }

    @Test
    void anEventWhoseRecordedStateCannotBeDecodedIsDeadLetteredAndTheOthersArePublished(MongoDatabase db) {
        MongoCollection<Product> items = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(items)
                .eventRecorder(io.dualwrite.mongo.events.EmbeddedEvents.builder().build()).build();
        InMemorySink<Product> audit = new InMemorySink<>();
        InMemoryDeadLetterStore relayDeadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Product> app = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry())
                .build();
             io.dualwrite.mongo.events.EmbeddedEventRelay relay = io.dualwrite.mongo.events.EmbeddedEventRelay
                     .builder(items).entityType("product").deadLetterStore(relayDeadLetters).sink("audit", audit)
                     .build()) {
            app.save(new Product("bad", "bad", 1));
            app.save(new Product("ok", "ok", 2));
            // the recorded event's state is damaged: the entity class cannot hold it any more
            items.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"),
                    Updates.set("_dw.ev.list.0.state.price", "twelve"));
            relay.publishDue();
            assertTrue(audit.get("ok").isPresent(), "the other entity's event is published");
            DeadLetter dl = relayDeadLetters.get(DeadLetter.idOf("product", "bad", "audit")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertTrue(dl.lastError().contains("decode"), dl.lastError());
            BsonDocument after = items.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "bad")).first();
            BsonDocument dw = after.getDocument("_dw");
            assertTrue(!dw.containsKey("ev") || dw.getDocument("ev").getArray("list", new org.bson.BsonArray()).isEmpty(),
                    "the relay moved past the damaged event: " + dw.toJson());
        }
    }
}
