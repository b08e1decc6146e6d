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

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.testkit.mongo.TestMongoServer;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Counts the MongoDB commands each flow costs, with a driver {@link CommandListener}: counts, not times,
 * so they hold on any server and a regression fails the build. "Caller's path" is what the saving thread
 * sends itself; "all" adds what the writer sends off that path (acknowledgements), counted once the writer
 * is closed and has flushed everything. Acknowledgements are flushed by batch size here, not by the timer,
 * so the counts do not depend on the machine's speed.
 *
 * <p>Needs a MongoDB from {@link TestMongo} (the in-JVM server by default).
 */
@ExtendWith(MongoExtension.class)
class CommandCountTest {
    static final int SAVES = 500;
    static final int IDS = 50;
    /** What the writer may add to the caller's path, acknowledgements included, per save. */
    static final double ACK_SHARE = 0.1;
    /**
     * A commit that lost a race to an acknowledgement (which changes the revision) reads and writes again:
     * correct, and rare enough to stay within this per save.
     */
    static final double RACES = 0.02;

    private final Counter counter = new Counter();
    private MongoClient client;
    private MongoDatabase db;
    private MutableClock clock;

    @BeforeEach
    void setUp(TestMongoServer server) {
        client = MongoClients.create(MongoClientSettings.builder(TestMongo.settings(server.connectionString()))
                .addCommandListener(counter).build());
        db = client.getDatabase(Collections.uniqueName("dw_counts"));
        clock = new MutableClock(Fixture.START);
    }

    @AfterEach
    void tearDown() {
        db.drop();
        client.close();
    }

    private DualWriter<Product> writer(PrimaryStore<Product> store) {
        DualWriterBuilder<Product> b = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore()).clock(clock)
                .gracePeriod(Fixture.GRACE).acknowledgements(256, Duration.ofHours(1))
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        b.sink("search", new InMemorySink<>());
        return b.build();
    }

    private MongoPrimaryStore<Product> embedded() {
        return MongoPrimaryStore.builder(db.getCollection("products", Product.class)
                .withCodecRegistry(Collections.POJOS)).build();
    }

    @Test
    void aBlindSaveOfAKnownIdCostsOneCommandAndItsAcknowledgementAlmostNothing() {
        try (DualWriter<Product> w = writer(embedded())) {
            for (int i = 0; i < IDS; i++) {
                w.save(new Product("p" + i, "first", i));
            }
            w.operations().flushAcknowledgements();
            Counts c = measure(w, i -> w.save(new Product("p" + (i % IDS), "name " + i, i)));
            report("blind save of a known id", c);
            assertEquals(1.0, c.callerPerSave(), RACES, "a replace conditional on the revision this instance knows");
            assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
        }
    }

    /** The worst case for what an instance knows: every save's acknowledgement lands before the next save. */
    @Test
    void anAcknowledgementLeavesTheRevisionAnInstanceKnowsValid() {
        DualWriterBuilder<Product> b = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(embedded()).deadLetterStore(new InMemoryDeadLetterStore()).clock(clock)
                .gracePeriod(Fixture.GRACE).acknowledgements(1, Duration.ofHours(1))
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        b.sink("search", new InMemorySink<>());
        try (DualWriter<Product> w = b.build()) {
            for (int i = 0; i < IDS; i++) {
                w.save(new Product("p" + i, "first", i));
            }
            w.operations().flushAcknowledgements();
            Counts c = measure(w, i -> {
                w.save(new Product("p" + (i % IDS), "name " + i, i));
                w.operations().flushAcknowledgements();
            });
            report("blind save of a known id, each acknowledged before the next", c);
            assertEquals(2.0, c.allPerSave(), RACES, "the save's write and its acknowledgement: " + c);
            assertEquals(0, c.byName().getOrDefault("find", 0), "no read before any write: " + c);
        }
    }

    /**
     * Another instance wrote in between: the revision this instance knows is stale, its conditional write fails, and
     * the save reads and writes again (three commands, once), continuing the version the other instance wrote.
     */
    @Test
    void aSaveOnAStaleRevisionReadsAgainAndContinuesTheOtherInstancesVersion() {
        try (DualWriter<Product> mine = writer(embedded()); DualWriter<Product> other = writer(embedded())) {
            long v1 = mine.save(new Product("s1", "mine", 1)).version();
            long v2 = other.save(new Product("s1", "other's", 2)).version();
            assertEquals(v1 + 1, v2);
            counter.reset();
            long v3 = mine.save(new Product("s1", "mine again", 3)).version();
            int commands = counter.onThread(Thread.currentThread());
            System.out.printf("[commands] save on a stale revision: %d %s%n", commands, counter.byName());
            assertEquals(v2 + 1, v3, "the version continues the other instance's write");
            assertEquals(3, commands, "the failed conditional write, a read and the write: " + counter.byName());
            assertEquals("mine again", mine.read("s1").orElseThrow().state().orElseThrow().getName());
            counter.reset();
            mine.save(new Product("s1", "and again", 4));
            assertEquals(1, counter.onThread(Thread.currentThread()), "then it knows the revision again");
        }
    }

    @Test
    void aBlindSaveOfANewIdCostsOneCommandAndItsAcknowledgementAlmostNothing() {
        try (DualWriter<Product> w = writer(embedded())) {
            Counts c = measure(w, i -> w.save(new Product("n" + i, "new " + i, i)));
            report("blind save of a new id", c);
            assertEquals(1.0, c.callerPerSave(), RACES, "an insert per save: once a new id was seen, the next inserts"
                    + " at once");
            assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
        }
    }

    @Test
    void aReadModifyWriteCostsTwoCommandsAndItsAcknowledgementAlmostNothing() {
        try (DualWriter<Product> w = writer(embedded())) {
            for (int i = 0; i < IDS; i++) {
                w.save(new Product("p" + i, "first", i));
            }
            w.operations().flushAcknowledgements();
            Counts c = measure(w, i -> {
                String id = "p" + (i % IDS);
                var read = w.read(id).orElseThrow();
                Product p = read.state().orElseThrow();
                p.setPrice(p.getPrice() + 1);
                w.save(p, WriteOptions.builder().expectedVersion(read.version()).build());
            });
            report("read-modify-write with expectedVersion", c);
            assertEquals(2.0, c.callerPerSave(), RACES, "the caller's read and a replace conditional on what it read");
            assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
        }
    }

    /** @return a writer over a write-ahead store, its acknowledgements batched as a busy writer's are */
    private DualWriter<Order> writeAheadWriter(MongoCollection<Order> orders) {
        return writeAheadWriter(MongoWriteAheadStore.builder(db, orders).versionField("version").build());
    }

    private DualWriter<Order> writeAheadWriter(MongoWriteAheadStore<Order> store) {
        DualWriterBuilder<Order> b = DualWriter.<Order>builder().entityType("order").primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).clock(clock).gracePeriod(Fixture.GRACE)
                .acknowledgements(256, Duration.ofHours(1))
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        b.sink("search", new InMemorySink<>());
        return b.build();
    }

    @Test
    void aWriteAheadSaveWithAroundTheCallersUpdateCountsItsCommands() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        Counts c = callersUpdateCounts(orders, (w, id, update) -> w.saveWith(id,
                () -> orders.updateOne(Filters.eq("_id", id), update, new UpdateOptions().upsert(true))));
        report("write-ahead saveWith around the caller's updateOne", c);
        // the turn and the intent in one command (conditional on the entity's record being as this instance's last
        // save left it), the caller's write, the read-back, and one command that records the version and ends the turn
        assertTrue(c.callerPerSave() <= 4.0 + RACES, "a blind save of a known entity costs four commands: " + c);
        assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
    }

    @Test
    void theCallersUpdateSentAsAFindOneAndUpdateThatReturnsTheDocumentNeedsNoReadBack() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        FindOneAndUpdateOptions returning = new FindOneAndUpdateOptions().upsert(true)
                .returnDocument(ReturnDocument.AFTER);
        Counts c = callersUpdateCounts(orders, (w, id, update) -> w.saveReturning(id,
                () -> orders.findOneAndUpdate(Filters.eq("_id", id), update, returning)));
        report("write-ahead saveReturning around the caller's update as findOneAndUpdate", c);
        // the turn and the intent, the caller's update (which returns what it left), and one command that records
        // the version and ends the turn: no read-back
        assertTrue(c.callerPerSave() <= 3.0 + RACES, "the caller's update returning the document costs three: " + c);
        assertEquals(0.0, c.byName().getOrDefault("find", 0) / (double) SAVES, RACES, "no read-back: " + c);
        assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
    }

    /** One write-ahead save of the caller's update of an entity, given the writer, the id and the update. */
    private interface CallersUpdate {
        WriteResult save(DualWriter<Order> writer, String id, Bson update);
    }

    /** @return the commands of {@link #SAVES} blind updates through {@code save}, after each entity's first save */
    private Counts callersUpdateCounts(MongoCollection<Order> orders, CallersUpdate save) {
        try (DualWriter<Order> w = writeAheadWriter(orders)) {
            return afterFirstSaves(w,
                    i -> save.save(w, "o" + i, Updates.combine(Updates.set("status", "NEW"), Updates.inc("version", 1L))),
                    i -> {
                        WriteResult r = save.save(w, "o" + (i % IDS),
                                Updates.combine(Updates.set("status", "S" + i), Updates.inc("version", 1L)));
                        assertTrue(r.fullyApplied() && r.versionKnown(), "delivered: " + r);
                    });
        }
    }

    /**
     * Saves each of {@link #IDS} entities once, writes their acknowledgements, then counts {@link #SAVES} saves.
     *
     * @return the commands of the counted saves
     */
    private Counts afterFirstSaves(DualWriter<?> w, IntConsumer firstSave, IntConsumer save) {
        for (int i = 0; i < IDS; i++) {
            firstSave.accept(i);
        }
        w.operations().flushAcknowledgements();
        return measure(w, save);
    }

    @Test
    void aWriteAheadSaveOfANewIdCostsOneCommandMoreThanOneOfAKnownId() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        try (DualWriter<Order> w = writeAheadWriter(orders)) {
            Counts c = measure(w, i -> {
                Order o = new Order("n" + i, "NEW");
                o.setVersion(0L);
                WriteResult r = w.saveWith(o.getId(), () -> orders.insertOne(o));
                assertTrue(r.fullyApplied() && r.versionKnown(), "delivered: " + r);
            });
            report("write-ahead saveWith around the caller's insert of a new id", c);
            // once a new id was seen: the record (created with the turn and its base) and the intent in one command,
            // the read of what code outside the store may have written, the caller's insert, the read-back, and the
            // command that records the version and ends the turn
            assertTrue(c.callerPerSave() <= 5.0 + RACES, "a save of a new id costs five commands: " + c);
            assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
        }
        try (DualWriter<Order> w = writeAheadWriter(orders)) {
            Counts c = measure(w, i -> {
                Order o = new Order("r" + i, "NEW");
                o.setVersion(0L);
                WriteResult r = w.saveReturning(o.getId(), () -> {
                    orders.insertOne(o);
                    return o;
                });
                assertTrue(r.fullyApplied() && r.versionKnown(), "delivered: " + r);
            });
            report("write-ahead saveReturning around the caller's insert of a new id", c);
            assertTrue(c.callerPerSave() <= 4.0 + RACES, "a save of a new id that returns what it saved costs four: " + c);
            assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
        }
    }

    @Test
    void aWriteAheadSaveThatReturnsWhatItSavedNeedsNoReadBack() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        Counts c = saveReturningCounts(orders, writeAheadWriter(orders));
        report("write-ahead saveReturning around a repository save", c);
        // the turn and the intent, the caller's write, and one command that records the version and ends the turn
        assertTrue(c.callerPerSave() <= 3.0 + RACES, "a save that returns what it saved costs three commands: " + c);
        assertTrue(c.acksPerSave() <= ACK_SHARE, "acknowledgements cost at most " + ACK_SHARE + " per save: " + c);
    }

    /**
     * A caller's write that fails on its own optimistic lock (its update's version filter matched nothing) leaves the
     * entity's turn marked, since the store cannot tell that it wrote nothing: the next save takes the turn the long
     * way and reads the document first, two commands more, and the save after it costs four again.
     */
    @Test
    void aSaveAfterTheCallersOptimisticLockingFailureReadsTheDocumentOnce() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        Bson byId = Filters.eq("_id", "x1");
        try (DualWriter<Order> w = writeAheadWriter(orders)) {
            for (String status : List.of("NEW", "S1")) {
                w.saveWith("x1", () -> orders.updateOne(byId, Updates.combine(Updates.set("status", status),
                        Updates.inc("version", 1L)), new UpdateOptions().upsert(true)));
            }
            w.operations().flushAcknowledgements();
            counter.reset();
            assertThrows(IllegalStateException.class, () -> w.saveWith("x1", () -> {
                if (orders.updateOne(Filters.and(byId, Filters.eq("version", 0L)), Updates.set("status", "LOST"))
                        .getMatchedCount() == 0) {
                    throw new IllegalStateException("optimistic locking failure: the version was not 0");
                }
            }));
            int failed = counter.onThread(Thread.currentThread());
            int[] saves = new int[2];
            for (int i = 0; i < saves.length; i++) {
                String status = "S" + (i + 2);
                counter.reset();
                WriteResult r = w.saveWith("x1", () -> orders.updateOne(byId, Updates.combine(
                        Updates.set("status", status), Updates.inc("version", 1L))));
                assertTrue(r.fullyApplied() && r.versionKnown(), "delivered: " + r);
                saves[i] = counter.onThread(Thread.currentThread());
            }
            System.out.printf("[commands] write-ahead saveWith after the caller's optimistic-locking failure: the failed"
                    + " save %d, the next %d, the one after %d%n", failed, saves[0], saves[1]);
            assertEquals(4, saves[1], "the save after costs four again");
            assertEquals(6, saves[0], "the next save reads the document first: the short turn it could not have (its"
                    + " intent recorded), the turn the long way, the read, then the four-command save's last three");
        }
    }

    @Test
    void aWriteAheadStoreThatRemembersNoRecordTakesTheTurnApart() {
        MongoCollection<Order> orders = db.getCollection("orders", Order.class).withCodecRegistry(Collections.POJOS);
        Counts c = saveReturningCounts(orders, writeAheadWriter(MongoWriteAheadStore.builder(db, orders)
                .versionField("version").recordCache(0, Duration.ofMinutes(1)).build()));
        report("write-ahead saveReturning, no record remembered", c);
        // the turn (which returns the record), the intent, the caller's write, the closing command
        assertEquals(4.0, c.callerPerSave(), RACES, "one command more per save: " + c);
        assertEquals(1.0, c.byName().getOrDefault("findAndModify", 0) / (double) SAVES, RACES,
                "the turn is taken by a findAndModify on every save: " + c);
    }

    /** @return the commands of repository saves through {@code saveReturning}, after each entity's first save */
    private Counts saveReturningCounts(MongoCollection<Order> orders, DualWriter<Order> writer) {
        OrderRepository repository = new OrderRepository(orders);
        try (DualWriter<Order> w = writer) {
            List<Order> saved = new ArrayList<>();
            return afterFirstSaves(w, i -> {
                Order o = new Order("r" + i, "NEW");
                w.saveReturning(o.getId(), () -> repository.save(o));
                saved.add(o);
            }, i -> {
                Order o = saved.get(i % IDS);
                o.setStatus("S" + i);
                WriteResult r = w.saveReturning(o.getId(), () -> repository.save(o));
                assertTrue(r.fullyApplied() && r.versionKnown(), "delivered: " + r);
            });
        }
    }

    @Test
    void claimingABatchForRecoveryCostsAConstantNumberOfCommands() {
        MongoPrimaryStore<Product> store = embedded();
        List<Committed<Product>> commits = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            commits.add(Fixture.commitAndDie(store, clock, new Product("r" + i, "crashed", i), List.of("search")));
        }
        clock.advance(Duration.ofMinutes(2));
        int before = counter.all();
        List<Snapshot<Product>> small = store.claimDue(clock.instant(), 10, "worker-a", Duration.ofSeconds(60));
        int smallClaim = counter.all() - before;
        before = counter.all();
        List<Snapshot<Product>> large = store.claimDue(clock.instant(), 90, "worker-a", Duration.ofSeconds(60));
        int largeClaim = counter.all() - before;
        System.out.printf("[commands] recovery claim: batch of %d: %d, batch of %d: %d%n", small.size(), smallClaim,
                large.size(), largeClaim);
        assertEquals(10, small.size(), "the small batch is claimed whole");
        assertEquals(90, large.size(), "the large batch is claimed whole");
        assertEquals(smallClaim, largeClaim, "a claim costs the same whatever its batch size");
        assertTrue(largeClaim <= 3, "a claim costs at most three commands: " + largeClaim);

        List<Ack> acks = new ArrayList<>();
        commits.forEach(c -> acks.add(new Ack(c.id(), "search", c.version(), null)));
        before = counter.all();
        store.acknowledge(acks);
        int ackCommands = counter.all() - before;
        System.out.printf("[commands] acknowledging %d intents: %d%n", acks.size(), ackCommands);
        assertEquals(1, ackCommands, "one command acknowledges a batch");
        assertEquals(0, store.pendingCount(), "every intent is acknowledged");

        List<String> ids = new ArrayList<>();
        large.forEach(s -> ids.add(s.id()));
        before = counter.all();
        store.releaseAll(ids, "worker-a");
        int releaseCommands = counter.all() - before;
        System.out.printf("[commands] releasing a batch of %d leases: %d%n", ids.size(), releaseCommands);
        assertEquals(1, releaseCommands, "one command releases a batch");
        for (int i = 0; i < 100; i++) {
            Fixture.commitAndDie(store, clock, new Product("r" + i, "again", i), List.of("search"));
        }
        clock.advance(Duration.ofMinutes(2));
        assertEquals(100, store.claimDue(clock.instant(), 100, "worker-b", Duration.ofSeconds(60)).size(),
                "another worker claims them at once: the leases are gone");
    }

    /** Runs the flow {@link #SAVES} times and counts, then closes the writer's acknowledgements off. */
    private Counts measure(DualWriter<?> w, IntConsumer save) {
        counter.reset();
        for (int i = 0; i < SAVES; i++) {
            save.accept(i);
        }
        int caller = counter.onThread(Thread.currentThread());
        w.operations().flushAcknowledgements();
        return new Counts(caller, counter.all(), counter.byName());
    }

    private static void report(String flow, Counts c) {
        System.out.printf("[commands] %s: caller's path %.2f, all %.2f per save %s%n", flow, c.callerPerSave(),
                c.allPerSave(), c.byName);
    }

    record Counts(int caller, int all, Map<String, Integer> byName) {
        double callerPerSave() {
            return (double) caller / SAVES;
        }

        double allPerSave() {
            return (double) all / SAVES;
        }

        double acksPerSave() {
            return allPerSave() - callerPerSave();
        }
    }

    /** Counts the commands sent, by the thread that sent them and by name. Thread-safe. */
    static final class Counter implements CommandListener {
        private final Map<Long, AtomicInteger> byThread = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> byName = new ConcurrentHashMap<>();
        private final AtomicInteger all = new AtomicInteger();

        @Override
        public void commandStarted(CommandStartedEvent event) {
            // the sync driver reports a command on the thread that sends it
            byThread.computeIfAbsent(Thread.currentThread().getId(), k -> new AtomicInteger()).incrementAndGet();
            byName.computeIfAbsent(event.getCommandName(), k -> new AtomicInteger()).incrementAndGet();
            all.incrementAndGet();
        }

        void reset() {
            byThread.clear();
            byName.clear();
            all.set(0);
        }

        int all() {
            return all.get();
        }

        int onThread(Thread t) {
            AtomicInteger n = byThread.get(t.getId());
            return n == null ? 0 : n.get();
        }

        Map<String, Integer> byName() {
            Map<String, Integer> m = new TreeMap<>();
            byName.forEach((k, v) -> m.put(k, v.get()));
            return m;
        }
    }
}
