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
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.explore.ExplorerItem;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded-intent store under interleavings that broke its promises: a lost reply with
 * another writer on top, compensation of an adopted document, and the state a sink receives.
 * Two writers (two application instances) share one collection; writer A's commands follow a
 * script, writer B's go straight to the server.
 */
@ExtendWith(MongoExtension.class)
class EmbeddedStoreInterleavingTest {
    private final HookedCollection script = new HookedCollection();
    private final InMemorySink<Product> search = new InMemorySink<>();
    private MongoCollection<Product> products;
    private DualWriter<Product> a;
    private DualWriter<Product> b;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
        a = writer(MongoPrimaryStore.builder(script.wrap(products)).build(), "A");
        b = writer(MongoPrimaryStore.builder(products).createIndexes(false).build(), "B");
    }

    private DualWriter<Product> writer(MongoPrimaryStore<Product> store, String name) {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).workerId(name)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    private List<Long> versionsHolding(String name) {
        List<Long> out = new ArrayList<>();
        BsonDocument d = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "p1")).first();
        if (d != null && name.equals(d.getString("name", new org.bson.BsonString("")).getValue())) {
            out.add(d.getDocument(DualWriteFilters.FIELD).getInt64("v").getValue());
        }
        return out;
    }

    /** A's first save, acknowledged, so that nothing but the script touches the document next. */
    private long first() {
        long v1 = a.save(new Product("p1", "a1", 1)).version();
        a.operations().flushAcknowledgements();
        return v1;
    }

    @Test
    void aLostReplyFollowedByAnotherWritersSaveIsNeverAppliedTwice() {
        long v1 = first();
        List<WriteResult> other = new ArrayList<>();
        script.landThenLoseReply("replaceOne", () -> other.add(b.save(new Product("p1", "b1", 2))));
        WriteResult mine = a.save(new Product("p1", "a2", 3));
        assertTrue(script.done(), "the interleaving happened");
        assertEquals(v1 + 1, mine.version(), "A learns the version its own write committed");
        assertEquals(v1 + 2, other.get(0).version(), "B's write came on top of it");
        Snapshot<Product> now = b.operations().snapshot("p1").orElseThrow();
        assertEquals(v1 + 2, now.version(), "A's write was not applied again: " + now);
        assertEquals("b1", now.state().orElseThrow().getName(), "B's confirmed write is not lost under a replay of A's");
        assertEquals("b1", search.get("p1").orElseThrow().getName(), "the sink holds B's write");
    }

    @Test
    void aLostReplyFollowedByAnotherWritersDeleteNeverBringsTheEntityBack() {
        long v1 = first();
        script.landThenLoseReply("replaceOne", () -> b.delete("p1"));
        WriteResult mine = a.save(new Product("p1", "a2", 2));
        assertEquals(v1 + 1, mine.version(), "A's save landed, and A is told so");
        Snapshot<Product> now = b.operations().snapshot("p1").orElseThrow();
        assertTrue(now.deleted(), "the delete confirmed to B stands: " + now);
        assertEquals(v1 + 2, now.version());
        assertTrue(search.get("p1").isEmpty(), "and the sink holds no resurrected entity");
    }

    @Test
    void aLostReplyOfAnExpectedVersionWriteThatLandedIsNoConflict() {
        long v1 = first();
        script.landThenLoseReply("replaceOne", () -> b.save(new Product("p1", "b1", 2)));
        WriteResult mine = a.save(new Product("p1", "a2", 3), WriteOptions.builder().expectedVersion(v1).build());
        assertTrue(mine.written(), "the write that did commit is reported as written, not as a version conflict");
        assertEquals(v1 + 1, mine.version());
    }

    @Test
    void aLostReplyOfACreateFollowedByAnotherWriterIsNeverAppliedTwice() {
        script.landThenLoseReply("insertOne", () -> b.save(new Product("p1", "b1", 2)));
        WriteResult mine = a.save(new Product("p1", "a1", 1));
        Snapshot<Product> now = b.operations().snapshot("p1").orElseThrow();
        assertEquals(mine.version() + 1, now.version(), "A's create landed once, B's save on top of it");
        assertEquals("b1", now.state().orElseThrow().getName());
    }

    @Test
    void aLostReplyUnderMoreWritesThanTheDocumentRemembersIsReportedAsUnknownAndNotAppliedAgain() {
        long v1 = first();
        script.landThenLoseReply("replaceOne", () -> {
            for (int i = 0; i < 12; i++) {
                b.save(new Product("p1", "b" + i, i));
            }
        });
        PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> a.save(new Product("p1", "a2", 2)));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind(), "A cannot tell, and says so: " + e.getMessage());
        Snapshot<Product> now = b.operations().snapshot("p1").orElseThrow();
        assertEquals(v1 + 13, now.version(), "A's write was not applied a second time");
        assertEquals("b11", now.state().orElseThrow().getName());
    }

    @Test
    void aLostReplyOfAWriteThatDidNotLandIsWrittenOnce() {
        long v1 = first();
        // the command is refused before it is sent: the store writes it (once) on its next attempt
        script.refuse("replaceOne");
        assertThrows(PrimaryWriteException.class, () -> a.save(new Product("p1", "a2", 2)),
                "a refused command is the caller's to retry");
        assertEquals(v1, b.read("p1").orElseThrow().version(), "and nothing was written");
        assertEquals(List.of(), versionsHolding("a2"));
    }

    @Test
    void compensatingTheFirstWriteToAnAdoptedDocumentRestoresIt(MongoDatabase db) {
        // a document written before the collection was managed by the coordinator
        products.insertOne(new Product("p1", "adopted", 7));
        Sink<Product> ledger = change -> {
            throw new SinkException("the ledger is down", ErrorKind.TRANSIENT, null);
        };
        try (DualWriter<Product> w = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(MongoPrimaryStore.builder(products).createIndexes(false).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT)
                .sink("ledger", ledger, SinkSettings.builder().policy(DeliveryPolicy.REQUIRED).maxAttempts(1).build())
                .build()) {
            RequiredSinkFailedException e = assertThrows(RequiredSinkFailedException.class,
                    () -> w.save(new Product("p1", "changed", 8)));
            long cv = e.compensationVersion().orElseThrow();
            Snapshot<Product> now = w.operations().snapshot("p1").orElseThrow();
            assertFalse(now.deleted(), "compensation never turns the business data into a tombstone");
            assertEquals(cv, now.version());
            assertEquals("adopted", now.state().orElseThrow().getName(), "the before-image is the adopted content");
            assertEquals(7, now.state().orElseThrow().getPrice());
            assertEquals("adopted", search.get("p1").orElseThrow().getName(),
                    "the other sink is brought to the restored content, not told to delete it");
        }
    }

    @Test
    void sinksReceiveTheStateAsCommittedNotTheCallersObject(MongoDatabase db) {
        // a codec that leaves an unset stock out of the document and reads it back as 0
        MongoCollection<ExplorerItem> items = db.withCodecRegistry(ExplorerItem.codecRegistry())
                .getCollection(Collections.uniqueName("items"), ExplorerItem.class);
        List<ExplorerItem> received = new ArrayList<>();
        Sink<ExplorerItem> sink = change -> {
            received.add(change.requireState());
            return ApplyResult.APPLIED;
        };
        MongoPrimaryStore<ExplorerItem> store = MongoPrimaryStore.builder(items).build();
        try (DualWriter<ExplorerItem> w = DualWriter.<ExplorerItem>builder().entityType("item")
                .idOf(ExplorerItem::id).primary(store).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", sink, Fixture.ONE_ATTEMPT).build()) {
            w.save(new ExplorerItem("i1", "t1", null));
            ExplorerItem stored = store.read("i1").orElseThrow().state().orElseThrow();
            assertEquals(new ExplorerItem("i1", "t1", 0), stored, "the primary holds what its codec made of it");
            assertEquals(List.of(stored), received, "the sink received exactly that, the same as recovery would read");
        }
    }
}
