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
package io.dualwrite.mongo.events;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.DualWriteFilters;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.relay.RelayMetrics;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.fault.FaultySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.TestMongo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;
import org.bson.Document;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Events recorded with the data, against the MongoDB in use: every committed version reaches the
 * consumer in per-entity order, exactly once in effect, across relay restarts, a killed relay and
 * sink outages; the bound refuses a write clearly and loses nothing.
 */
@ExtendWith(MongoExtension.class)
class EmbeddedEventsTest {
    private static final AtomicInteger N = new AtomicInteger();

    private static MongoCollection<Document> collection(MongoDatabase db) {
        return db.getCollection("events_" + N.incrementAndGet());
    }

    private static DualWriter<Document> app(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    private static EmbeddedEventRelayBuilder<Document> relay(MongoCollection<Document> c, SteppingClock clock) {
        return EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(new InMemoryDeadLetterStore())
                .clock(clock).retry(5, Duration.ofSeconds(1), Duration.ofSeconds(10)).lease(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(10));
    }

    /** Committed versions per id, as the application saw them. */
    private static final class Committed {
        final Map<String, TreeSet<Long>> versions = new ConcurrentHashMap<>();

        void add(String id, long v) {
            versions.computeIfAbsent(id, k -> new TreeSet<>()).add(v);
        }

        void assertAllPublishedInOrder(EnvelopeConsumer consumer) {
            for (Map.Entry<String, TreeSet<Long>> e : versions.entrySet()) {
                assertEquals(new ArrayList<>(e.getValue()), consumer.applied(e.getKey()),
                        "every committed version of " + e.getKey() + " applied once, in order");
            }
        }
    }

    private static void assertNoEventsLeft(MongoCollection<Document> c, EmbeddedEventRelay relay) {
        assertEquals(0, relay.backlog(), "no document holds events any more");
        assertEquals(0, c.withDocumentClass(BsonDocument.class).countDocuments(new Document("_dw.ev", new Document("$exists", true))),
                "every delivered event was removed");
        for (BsonDocument tombstone : c.withDocumentClass(BsonDocument.class).find(DualWriteFilters.deleted())) {
            assertFalse(tombstone.getDocument(DualWriteFilters.FIELD).containsKey(EventRecorder.FIELD),
                    "a tombstone keeps no delivered event: " + tombstone.getString("_id"));
        }
    }

    @Test
    void everyCommittedVersionIsPublishedInOrderOnceWhileWritersAndTwoRelaysRunConcurrently(MongoDatabase db)
            throws Exception {
        long seed = System.nanoTime();
        System.out.println("EmbeddedEventsTest concurrent seed=" + seed);
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        SteppingClock clock = new SteppingClock();
        Committed committed = new Committed();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay r1 = relay(c, clock).owner("r1").sink("audit", consumer).build();
             EmbeddedEventRelay r2 = relay(c, clock).owner("r2").sink("audit", consumer).createIndexes(false).build()) {
            r1.start();
            r2.start();
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Random random = new Random(seed + t);
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        String id = "e" + random.nextInt(10);
                        if (random.nextInt(5) == 0 && store.read(id).filter(s -> !s.deleted()).isPresent()) {
                            var r = app.delete(id);
                            if (r.version() > 0) {
                                committed.add(id, r.version());
                            }
                        } else {
                            committed.add(id, app.save(new Document("_id", id).append("n", i)).version());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r1.backlog() > 0) {
                assertTrue(System.nanoTime() < deadline, "the relays drain the backlog");
                Thread.sleep(10);
            }
            r1.close();
            r2.close();
            committed.assertAllPublishedInOrder(consumer);
            consumer.assertEquals(store);
            assertNoEventsLeft(c, r1);
            System.out.println("EmbeddedEventsTest concurrent: " + consumer.appliedCount() + " events applied, "
                    + consumer.duplicates() + " duplicates dropped");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRelayKilledMidEntityLosesNothingTheNextOneRepublishesAfterTheLease(MongoDatabase db) throws Exception {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        SteppingClock clock = new SteppingClock();
        Committed committed = new Committed();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Sink<Document> stalling = change -> {
            ApplyResult r = consumer.apply(change);
            if (calls.incrementAndGet() == 3) {
                entered.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
            return r;
        };
        try (DualWriter<Document> app = app(store)) {
            for (int i = 0; i < 4; i++) {
                committed.add("k", app.save(new Document("_id", "k").append("n", i)).version());
                committed.add("j" + i, app.save(new Document("_id", "j" + i).append("n", i)).version());
            }
            MongoClient doomed = MongoClients.create(TestMongo.settings(TestMongo.server().connectionString()));
            MongoCollection<Document> doomedView = doomed.getDatabase(db.getName())
                    .getCollection(c.getNamespace().getCollectionName());
            EmbeddedEventRelay killed = relay(doomedView, clock).owner("killed").sink("audit", stalling).batchSize(1)
                    .createIndexes(false).build();
            killed.start();
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the relay is publishing");
            doomed.close(); // killed mid-entity: it published some events and recorded none of it
            release.countDown();
            killed.close();

            committed.add("k", app.save(new Document("_id", "k").append("n", 99)).version());
            try (EmbeddedEventRelay next = relay(c, clock).owner("next").sink("audit", consumer).build()) {
                next.drain(100);
                assertTrue(next.backlog() > 0, "the killed relay's lease still holds its entity");
                clock.skip(Duration.ofSeconds(31));
                next.drain(100);
                committed.assertAllPublishedInOrder(consumer);
                consumer.assertEquals(store);
                assertNoEventsLeft(c, next);
            }
            assertTrue(consumer.duplicates() >= 1, "what the killed relay had published came again, harmlessly ("
                    + consumer.duplicates() + ")");
            System.out.println("EmbeddedEventsTest kill: " + consumer.appliedCount() + " applied, "
                    + consumer.duplicates() + " duplicates dropped");
        }
    }

    @Test
    void aRelayWhoseLeaseRunsOutStopsPublishingAndTheRestFollowsOnTheNextClaim(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        SteppingClock clock = new SteppingClock();
        AtomicBoolean slowOnce = new AtomicBoolean(true);
        Sink<Document> slow = change -> {
            ApplyResult r = consumer.apply(change);
            if (slowOnce.getAndSet(false)) {
                clock.skip(Duration.ofSeconds(31)); // this apply "took" longer than the 30 s lease
            }
            return r;
        };
        Committed committed = new Committed();
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay relay = relay(c, clock).sink("audit", slow).build()) {
            for (int i = 0; i < 3; i++) {
                committed.add("l", app.save(new Document("_id", "l").append("n", i)).version());
            }
            assertEquals(1, relay.publishDue(), "the pass stops at the end of its lease, after the slow event");
            relay.drain(10);
            committed.assertAllPublishedInOrder(consumer);
            assertNoEventsLeft(c, relay);
        }
    }

    @Test
    void aSinkOutageHoldsTheEventsAndTheHealthySinkIsNotRepeated(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer healthy = new EnvelopeConsumer();
        EnvelopeConsumer down = new EnvelopeConsumer();
        FaultySink<Document> outage = FaultySink.wrap((Sink<Document>) down).seed(5)
                .failProbability(1.0, ErrorKind.TRANSIENT).build();
        SteppingClock clock = new SteppingClock();
        Committed committed = new Committed();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DualWriter<Document> app = app(store);
             // one call per pass (each pass spends one of the relay's attempts), and a breaker on the relay's clock:
             // should the outage open its circuit, the relay waits out the breaker's 60 s before it calls again
             EmbeddedEventRelay relay = relay(c, clock).sink("healthy", healthy).sink("down", outage,
                     SinkSettings.builder().maxAttempts(1).circuitBreaker(CircuitBreakerConfig.custom().clock(clock)
                             .build()).build()).meterRegistry(meters).build()) {
            Random random = new Random(21);
            for (int i = 0; i < 30; i++) {
                String id = "o" + random.nextInt(5);
                committed.add(id, app.save(new Document("_id", id).append("n", i)).version());
            }
            relay.drain(10);
            assertEquals(0, down.appliedCount(), "the sink is down");
            assertTrue(relay.backlog() > 0, "the events wait in their documents");
            assertEquals(0, relay.publishDue(), "nothing is due before the backoff ends");
            for (int i = 0; i < 2; i++) { // still down after a backoff
                clock.skip(Duration.ofSeconds(11));
                relay.drain(10);
            }
            outage.heal();
            clock.skip(Duration.ofSeconds(61));
            relay.drain(10);
            committed.assertAllPublishedInOrder(healthy);
            committed.assertAllPublishedInOrder(down);
            assertTrue(meters.get("dualwrite.sink.apply").tag("sink", "down").tag("path", "events")
                    .tag("outcome", "transient").timer().count() > 0, "the failures are measured as on every road");
            assertEquals(0, healthy.duplicates(), "the healthy sink got each event once: progress is kept per sink");
            assertTrue(meters.get(RelayMetrics.EVENTS_FAILED).tag(RelayMetrics.TAG_OUTCOME, "deferred").counter()
                    .count() > 0, "deferrals are counted");
            assertEquals(30.0, meters.get(RelayMetrics.EVENTS_PUBLISHED).tag(RelayMetrics.TAG_SINK, "down").counter()
                    .count(), "every event published to the healed sink is counted once");
            assertNoEventsLeft(c, relay);
            System.out.println("EmbeddedEventsTest outage: injected " + outage.injectedTotal() + " failures, "
                    + down.appliedCount() + " events applied after healing");
        }
    }

    @Test
    void aPermanentFailureIsDeadLetteredAndOtherEntitiesGoOn(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        FaultySink<Document> poisoned = FaultySink.wrap((Sink<Document>) consumer).poison("bad").build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .sink("audit", poisoned).build()) {
            long bad = app.save(new Document("_id", "bad").append("n", 1)).version();
            long good = app.save(new Document("_id", "good").append("n", 2)).version();
            relay.drain(10);
            assertEquals(List.of(good), consumer.applied("good"), "the good entity is published");
            var letter = deadLetters.get(io.dualwrite.DeadLetter.idOf("item", "bad", "audit")).orElseThrow();
            assertEquals(bad, letter.version(), "the rejected event's version is dead-lettered");
            assertEquals(ErrorKind.PERMANENT, letter.kind(), "as a permanent failure");
            assertNoEventsLeft(c, relay);
        }
    }

    @Test
    void theBoundRefusesTheWriteClearlyAndNothingIsLost(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c)
                .eventRecorder(EmbeddedEvents.builder().maxEvents(3).maxBytes(4096).build()).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        Committed committed = new Committed();
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay relay = relay(c, new SteppingClock()).sink("audit", consumer).build()) {
            for (int i = 0; i < 3; i++) {
                committed.add("b", app.save(new Document("_id", "b").append("n", i)).version());
            }
            long held = store.read("b").orElseThrow().version();
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class,
                    () -> app.save(new Document("_id", "b").append("n", 3)), "a fourth undelivered event is refused");
            EventBacklogFullException cause = assertInstanceOf(EventBacklogFullException.class, e.getCause(),
                    "the cause says why");
            assertEquals(3, cause.heldEvents(), "it names what the document holds");
            assertTrue(cause.getMessage().contains("3 events"), "the message names the bound: " + cause.getMessage());
            assertEquals(held, store.read("b").orElseThrow().version(), "nothing was written");

            EventBacklogFullException big = assertInstanceOf(EventBacklogFullException.class,
                    assertThrows(PrimaryWriteException.class, () -> app.save(new Document("_id", "big")
                            .append("blob", "x".repeat(5000)))).getCause(), "an event over the byte bound is refused");
            assertTrue(big.getMessage().contains("4096 bytes"), "the message names the byte bound: " + big.getMessage());
            assertTrue(store.read("big").isEmpty(), "the refused entity was not created");

            relay.drain(10);
            committed.add("b", app.save(new Document("_id", "b").append("n", 3)).version());
            relay.drain(10);
            committed.assertAllPublishedInOrder(consumer);
            consumer.assertEquals(store);
        }
    }

    @Test
    void aDeleteKeepsItsEventsUntilTheyArePublished(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay relay = relay(c, new SteppingClock()).sink("audit", consumer).build()) {
            long created = app.save(new Document("_id", "d").append("n", 1)).version();
            long deleted = app.delete("d").version();
            assertTrue(store.read("d").orElseThrow().deleted(), "the tombstone holds the delete's event");
            relay.drain(10);
            assertEquals(List.of(created, deleted), consumer.applied("d"), "both events published in order");
            assertTrue(store.read("d").orElseThrow().deleted(), "the tombstone stays");
            assertFalse(c.withDocumentClass(org.bson.BsonDocument.class).find().first()
                    .getDocument(DualWriteFilters.FIELD).containsKey(EventRecorder.FIELD), "its events are gone");
            assertTrue(consumer.liveIds().isEmpty(), "the consumer applied the delete");
        }
    }

    @Test
    void recordsCarryTheStateOfEachVersionInTheSameWrite(MongoDatabase db) {
        MongoCollection<Document> c = collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        try (DualWriter<Document> app = app(store)) {
            long v1 = app.save(new Document("_id", "s").append("n", 1)).version();
            long v2 = app.save(new Document("_id", "s").append("n", 2)).version();
            BsonDocument doc = c.withDocumentClass(BsonDocument.class).find(new Document("_id", "s")).first();
            var list = doc.getDocument("_dw").getDocument("ev").getArray("list");
            assertEquals(2, list.size(), "one record per committed write");
            assertEquals(v1, list.get(0).asDocument().getInt64("v").getValue(), "first record is version 1");
            assertEquals(1, list.get(0).asDocument().getDocument("state").getInt32("n").getValue(),
                    "each record keeps the state at its version");
            assertEquals(v2, list.get(1).asDocument().getInt64("v").getValue(), "second record is version 2");
            assertEquals(2, list.get(1).asDocument().getDocument("state").getInt32("n").getValue(),
                    "each record keeps the state at its version");
            assertEquals(2, doc.getInt32("n").getValue(), "the document holds the latest state");
        }
    }

    @Test
    void badSettingsAreRefused(MongoDatabase db) {
        assertThrows(IllegalArgumentException.class, () -> EmbeddedEvents.builder().maxEvents(0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedEvents.builder().maxBytes(10));
        MongoCollection<Document> c = collection(db);
        assertThrows(IllegalStateException.class, () -> EmbeddedEventRelay.builder(c).entityType("item")
                .deadLetterStore(new InMemoryDeadLetterStore()).build(), "a relay without sinks");
        assertThrows(IllegalArgumentException.class, () -> EmbeddedEventRelay.builder(c).sink("a.b", change -> null),
                "a sink name with a dot");
    }
}
