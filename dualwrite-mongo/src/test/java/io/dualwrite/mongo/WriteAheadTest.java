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
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.CallerWriteException;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write-ahead mode around a repository-style save, end to end, including its crash points. */
@ExtendWith(MongoExtension.class)
class WriteAheadTest {
    private MongoCollection<Order> orders;
    private MongoWriteAheadStore<Order> store;
    private OrderRepository repository;
    private MutableClock clock;
    private Map<String, InMemorySink<Order>> sinks;

    @BeforeEach
    void setUp(MongoDatabase db) {
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        store = MongoWriteAheadStore.builder(db, orders).versionField("version").build();
        repository = new OrderRepository(orders);
        clock = new MutableClock(Fixture.START);
        sinks = Map.of("search", new InMemorySink<>(), "cache", new InMemorySink<>());
    }

    private DualWriter<Order> writer(String worker) {
        var b = DualWriter.<Order>builder().entityType("order").primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).clock(clock).gracePeriod(Fixture.GRACE)
                .workerId(worker).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        sinks.forEach((n, s) -> b.sink(n, s, Fixture.ONE_ATTEMPT));
        return b.build();
    }

    private void recoverAll(DualWriter<Order> w) {
        recoverPending(w);
        assertEquals(0, store.pendingCount(), "recovery leaves nothing pending");
    }

    /** Recovery passes, two minutes apart, while anything is pending (ten at most). */
    private void recoverPending(DualWriter<Order> w) {
        for (int i = 0; i < 10 && store.pendingCount() > 0; i++) {
            clock.advance(Duration.ofMinutes(2));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
        }
    }

    private void assertSinksHold(String id, long version, String status) {
        for (Map.Entry<String, InMemorySink<Order>> e : sinks.entrySet()) {
            assertEquals(version, e.getValue().versionOf(id).orElse(-1), "sink " + e.getKey() + " version of " + id);
            assertEquals(status, e.getValue().get(id).orElseThrow().getStatus(), "sink " + e.getKey() + " state of " + id);
        }
    }

    @Test
    void wrapsARepositorySaveAndDeliversWhatItSaved() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o1", "NEW");
            WriteResult created = w.saveWith("o1", () -> repository.save(order));
            assertEquals(Versions.firstVersion(Fixture.START), created.version(), "a new entity's first version");
            assertTrue(created.fullyApplied(), "delivered to both sinks");
            assertSinksHold("o1", created.version(), "NEW");
            order.setStatus("PAID");
            WriteResult paid = w.saveWith("o1", () -> repository.save(order));
            assertEquals(created.version() + 1, paid.version(), "each repository save adds one");
            assertSinksHold("o1", paid.version(), "PAID");
            w.operations().flushAcknowledgements();
            assertEquals(0, store.pendingCount(), "delivered intents are acknowledged");

            WriteResult deleted = w.deleteWith("o1", () -> repository.deleteById("o1"));
            assertEquals(paid.version() + 1, deleted.version(), "a delete adds one");
            for (InMemorySink<Order> s : sinks.values()) {
                assertTrue(s.isDeleted("o1"), "every sink dropped it");
            }
            w.operations().flushAcknowledgements();
            Snapshot<Order> tombstone = store.read("o1").orElseThrow();
            assertTrue(tombstone.deleted() && tombstone.pending().isEmpty(),
                    "once every sink acknowledged, the tombstone stays without intents");
            assertEquals(deleted.version(), tombstone.version(), "it keeps the delete's version");
            assertEquals(0, store.intentCollection().countDocuments(Filters.exists("entityId")),
                    "no intent is left");
        }
    }

    @Test
    void aSaveThatReturnsWhatItSavedIsDeliveredAsReturned() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o8", "NEW");
            WriteResult created = w.saveReturning("o8", () -> repository.save(order));
            assertEquals(Versions.firstVersion(Fixture.START), created.version(), "a new entity's first version");
            assertTrue(created.fullyApplied() && created.versionKnown(), "delivered, its own version: " + created);
            assertSinksHold("o8", created.version(), "NEW");
            order.setStatus("PAID");
            WriteResult paid = w.saveReturning("o8", () -> repository.save(order));
            assertEquals(created.version() + 1, paid.version(), "each repository save adds one");
            assertTrue(paid.versionKnown(), "the returned entity carries the save's own version");
            assertSinksHold("o8", paid.version(), "PAID");
            assertEquals(paid.version(), store.read("o8").orElseThrow().version(), "a read agrees with the result");
            w.operations().flushAcknowledgements();
            assertEquals(0, store.pendingCount(), "its intents are acknowledged like any other");
        }
    }

    @Test
    void aSaveThatReturnsSomethingElseIsReadBackInstead() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o9", "NEW");
            WriteResult created = w.saveReturning("o9", () -> repository.save(order));
            order.setStatus("PAID");
            // a caller that returns another entity than the one it saved: the store reads back what was written
            WriteResult paid = w.saveReturning("o9", () -> {
                repository.save(order);
                return new Order("someone-else", "WRONG");
            });
            assertEquals(created.version() + 1, paid.version(), "the version read back");
            assertSinksHold("o9", paid.version(), "PAID");
        }
    }

    @Test
    void aSaveThatReturnsTheEntityAsItWasBeforeTheSaveIsReadBackInstead() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o10", "NEW");
            w.saveReturning("o10", () -> repository.save(order));
            order.setStatus("PAID");
            WriteResult paid = w.saveReturning("o10", () -> repository.save(order));
            // a caller that returns an entity whose version field did not grow with the save (its input as it was
            // before an immutable-style save, here one the primary never held): it is not what was saved
            Order stale = new Order("o10", "NEVER-STORED");
            stale.setVersion(0L);
            order.setStatus("SHIPPED");
            WriteResult shipped = w.saveReturning("o10", () -> {
                repository.save(order);
                return stale;
            });
            assertEquals(paid.version() + 1, shipped.version(), "the version read back");
            assertSinksHold("o10", shipped.version(), "SHIPPED");
            assertEquals(shipped.version(), store.read("o10").orElseThrow().version(), "a read agrees");
        }
    }

    @Test
    void aSaveThatReturnsItsInputUnchangedIsReadBackInstead() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o11", "NEW");
            WriteResult created = w.saveReturning("o11", () -> repository.save(order));
            // an immutable-style save returns a new copy; the caller returns its input, one version behind
            Order input = new Order("o11", "PAID");
            input.setVersion(order.getVersion());
            WriteResult paid = w.saveReturning("o11", () -> {
                Order copy = new Order("o11", input.getStatus());
                copy.setVersion(input.getVersion());
                repository.save(copy);
                return input;
            });
            assertEquals(created.version() + 1, paid.version(), "the version read back");
            assertSinksHold("o11", paid.version(), "PAID");
        }
    }

    @Test
    void aDocumentReCreatedOutsideTheStoreStillGetsAHigherVersion() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o6", "NEW");
            w.saveWith("o6", () -> repository.save(order));
            order.setStatus("PAID");
            WriteResult paid = w.saveWith("o6", () -> repository.save(order));
            // code outside the store deletes the document; the next save through the store inserts it anew with
            // its version field back at 0, below what the store remembers of it
            orders.deleteOne(Filters.eq("_id", "o6"));
            Order again = new Order("o6", "AGAIN");
            WriteResult recreated = w.saveWith("o6", () -> repository.save(again));
            assertTrue(recreated.version() > paid.version(), "versions only grow: " + paid.version() + " then "
                    + recreated.version());
            assertFalse(recreated.versionKnown(), "something outside the store wrote in between");
            assertSinksHold("o6", recreated.version(), "AGAIN");
            assertEquals(recreated.version(), store.read("o6").orElseThrow().version(), "a read agrees");
            again.setStatus("SHIPPED");
            WriteResult shipped = w.saveWith("o6", () -> repository.save(again));
            assertEquals(recreated.version() + 1, shipped.version(), "and grow by one per save from there");
            assertTrue(shipped.versionKnown(), "the store's own write again");
            assertSinksHold("o6", shipped.version(), "SHIPPED");
        }
    }

    @Test
    void aSaveThatLeavesTheVersionFieldAloneIsRefusedOnAKnownEntity() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o7", "NEW");
            WriteResult created = w.saveWith("o7", () -> repository.save(order));
            // a caller whose save does not grow the version field: sinks could not tell its state from the last
            RuntimeException e = assertThrows(RuntimeException.class, () -> w.saveWith("o7",
                    () -> orders.updateOne(Filters.eq("_id", "o7"), com.mongodb.client.model.Updates.set("status", "X"))));
            assertTrue(String.valueOf(e.getMessage()).contains("did not grow"), "says why: " + e.getMessage());
            assertSinksHold("o7", created.version(), "NEW");
        }
    }

    @Test
    void theCallersOwnFailureReachesTheCallerUnchangedAndNoSinkIsTouched() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("o2", "NEW");
            w.saveWith("o2", () -> repository.save(order));
            Order stale = new Order("o2", "STALE");
            stale.setVersion(7L);
            assertThrows(OrderRepository.OptimisticLockingFailure.class,
                    () -> w.saveWith("o2", () -> repository.save(stale)), "the repository's exception, unchanged");
            assertSinksHold("o2", Versions.firstVersion(Fixture.START), "NEW");
            recoverAll(w);
            assertSinksHold("o2", Versions.firstVersion(Fixture.START), "NEW");
        }
    }

    @Test
    void diesAfterTheRepositorySaveBeforeDelivering() {
        try (DualWriter<Order> w = writer("w1")) {
            w.saveWith("o3", () -> repository.save(new Order("o3", "NEW")));
        }
        Order changed = orders.find(com.mongodb.client.model.Filters.eq("_id", "o3")).first();
        changed.setStatus("SHIPPED");
        Committed<Order> c = store.commit(PrimaryWrite.<Order>builder().id("o3").operation(Operation.UPSERT)
                .intents(List.of(new IntentSpec("search", clock.instant().plus(Fixture.GRACE)),
                        new IntentSpec("cache", clock.instant().plus(Fixture.GRACE))))
                .correlationId("crash").time(clock.instant()).callerWrite(() -> repository.save(changed)).build());
        assertEquals("NEW", sinks.get("search").get("o3").orElseThrow().getStatus(), "no sink heard of the save yet");
        try (DualWriter<Order> w2 = writer("w2")) {
            recoverAll(w2);
        }
        assertSinksHold("o3", c.version(), "SHIPPED");
    }

    @Test
    void diesAfterRecordingTheIntentBeforeTheRepositorySave() {
        assertThrows(CallerWriteException.class, () -> store.commit(PrimaryWrite.<Order>builder().id("o4")
                .operation(Operation.UPSERT).intents(List.of(new IntentSpec("search", clock.instant())))
                .correlationId("crash").time(clock.instant()).callerWrite(() -> {
                    throw new IllegalStateException("the process died here");
                }).build()), "the intent was recorded, the save never ran");
        assertEquals(1, store.pendingCount(), "the intent is durable");
        try (DualWriter<Order> w2 = writer("w2")) {
            recoverAll(w2);
        }
        for (InMemorySink<Order> s : sinks.values()) {
            assertFalse(s.get("o4").isPresent(), "no sink holds an entity the primary never committed");
        }
        assertTrue(store.read("o4").isEmpty(), "nothing is left of the save that never happened");
    }

    @Test
    void diesAfterTheRepositoryDeleteBeforeDelivering() {
        try (DualWriter<Order> w = writer("w1")) {
            w.saveWith("o5", () -> repository.save(new Order("o5", "NEW")));
        }
        Committed<Order> d = store.commit(PrimaryWrite.<Order>builder().id("o5").operation(Operation.DELETE)
                .intents(List.of(new IntentSpec("search", clock.instant().plus(Fixture.GRACE)),
                        new IntentSpec("cache", clock.instant().plus(Fixture.GRACE))))
                .correlationId("crash").time(clock.instant()).callerWrite(() -> repository.deleteById("o5")).build());
        assertTrue(store.read("o5").orElseThrow().deleted(), "a tombstone while the delete is unacknowledged");
        try (DualWriter<Order> w2 = writer("w2")) {
            recoverAll(w2);
        }
        for (InMemorySink<Order> s : sinks.values()) {
            assertTrue(s.isDeleted("o5"), "every sink dropped it");
            assertEquals(d.version(), s.versionOf("o5").orElseThrow(), "at the delete's version");
        }
        assertTrue(store.read("o5").orElseThrow().pending().isEmpty(), "nothing is pending for the tombstone");
        assertEquals(d.version(), store.read("o5").orElseThrow().version(), "which keeps the delete's version");
        assertEquals(0, store.intentCollection().countDocuments(Filters.exists("entityId")), "no intent is left");
    }

    // ------------------------------------------------------------------ documents code outside the store
    // deletes (a TTL index, a cleanup job) or puts back (a restore) may come back with a version field at or
    // below the one the store last saw: the next save through the store must still get a version above every
    // version the sinks hold, or they keep the old state for good

    /** The save, and if it throws, recovery: either way the sinks must end up with what the primary holds. */
    private void saveThenRecover(DualWriter<Order> w, String id, Runnable save) {
        try {
            w.saveWith(id, save);
        } catch (RuntimeException e) {
            // the save landed; whatever the writer reports, recovery must bring the sinks to it
        }
        recoverPending(w);
    }

    private void assertSinksHoldPrimary(String id) {
        long version = store.read(id).orElseThrow().version();
        String status = orders.find(Filters.eq("_id", id)).first().getStatus();
        for (Map.Entry<String, InMemorySink<Order>> e : sinks.entrySet()) {
            assertEquals(status, e.getValue().get(id).orElseThrow().getStatus(), "sink " + e.getKey()
                    + " holds the primary's state (primary at version " + version + ", sink at "
                    + e.getValue().versionOf(id) + ")");
        }
    }

    @Test
    void aDocumentDeletedOutsideTheStoreAndInsertedAgainAtVersionZeroReachesTheSinks() {
        try (DualWriter<Order> w = writer("w1")) {
            WriteResult created = w.saveWith("r1", () -> repository.save(new Order("r1", "NEW")));
            assertTrue(created.fullyApplied(), "delivered: " + created);
            // a TTL index or a cleanup job removes the document, not through the store; much later the
            // application creates the same id again, which its repository inserts with version 0 again
            orders.deleteOne(Filters.eq("_id", "r1"));
            clock.advance(Duration.ofDays(1));
            saveThenRecover(w, "r1", () -> repository.save(new Order("r1", "AGAIN")));
            assertTrue(store.read("r1").orElseThrow().version() > created.version(), "versions only grow");
            assertSinksHoldPrimary("r1");
        }
    }

    @Test
    void aDocumentPutBackOutsideTheStoreBelowItsLastVersionReachesTheSinksOnTheNextSave() {
        try (DualWriter<Order> w = writer("w1")) {
            Order order = new Order("r2", "NEW");
            w.saveWith("r2", () -> repository.save(order));
            Order backup = orders.find(Filters.eq("_id", "r2")).first();
            order.setStatus("PAID");
            WriteResult paid = w.saveWith("r2", () -> repository.save(order));
            assertTrue(paid.fullyApplied(), "delivered: " + paid);
            // an operator restores the document from a backup taken before the last save
            orders.replaceOne(Filters.eq("_id", "r2"), backup);
            backup.setStatus("CANCELLED");
            saveThenRecover(w, "r2", () -> repository.save(backup));
            assertTrue(store.read("r2").orElseThrow().version() > paid.version(), "versions only grow");
            assertSinksHoldPrimary("r2");
        }
    }
}
