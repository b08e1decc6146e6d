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
package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.ErrorKind;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.events.EnvelopeConsumer;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.fault.FaultySink;
import io.dualwrite.testkit.mongo.MongoCapability;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.RequiresMongo;
import io.dualwrite.testkit.mongo.TestMongo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change-stream relay against the MongoDB in use (the in-JVM server here): restarts resume at
 * the checkpoint, a killed relay and a sink outage lose nothing, a lost resume point is recorded and
 * repaired by a resync, and a replay rebuilds an empty sink.
 */
@ExtendWith(MongoExtension.class)
@RequiresMongo(MongoCapability.CHANGE_STREAMS)
class ChangeStreamRelayTest {

    @Test
    void deliversEveryChangedEntityAndResumesAtItsCheckpointAfterARestart(MongoDatabase db) {
        long seed = System.nanoTime();
        System.out.println("ChangeStreamRelayTest restart seed=" + seed);
        Random random = new Random(seed);
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, consumer)) {
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("r")
                    .batchSize(7).build()) {
                assertEquals(0, relay.pollOnce(), "a new relay starts at the present and finds nothing");
                Items.writes(app, random, "a", 12, 80);
                relay.drain(1000);
                consumer.assertEquals(store);
                assertTrue(relay.checkpoint().orElseThrow().resumeToken().isPresent(), "a token is checkpointed");
            }
            int before = consumer.appliedCount();
            long deliveredBefore = checkpointOf(db, "r").delivered();
            // written while no relay runs
            app.save(new Document("_id", "b1").append("n", 1));
            app.save(new Document("_id", "b2").append("n", 2));
            app.save(new Document("_id", "b1").append("n", 3));
            try (ChangeStreamRelay restarted = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("r")
                    .build()) {
                long n = restarted.drain(1000);
                assertEquals(2, n, "the restarted relay resumes at its checkpoint: only b1 and b2 changed since");
                assertEquals(deliveredBefore + 2, restarted.checkpoint().orElseThrow().delivered(),
                        "the checkpoint counts the two deliveries");
            }
            consumer.assertEquals(store);
            consumer.assertPerEntityOrder();
            assertEquals(before + 2, consumer.appliedCount(), "b1 and b2 applied once each, at their latest versions");
            System.out.println("ChangeStreamRelayTest restart: applied " + consumer.appliedCount() + ", duplicates "
                    + consumer.duplicates());
        }
    }

    @Test
    void feedsTheApplicationWritersAsyncSinkAndItsDeliveriesClearTheIntentsAndTombstones(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = DualWriter.<Document>builder().entityType("item")
                .idOf(d -> d.getString("_id")).primary(store).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry())
                .sink(Items.SINK, consumer, SinkSettings.of(DeliveryPolicy.ASYNC)).build();
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, app, store).checkpoints(db).build()) {
            relay.pollOnce();
            for (int i = 0; i < 5; i++) {
                WriteResult r = app.save(new Document("_id", "a" + i).append("n", i));
                assertEquals(SinkOutcome.DEFERRED, r.outcome(Items.SINK).orElseThrow(),
                        "an ASYNC sink is never called on the caller's path");
            }
            app.delete("a0");
            assertTrue(store.read("a0").orElseThrow().deleted(), "the delete waits as a tombstone for its ASYNC intent");
            relay.drain(100);
            app.operations().flushAcknowledgements();
            consumer.assertEquals(store);
            assertEquals(0, store.pendingCount(), "the relay's deliveries acknowledged every intent");
            assertTrue(store.read("a0").orElseThrow().pending().isEmpty(),
                    "and the tombstone has nothing pending once its delete was delivered");
            assertEquals(items.getNamespace().getCollectionName(), relay.name(), "the default name is the collection's");
        }
    }

    @Test
    void drainGoesOnPastBatchesThatNameNoEntity(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, consumer);
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).batchSize(2)
                     .build()) {
            app.save(new Document("_id", "x").append("n", 1));
            relay.pollOnce();
            relay.drain(10);
            // foreign in-place updates: the in-JVM server reports them without _id, a real server with it
            for (int i = 0; i < 5; i++) {
                items.updateOne(new Document("_id", "x"), new Document("$set", new Document("tag", i)));
            }
            app.save(new Document("_id", "z").append("n", 2));
            relay.drain(100);
            assertEquals(List.of(store.read("z").orElseThrow().version()), consumer.applied("z"),
                    "the entity written after two batches of bare updates is delivered by the same drain");
        }
    }

    @Test
    void aRelayKilledMidBatchLosesNothingAndItsSuccessorOnlyRedelivers(MongoDatabase db) throws Exception {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean blockOnce = new AtomicBoolean(true);
        Sink<Document> blocking = new ForwardingSink<>(consumer) {
            @Override
            public ApplyResult send(Change<Document> change, Object request) throws Exception {
                ApplyResult r = super.send(change, request);
                if (blockOnce.compareAndSet(true, false)) {
                    entered.countDown();
                    release.await(10, TimeUnit.SECONDS);
                }
                return r;
            }

            @Override
            public List<BatchItem> sendAll(List<Mapped<Document, Object>> mapped) {
                List<BatchItem> out = new ArrayList<>();
                for (Mapped<Document, Object> m : mapped) {
                    try {
                        out.add(BatchItem.of(send(m.change(), m.request())));
                    } catch (Exception e) {
                        out.add(BatchItem.failed(e));
                    }
                }
                return out;
            }
        };
        try (DualWriter<Document> app = Items.app(store)) {
            app.save(new Document("_id", "seed").append("n", 0));
            // the relay runs on its own client, which the test kills under it
            MongoClient relayClient = MongoClients.create(TestMongo.settings(TestMongo.server().connectionString()));
            MongoDatabase relayDb = relayClient.getDatabase(db.getName());
            MongoCollection<Document> relayItems = relayDb.getCollection(items.getNamespace().getCollectionName());
            MongoPrimaryStore<Document> relayStore = MongoPrimaryStore.builder(relayItems).createIndexes(false).build();
            DualWriter<Document> out = Items.relayWriter(relayStore, blocking);
            ChangeStreamRelay relay = ChangeStreamRelay.builder(relayItems, out, relayStore).checkpoints(relayDb)
                    .name("k").backoff(Duration.ofMillis(5), Duration.ofMillis(50)).build();
            relay.pollOnce();
            for (int i = 0; i < 20; i++) {
                app.save(new Document("_id", "k" + i).append("n", i));
            }
            relay.start();
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the relay reached the sink");
            relayClient.close(); // killed: its batch was applied in part and never checkpointed
            release.countDown();
            relay.close();
            out.close();
            assertTrue(checkpointOf(db, "k").delivered() < 20, "the killed relay did not checkpoint its whole batch");

            for (int i = 0; i < 5; i++) {
                app.save(new Document("_id", "k" + i).append("n", 100 + i));
            }
            try (DualWriter<Document> out2 = Items.relayWriter(store, consumer);
                 ChangeStreamRelay successor = ChangeStreamRelay.builder(items, out2, store).checkpoints(db).name("k")
                         .build()) {
                successor.drain(1000);
            }
            consumer.assertEquals(store);
            consumer.assertPerEntityOrder();
            assertTrue(consumer.duplicates() >= 1, "what the killed relay had applied came again, as a harmless"
                    + " redelivery (" + consumer.duplicates() + ")");
            System.out.println("ChangeStreamRelayTest kill: applied " + consumer.appliedCount() + ", duplicates "
                    + consumer.duplicates());
        }
    }

    @Test
    void aSinkOutageKeepsTheBatchWaitingWithTheCheckpointAndEverythingArrivesAfterHealing(MongoDatabase db)
            throws Exception {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        FaultySink<Document> faulty = FaultySink.wrap((Sink<Document>) consumer).seed(7)
                .failProbability(1.0, ErrorKind.TRANSIENT).build();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, faulty);
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("o")
                     .backoff(Duration.ofMillis(5), Duration.ofMillis(40)).build()) {
            relay.pollOnce();
            Items.writes(app, new Random(11), "o", 8, 40);
            assertEquals(0, relay.pollOnce(), "nothing is delivered while the sink is down");
            assertTrue(relay.checkpoint().orElseThrow().resumeToken().isPresent(), "the checkpoint moves past the batch");
            Set<String> held = new TreeSet<>();
            for (int i = 0; i < 8; i++) {
                store.read("o" + i).ifPresent(snapshot -> held.add(snapshot.id()));
            }
            assertEquals(held, relay.deferred().stream().map(DeferredChange::id).collect(Collectors.toCollection(TreeSet::new)),
                    "and every entity of the batch waits in it for another attempt");
            relay.start();
            Thread.sleep(100);
            assertEquals(0, consumer.appliedCount(), "the sink is still down");
            faulty.heal();
            await(() -> relay.checkpoint().orElseThrow().delivered() > 0 && matches(consumer, store)
                    && relay.deferred().isEmpty(), "the relay delivers everything once the sink heals");
            consumer.assertEquals(store);
            consumer.assertPerEntityOrder();
            System.out.println("ChangeStreamRelayTest outage: injected faults " + faulty.injectedTotal()
                    + ", applied " + consumer.appliedCount());
        }
    }

    @Test
    void aLostResumePointIsRecordedResyncedAndTheRelayContinuesFromThePresent(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, consumer)) {
            BsonDocument token;
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("g").build()) {
                relay.pollOnce();
                app.save(new Document("_id", "g1").append("n", 1));
                relay.drain(100);
                token = relay.checkpoint().orElseThrow().resumeToken().orElseThrow();
            }
            // while the relay is down, the oplog "rolls over" past its token
            app.save(new Document("_id", "g1").append("n", 2));
            app.save(new Document("_id", "g2").append("n", 3));
            AtomicBoolean lose = new AtomicBoolean(true);
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("g")
                    .meterRegistry(meters) // the default gap handler: a full resync through the writer
                    .cursorDecorator(c -> lose.getAndSet(false) ? new LostHistoryCursor(c) : c).build()) {
                assertEquals(0, relay.pollOnce(), "the poll that meets the lost resume point delivers no batch");
                List<Gap> gaps = relay.gaps();
                assertEquals(1, gaps.size(), "the gap is recorded in the checkpoint collection");
                assertEquals(286, gaps.get(0).errorCode(), "the gap names the server's code");
                assertEquals(token, gaps.get(0).lostToken().orElseThrow(), "the gap names the lost token");
                assertEquals(1.0, meters.get(RelayMetrics.GAPS).counter().count(), "one gap counted");
                // the new stream starts at the present: only the resync can have delivered g1@2 and g2
                consumer.assertEquals(store);
                app.save(new Document("_id", "g3").append("n", 4));
                relay.drain(100);
                consumer.assertEquals(store);
                assertEquals(1, relay.gaps().size(), "no crash loop: one gap recorded");
                assertTrue(relay.checkpoint().orElseThrow().resumeToken().isPresent(),
                        "the relay checkpoints its new stream");
            }
            // a restart after the gap resumes normally
            try (ChangeStreamRelay again = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("g").build()) {
                app.save(new Document("_id", "g4").append("n", 5));
                again.drain(100);
                assertEquals(1, again.gaps().size(), "no new gap after the restart");
            }
            consumer.assertEquals(store);
            consumer.assertPerEntityOrder();
        }
    }

    @Test
    void aLostResumePointRunsTheScopedReconciliationWhichAlsoRemovesWhatWasDeletedMeanwhile(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        InMemorySink<Document> sink = new InMemorySink<>();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, sink)) {
            Reconciler reconciler = Reconciler.<Document>builder().writer(out).primary(store).sink(Items.SINK, sink)
                    .store(new InMemoryReconcileStore()).build();
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("rc").build()) {
                relay.pollOnce();
                for (int i = 0; i < 6; i++) {
                    app.save(new Document("_id", "r" + i).append("n", i));
                }
                relay.drain(100);
            }
            // during the gap: one deleted (the application's writer keeps no tombstone), one changed, one new
            app.delete("r1");
            app.save(new Document("_id", "r2").append("n", 20));
            app.save(new Document("_id", "r9").append("n", 9));
            AtomicBoolean lose = new AtomicBoolean(true);
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("rc")
                    .gapHandler(GapHandler.reconcile(reconciler, ReconcileScope.all()))
                    .cursorDecorator(c -> lose.getAndSet(false) ? new LostHistoryCursor(c) : c).build()) {
                relay.drain(100);
                assertEquals(1, relay.gaps().size(), "one gap recorded");
            }
            assertTrue(store.read("r1").orElseThrow().deleted(), "the primary keeps r1's tombstone");
            assertTrue(sink.get("r1").isEmpty(), "the reconciliation removed r1, deleted during the gap");
            for (String id : List.of("r0", "r2", "r3", "r4", "r5", "r9")) {
                assertEquals(store.read(id).orElseThrow().version(), sink.versionOf(id).orElse(-1L),
                        "the sink holds the primary's version of " + id);
                assertEquals(store.read(id).orElseThrow().state().orElseThrow(), sink.get(id).orElseThrow(),
                        "the sink holds the primary's state of " + id);
            }
            assertEquals(1, reconciler.history(10).size(), "the reconciliation ran once and left its report");
        }
    }

    @Test
    @RequiresMongo(MongoCapability.FULL_CHANGE_STREAMS)
    void aReplayFromBeforeTheOplogMeetsTheServersOwnHistoryLostAndResyncs(MongoDatabase db) {
        // a real replica set answers a start before its oplog with ChangeStreamHistoryLost; the in-JVM
        // server replays from its start instead, so this runs only where the capability exists
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, consumer)) {
            app.save(new Document("_id", "h1").append("n", 1));
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("h")
                    .replayFrom(Instant.parse("2001-01-01T00:00:00Z")).build()) {
                relay.drain(100);
                assertEquals(1, relay.gaps().size(), "the server's lost history is recorded as a gap");
                assertTrue(ChangeStreamRelay.LOST_RESUME_POINT_CODES.contains(relay.gaps().get(0).errorCode()),
                        "with the server's code: " + relay.gaps().get(0).errorCode());
            }
            consumer.assertEquals(store);
        }
    }

    @Test
    void aGapWhoseRepairFailsStaysOpenAndIsRepairedOnTheNextPoll(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, consumer)) {
            app.save(new Document("_id", "f1").append("n", 1));
            GapHandler resync = GapHandler.resync(out, store, List.of(Items.SINK));
            AtomicBoolean failOnce = new AtomicBoolean(true);
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("f")
                    .gapHandler(gap -> {
                        if (failOnce.getAndSet(false)) {
                            throw new IllegalStateException("repair interrupted");
                        }
                        resync.handle(gap);
                    })
                    .cursorDecorator(new java.util.function.UnaryOperator<>() {
                        private boolean first = true;

                        @Override
                        public com.mongodb.client.MongoChangeStreamCursor<com.mongodb.client.model.changestream
                                .ChangeStreamDocument<BsonDocument>> apply(com.mongodb.client.MongoChangeStreamCursor<
                                com.mongodb.client.model.changestream.ChangeStreamDocument<BsonDocument>> c) {
                            boolean lose = first;
                            first = false;
                            return lose ? new LostHistoryCursor(c) : c;
                        }
                    }).build()) {
                IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                        relay::pollOnce, "the failed repair surfaces");
                assertEquals("repair interrupted", e.getMessage(), "it is the handler's failure");
                assertEquals(0, consumer.appliedCount(), "nothing was skipped as if repaired");
                relay.drain(100);
                consumer.assertEquals(store);
                assertEquals(1, relay.gaps().size(), "one gap, repaired on the second try");
            }
        }
    }

    @Test
    void replayFromACheckpointOrATimeRebuildsAnEmptySink(MongoDatabase db) {
        Instant beforeAnything = Instant.now().minusSeconds(2);
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        EnvelopeConsumer first = new EnvelopeConsumer();
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, first);
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("live").build()) {
            relay.pollOnce();
            Items.writes(app, new Random(3), "early", 5, 20);
            relay.drain(100);
            Checkpoint middle = relay.checkpoint().orElseThrow();
            Items.writes(app, new Random(4), "late", 6, 30);
            relay.drain(100);
            first.assertEquals(store);

            EnvelopeConsumer rebuilt = new EnvelopeConsumer();
            try (DualWriter<Document> out2 = Items.relayWriter(store, rebuilt);
                 ChangeStreamRelay replay = ChangeStreamRelay.builder(items, out2, store).checkpoints(db)
                         .name("rebuild").replayFrom(beforeAnything).build()) {
                replay.drain(1000);
            }
            rebuilt.assertEquals(store);

            EnvelopeConsumer fromMiddle = new EnvelopeConsumer();
            try (DualWriter<Document> out3 = Items.relayWriter(store, fromMiddle);
                 ChangeStreamRelay replay = ChangeStreamRelay.builder(items, out3, store).checkpoints(db)
                         .name("from-middle").replayFrom(middle).build()) {
                replay.drain(1000);
            }
            for (String id : fromMiddle.liveIds()) {
                assertTrue(id.startsWith("late"), "a replay from the middle checkpoint starts after the early writes: " + id);
            }
            for (String id : first.liveIds()) {
                if (id.startsWith("late")) {
                    assertEquals(first.version(id), fromMiddle.version(id), "late entity " + id + " rebuilt");
                }
            }
        }
    }

    private static Checkpoint checkpointOf(MongoDatabase db, String name) {
        BsonDocument d = db.getCollection(ChangeStreamRelay.DEFAULT_CHECKPOINT_COLLECTION, BsonDocument.class)
                .find(new Document("_id", name)).first();
        return new Checkpoint(name, java.util.Optional.empty(), java.util.Optional.empty(), Instant.EPOCH,
                d == null || !d.containsKey("delivered") ? 0 : d.getNumber("delivered").longValue(), 0);
    }

    private static boolean matches(EnvelopeConsumer consumer, MongoPrimaryStore<Document> store) {
        try {
            consumer.assertEquals(store);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + what);
            Thread.sleep(10);
        }
    }
}
