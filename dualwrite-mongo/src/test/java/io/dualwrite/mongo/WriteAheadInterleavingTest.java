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
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write-ahead store under interleavings that broke its promises: a recovery pass on another
 * instance while the caller's own write is on its way, another write between the caller's write
 * and the store reading it back, and the primary going away right after the caller's write.
 */
@ExtendWith(MongoExtension.class)
class WriteAheadInterleavingTest {
    private final HookedCollection script = new HookedCollection();
    private final InMemorySink<Order> feed = new InMemorySink<>();
    private final InMemorySink<Order> search = new InMemorySink<>();
    private final MutableClock clock = new MutableClock(Fixture.START);
    private MongoDatabase db;
    private MongoCollection<Order> orders;
    private OrderRepository repository;
    private DualWriter<Order> a;
    private DualWriter<Order> b;

    @BeforeEach
    void setUp(MongoDatabase db) {
        this.db = db;
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        repository = new OrderRepository(orders);
        a = writer(script.wrap(orders), "A");
        b = writer(orders, "B");
    }

    private DualWriter<Order> writer(MongoCollection<Order> collection, String name) {
        return DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name)
                .primary(MongoWriteAheadStore.builder(db, collection).versionField("version").clock(clock).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    private void recoverEverything(DualWriter<Order> w) {
        for (int i = 0; i < 5; i++) {
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
        }
    }

    @Test
    void anAsyncSinkGetsEveryWriteAheadSaveEvenWhenRecoveryRacesTheCallersWrite() {
        Order order = new Order("o1", "NEW");
        a.saveWith("o1", () -> repository.save(order));
        a.operations().flushAcknowledgements();
        recoverEverything(b);
        assertEquals("NEW", feed.get("o1").orElseThrow().getStatus(), "the ASYNC sink has the first save");

        // while the caller's save is on its way, another instance's recovery pass claims the entity
        AtomicBoolean raced = new AtomicBoolean();
        WriteResult paid = a.saveWith("o1", () -> {
            raced.set(b.operations().recoverDue().claimed() >= 0);
            b.operations().flushAcknowledgements();
            order.setStatus("PAID");
            repository.save(order);
        });
        assertTrue(raced.get());
        a.operations().flushAcknowledgements();
        assertEquals(1, b.operations().backlog(), "the new save's intent survived the delivery of the older version");
        recoverEverything(b);
        assertEquals("PAID", feed.get("o1").orElseThrow().getStatus(), "the ASYNC sink receives the new save");
        assertEquals(paid.version(), feed.versionOf("o1").orElseThrow());
        assertEquals(0, b.operations().backlog(), "and nothing is left pending");
    }

    @Test
    void aWriteAheadSaveReportsItsOwnVersionOrSaysPlainlyItCannot() {
        Order order = new Order("o2", "NEW");
        WriteResult created = a.saveWith("o2", () -> repository.save(order));
        assertTrue(created.versionKnown(), "writes of one entity take turns, so a first save knows its version too");

        WriteResult alone = a.saveWith("o2", () -> {
            order.setStatus("PAID");
            repository.save(order);
        });
        assertTrue(alone.versionKnown(), "a save with nothing else around it knows its version");
        assertEquals(created.version() + 1, alone.version());

        // code outside the coordinator saves the same document right after the caller's save
        WriteResult crossed = a.saveWith("o2", () -> {
            order.setStatus("SHIPPED");
            repository.save(order);
            Order other = orders.find(com.mongodb.client.model.Filters.eq("_id", "o2")).first();
            other.setStatus("RETURNED");
            repository.save(other);
        });
        assertFalse(crossed.versionKnown(), "the store cannot prove which of the two versions is this save's");
        assertEquals(alone.version() + 2, crossed.version(),
                "and reports the version read back, which holds this save or a later one");
    }

    @Test
    void afterTheCallersWriteAFailureToReadItBackIsAnUnknownOutcomeNeverNothingWritten() {
        Order order = new Order("o3", "NEW");
        a.saveWith("o3", () -> repository.save(order));
        // a blind save of an entity the store saved before reads nothing first: its first read is the read-back
        // after the caller's write, and that one fails
        script.refuse("find");
        PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> a.saveWith("o3", () -> {
            order.setStatus("PAID");
            repository.save(order);
        }));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind(), "the caller's write landed: never 'nothing was written'");
        assertEquals("PAID", orders.find(com.mongodb.client.model.Filters.eq("_id", "o3")).first().getStatus());
        clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
        recoverEverything(b);
        assertEquals("PAID", search.get("o3").orElseThrow().getStatus(), "recovery delivers it");
        assertEquals("PAID", feed.get("o3").orElseThrow().getStatus());
        assertEquals(0, b.operations().backlog());
    }

    @Test
    void requestKeysAreRefusedInTheWriteAheadModeBeforeAnythingIsWritten() {
        AtomicBoolean ran = new AtomicBoolean();
        assertThrows(UnsupportedOperationException.class, () -> a.saveWith("o4", () -> ran.set(true),
                WriteOptions.builder().requestKey("req-1").build()));
        assertFalse(ran.get(), "the caller's save did not run");
        // the store's mark of whose intent collection it is aside (its id is a document, never an entity's id)
        assertEquals(0, db.getCollection(orders.getNamespace().getCollectionName()
                + MongoWriteAheadStore.DEFAULT_INTENT_COLLECTION_SUFFIX).countDocuments(
                Filters.not(Filters.type("_id", BsonType.DOCUMENT))), "no intent was recorded");
    }

    @Test
    void aLostReplyToTakingTheWriteTurnLeavesTheEntityWritableForTheRetry() {
        HookedCollection intentScript = new HookedCollection();
        MongoCollection<org.bson.BsonDocument> intents = intentScript.wrap(db.getCollection(
                Collections.uniqueName("intents"), org.bson.BsonDocument.class));
        DualWriter<Order> w = DualWriter.<Order>builder().entityType("order").clock(clock).workerId("T")
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version").intentCollection(intents)
                        .writeLease(Duration.ofMinutes(1), Duration.ofMillis(300)).clock(clock).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
        Order order = new Order("o9", "NEW");
        // the command that takes the entity's write turn lands, its reply does not
        intentScript.landThenLoseReply("findOneAndUpdate", () -> { });
        AtomicBoolean ran = new AtomicBoolean();
        PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> w.saveWith("o9", () -> {
            ran.set(true);
            repository.save(order);
        }));
        assertTrue(intentScript.done());
        assertFalse(ran.get(), "the caller's save did not run");
        assertEquals(ErrorKind.TRANSIENT, e.kind(), "nothing was written, so the caller may retry: " + e);
        // the caller retries at once, long before the turn's lease would run out
        WriteResult retried = w.saveWith("o9", () -> repository.save(order));
        assertEquals("NEW", search.get("o9").orElseThrow().getStatus());
        assertEquals(retried.version(), search.versionOf("o9").orElseThrow());
        w.close();
    }

    @Test
    void aCallersSaveThatFailsWithoutAReplyAndLandsLateNeverReusesAVersionAfterADelete() {
        DualWriter<Order> first = shortWaitWriter("A2");
        DualWriter<Order> second = shortWaitWriter("B2");
        Order order = new Order("o8", "NEW");
        first.saveWith("o8", () -> repository.save(order));
        MongoCollection<org.bson.BsonDocument> raw = orders.withDocumentClass(org.bson.BsonDocument.class);
        // the application's save goes out, its connection drops before the reply: the save is on the network
        java.util.List<Runnable> network = new java.util.ArrayList<>();
        assertThrows(com.mongodb.MongoSocketReadException.class, () -> first.saveWith("o8", () -> {
            network.add(() -> raw.updateOne(com.mongodb.client.model.Filters.eq("_id", "o8"),
                    com.mongodb.client.model.Updates.combine(com.mongodb.client.model.Updates.set("status", "LATE"),
                            com.mongodb.client.model.Updates.inc("version", 1L)),
                    new com.mongodb.client.model.UpdateOptions().upsert(true)));
            throw new com.mongodb.MongoSocketReadException("the connection dropped before the reply",
                    new com.mongodb.ServerAddress());
        }));
        Runnable delete = () -> second.deleteWith("o8", () -> raw.deleteOne(com.mongodb.client.model.Filters.eq("_id",
                "o8")));
        boolean deletedAtOnce = true;
        try {
            delete.run();
        } catch (PrimaryWriteException e) {
            assertEquals(ErrorKind.TRANSIENT, e.kind(), "nothing written: " + e);
            deletedAtOnce = false;
        }
        network.forEach(Runnable::run); // the save lands, within the write lease
        if (!deletedAtOnce) {
            // no other write of the entity began while the failed save could still land; now one can
            clock.advance(Duration.ofMinutes(2));
            delete.run();
        }
        clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
        for (int i = 0; i < 5; i++) {
            first.operations().recoverDue();
            second.operations().recoverDue();
            first.operations().flushAcknowledgements();
            second.operations().flushAcknowledgements();
        }
        // every sink holds what the primary holds, whichever write came last
        java.util.Optional<io.dualwrite.spi.Snapshot<Order>> primary = first.operations().snapshot("o8").filter(p -> !p.deleted());
        for (InMemorySink<Order> sink : java.util.List.of(search, feed)) {
            assertEquals(primary.map(p -> p.state().orElseThrow().getStatus()), sink.get("o8").map(Order::getStatus),
                    "the sink holds the primary's state");
            assertEquals(primary.map(p -> p.version()), sink.get("o8").map(o -> sink.versionOf("o8").orElseThrow()),
                    "at the primary's version");
        }
        first.close();
        second.close();
    }

    private DualWriter<Order> shortWaitWriter(String name) {
        return DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name)
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version")
                        .writeLease(Duration.ofMinutes(1), Duration.ofMillis(200)).clock(clock).build())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }
}
