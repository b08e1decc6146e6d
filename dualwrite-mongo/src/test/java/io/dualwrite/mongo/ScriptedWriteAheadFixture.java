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
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Write-ahead writers on one orders collection, each on its own store instance (its own memory of records), whose
 * intent collection a test can script; one in-memory sink, a clock the test moves, and the check that the sink ends
 * holding what the primary holds.
 */
@ExtendWith(MongoExtension.class)
abstract class ScriptedWriteAheadFixture {
    final HookedCollection script = new HookedCollection();
    final MutableClock clock = new MutableClock(Fixture.START);
    final InMemorySink<Order> search = new InMemorySink<>();
    MongoDatabase db;
    MongoCollection<Order> orders;
    MongoCollection<BsonDocument> intents;
    /** The orders collection as documents, for writes from outside the store and for looking at what is stored. */
    MongoCollection<BsonDocument> raw;

    @BeforeEach
    void setUpCollections(MongoDatabase db) {
        this.db = db;
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        intents = db.getCollection(Collections.uniqueName("intents"), BsonDocument.class);
        raw = db.getCollection(orders.getNamespace().getCollectionName(), BsonDocument.class);
    }

    /** A writer on its own store instance, its intent collection scripted when asked. */
    DualWriter<Order> writer(String name, boolean scripted, Duration writeWait) {
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(scripted ? script.wrap(intents) : intents)
                .writeLease(Duration.ofMinutes(1), writeWait).clock(clock).build();
        return writer(name, store, search);
    }

    /** A writer on the given store, delivering to the given sink as "search" with one attempt. */
    DualWriter<Order> writer(String name, MongoWriteAheadStore<Order> store, io.dualwrite.spi.Sink<Order> sink) {
        return DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", sink, Fixture.ONE_ATTEMPT).build();
    }

    /** The application's save: sets the status and grows the version field, creating the document if missing. */
    WriteResult save(DualWriter<Order> w, String id, String status) {
        return w.saveWith(id, () -> orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", status),
                Updates.inc("version", 1L)), new UpdateOptions().upsert(true)));
    }

    /**
     * Starts {@code w}'s save of {@code id} on another thread while a save of the same entity holds its write turn,
     * and returns once that save has recorded its intent beside the holder's and waits for the turn.
     */
    CompletableFuture<WriteResult> saveWaitingForTheTurn(DualWriter<Order> w, String id, String status) {
        CompletableFuture<WriteResult> result = new CompletableFuture<>();
        CompletableFuture.runAsync(() -> {
            try {
                result.complete(save(w, id, status));
            } catch (RuntimeException x) {
                result.completeExceptionally(x);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Bson open = Filters.and(Filters.eq("entityId", id), Filters.eq("v", 0L));
        while (intents.countDocuments(open) < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(2, intents.countDocuments(open), "the second save recorded its intent and waits for the turn");
        return result;
    }

    /** A writer with a short write wait, whose acknowledgements are flushed only when the test says so. */
    DualWriter<Order> slowAcks(String name) {
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(intents).writeLease(Duration.ofMinutes(1), Duration.ofMillis(50)).clock(clock).build();
        return DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .acknowledgements(256, Duration.ofHours(1)).sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    /** The application's save as a findOneAndUpdate that returns what the update left, through saveReturning. */
    WriteResult saveReturning(DualWriter<Order> w, String id, String status) {
        return w.saveReturning(id, () -> orders.findOneAndUpdate(Filters.eq("_id", id),
                Updates.combine(Updates.set("status", status), Updates.inc("version", 1L)),
                new com.mongodb.client.model.FindOneAndUpdateOptions().upsert(true)
                        .returnDocument(com.mongodb.client.model.ReturnDocument.AFTER)));
    }

    /**
     * A caller's mistake: an update sent as a findOneAndUpdate with the driver's default, which returns the document
     * as it was before the update, through saveReturning.
     */
    WriteResult returningBeforeImage(DualWriter<Order> w, String id, String status) {
        return w.saveReturning(id, () -> orders.findOneAndUpdate(Filters.eq("_id", id),
                Updates.combine(Updates.set("status", status), Updates.inc("version", 1L))));
    }

    /** Saves three new ids through the writer, so that its store guesses that the next id it does not know is new. */
    void leanNew(DualWriter<Order> w, String prefix) {
        for (int i = 0; i < 3; i++) {
            assertTrue(save(w, prefix + i, "NEW").fullyApplied());
        }
    }

    /** @return the entity's record in the intent collection */
    BsonDocument record(String id) {
        return intents.find(Filters.eq("_id", id)).first();
    }

    /** @return the version field of the entity's document */
    long field(String id) {
        return raw.find(Filters.eq("_id", id)).first().getNumber("version").longValue();
    }

    /**
     * A saves S1, B saves S2 (B remembers last=2), A saves S3 whose last command is refused: the document is at 3, the
     * record at last=2 and marked.
     */
    void markedAheadOfTheRecord(DualWriter<Order> a, DualWriter<Order> b, String id) {
        save(a, id, "S1");
        save(b, id, "S2");
        a.operations().flushAcknowledgements();
        b.operations().flushAcknowledgements();
        // A's short turn does not match (A remembers the record at last 1) and it goes the long way; its last command
        // is refused
        script.first("bulkWrite", () -> { }).refuse("bulkWrite");
        assertThrows(PrimaryWriteException.class, () -> save(a, id, "S3"));
        assertTrue(script.done());
        assertEquals(3, field(id));
        assertEquals(2, record(id).getNumber("last").longValue());
        assertTrue(record(id).containsKey("turnUntil"), "the given-up turn is marked: " + record(id));
    }

    /** The application's delete of the document. */
    WriteResult delete(DualWriter<Order> w, String id) {
        return w.deleteWith(id, () -> orders.deleteOne(Filters.eq("_id", id)));
    }

    /** @return what the driver throws when a command's reply is lost: the command may have landed */
    static RuntimeException lostReply() {
        return new com.mongodb.MongoSocketReadException("the caller's reply was lost", new com.mongodb.ServerAddress());
    }

    /** Past the settle time, recovery on every writer until nothing is due. */
    @SafeVarargs
    final void recover(DualWriter<Order>... writers) {
        clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
        for (int i = 0; i < 5; i++) {
            for (DualWriter<Order> w : writers) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
        }
    }

    /** Recovery on every writer, then: the sink holds what the primary holds, at its version, and nothing is pending. */
    @SafeVarargs
    final void assertConverged(String id, DualWriter<Order>... writers) {
        recover(writers);
        var primary = writers[0].operations().snapshot(id);
        if (primary.isEmpty() || primary.get().deleted()) {
            assertTrue(search.get(id).isEmpty(), "the primary has no " + id + ", nor does the sink: " + search.get(id));
        } else {
            assertEquals(primary.get().state().orElseThrow().getStatus(), search.get(id).orElseThrow().getStatus(),
                    "the sink holds the primary's state (sink at " + search.versionOf(id) + ", primary at "
                            + primary.get().version() + ")");
            assertEquals(primary.get().version(), search.versionOf(id).orElseThrow(), "at its version");
        }
        assertEquals(0, intents.countDocuments(Filters.exists("entityId")), "no intent is left");
    }
}
