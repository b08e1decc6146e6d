package io.dualwrite.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A document that code outside the store deletes (a TTL index, a cleanup job) or puts back (a restore)
 * may come back with a version field at or below the one the store last saw: the next save through the
 * store must still get a version above every version the sinks hold, or they keep the old state for good.
 */
@ExtendWith(MongoExtension.class)
class WriteAheadOutsideRecreationTest {
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

    /** The save, and if it throws, recovery: either way the sinks must end up with what the primary holds. */
    private void saveThenRecover(DualWriter<Order> w, String id, Runnable save) {
        try {
            w.saveWith(id, save);
        } catch (RuntimeException e) {
            // the save landed; whatever the writer reports, recovery must bring the sinks to it
        }
        for (int i = 0; i < 10 && store.pendingCount() > 0; i++) {
            clock.advance(Duration.ofMinutes(2));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
        }
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
