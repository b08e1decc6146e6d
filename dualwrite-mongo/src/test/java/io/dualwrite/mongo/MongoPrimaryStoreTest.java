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

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded-intent store's own promises beyond the contract, through the coordinator. */
@ExtendWith(MongoExtension.class)
class MongoPrimaryStoreTest {

    private static List<String> indexNames(MongoCollection<?> c) {
        List<String> names = new ArrayList<>();
        c.listIndexes().forEach(d -> names.add(d.getString("name")));
        return names;
    }

    @Test
    void indexesAreCreatedAtStartUpIdempotentlyWithRecognisableNames(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        assertTrue(indexNames(products).containsAll(List.of(MongoPrimaryStore.INDEX_DUE, MongoPrimaryStore.INDEX_LEASE,
                MongoPrimaryStore.INDEX_REQUEST_KEYS)), "the store's indexes exist: " + indexNames(products));
        MongoPrimaryStore.builder(products).build();
        assertEquals(List.of(MongoPrimaryStore.INDEX_DUE, MongoPrimaryStore.INDEX_LEASE,
                MongoPrimaryStore.INDEX_REQUEST_KEYS), store.ensureIndexes(), "creating them again is harmless");
        MongoCollection<Product> unindexed = Collections.products(db);
        MongoPrimaryStore.builder(unindexed).createIndexes(false).build();
        assertFalse(indexNames(unindexed).contains(MongoPrimaryStore.INDEX_DUE), "createIndexes(false) leaves them out");
        MongoWriteAheadStore<Product> wa = MongoWriteAheadStore.builder(db, products).build();
        assertTrue(indexNames(wa.intentCollection()).containsAll(List.of(MongoWriteAheadStore.INDEX_DUE,
                MongoWriteAheadStore.INDEX_ENTITY, MongoWriteAheadStore.INDEX_LEASE)), "the intent collection's indexes exist");
    }

    @Test
    void documentLayoutKeepsTheEntityFieldsAndOneMetadataField(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), new MutableClock(Fixture.START),
                "w1", Fixture.sinks("search")).build()) {
            WriteResult r = w.save(new Product("l1", "chair", 70));
            BsonDocument raw = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "l1")).first();
            assertEquals(Set.of("_id", "name", "price", DualWriteFilters.FIELD), raw.keySet(), "entity fields plus _dw");
            assertEquals(r.version(), raw.getDocument(DualWriteFilters.FIELD).getInt64("v").getValue(), "the version");
            assertEquals(new Product("l1", "chair", 70), products.find(Filters.eq("_id", "l1")).first(),
                    "the application's own reads with its POJO codec still work");
        }
    }

    @Test
    void aStaleExpectedVersionConflictsAndTouchesNothing(MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        Map<String, InMemorySink<Product>> sinks = Fixture.sinks("search");
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), new MutableClock(Fixture.START),
                "w1", sinks).build()) {
            long v1 = w.save(new Product("o1", "desk", 100)).version();
            w.save(new Product("o1", "desk", 90));
            VersionConflictException e = assertThrows(VersionConflictException.class,
                    () -> w.save(new Product("o1", "desk", 1), WriteOptions.builder().expectedVersion(v1).build()),
                    "a write based on a stale read conflicts");
            assertEquals(v1 + 1, e.actualVersion(), "the conflict names the current version");
            assertEquals(90, store.read("o1").orElseThrow().state().orElseThrow().getPrice(), "nothing was written");
            assertEquals(v1 + 1, sinks.get("search").versionOf("o1").orElseThrow(), "no sink saw the rejected write");
            assertEquals(v1 + 2, w.save(new Product("o1", "desk", 80), WriteOptions.builder().expectedVersion(v1 + 1)
                    .build()).version(), "the current version writes");
        }
    }

    @Test
    void aRepeatedRequestKeyReturnsTheFirstResultEvenAfterALostReply(MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        Map<String, InMemorySink<Product>> sinks = Fixture.sinks("search");
        MutableClock clock = new MutableClock(Fixture.START);
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w1", sinks).build()) {
            WriteResult first = w.save(new Product("k1", "rug", 5), WriteOptions.builder().requestKey("order-7").build());
            WriteResult again = w.save(new Product("k1", "rug", 6), WriteOptions.builder().requestKey("order-7").build());
            assertTrue(again.duplicate(), "the repeat is recognised");
            assertEquals(first.version(), again.version(), "and answered with the first version");
            assertEquals(5, store.read("k1").orElseThrow().state().orElseThrow().getPrice(), "nothing written again");
            assertEquals(1, sinks.get("search").appliedCount(), "the sink got the write once");

            // the first attempt committed, then the process died before replying; the client retries
            Committed<Product> lost = store.commit(PrimaryWrite.<Product>builder().id("k2").operation(Operation.UPSERT)
                    .state(new Product("k2", "vase", 9)).intents(List.of(new IntentSpec("search", clock.instant())))
                    .requestKey("order-8").correlationId("c").time(clock.instant()).build());
            WriteResult retry = w.save(new Product("k2", "vase", 9), WriteOptions.builder().requestKey("order-8").build());
            assertTrue(retry.duplicate(), "the retry after a lost reply is recognised from the stored key");
            assertEquals(lost.version(), retry.version(), "with the version the lost attempt committed");
        }
    }

    @Test
    void objectIdsAndPlainDocumentsWork(MongoDatabase db) {
        MongoCollection<Document> docs = db.getCollection(Collections.uniqueName("docs"));
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(docs).idType(IdType.OBJECT_ID).build();
        ObjectId oid = new ObjectId();
        Committed<Document> c = store.commit(PrimaryWrite.<Document>builder().id(oid.toHexString())
                .operation(Operation.UPSERT).state(new Document("_id", oid).append("title", "hello"))
                .correlationId("c").time(Fixture.START).build());
        assertEquals(Committed.Status.WRITTEN, c.status(), "written");
        assertEquals(oid, docs.find().first().getObjectId("_id"), "stored under its ObjectId");
        assertEquals("hello", store.read(oid.toHexString()).orElseThrow().state().orElseThrow().getString("title"),
                "read back by its hex id");
        assertEquals(oid.toHexString(), store.scan(null, 5).get(0).id(), "scan reports hex ids");
        assertThrows(IllegalArgumentException.class, () -> store.read("not-an-object-id"), "a bad id is refused");
        assertThrows(IllegalArgumentException.class, () -> store.commit(PrimaryWrite.<Document>builder().id("abc")
                .operation(Operation.UPSERT).state(new Document("_id", "other")).correlationId("c").time(Fixture.START)
                .build()), "an entity whose _id differs from its id is refused");
    }

    @Test
    void primaryDownDuringSaveThrowsAndTouchesNoSink() {
        InJvmMongo mongo = InJvmMongo.start();
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(mongo.connectionString()))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(300, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(b -> b.connectTimeout(300, TimeUnit.MILLISECONDS)).build();
        Map<String, InMemorySink<Product>> sinks = Fixture.sinks("search", "cache");
        try (MongoClient client = MongoClients.create(settings)) {
            MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(client.getDatabase("down")))
                    .build();
            try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(),
                    new MutableClock(Fixture.START), "w1", sinks).build()) {
                w.save(new Product("u1", "fine", 1));
                mongo.close();
                // the first save writes at once on the revision it knows, over a connection that dies with the
                // server: whether that write landed is unknown to the driver, and the read that would tell fails too
                PrimaryWriteException first = assertThrows(PrimaryWriteException.class,
                        () -> w.save(new Product("u1", "lost", 2)), "a save with the primary down fails clearly");
                assertTrue(first.kind() == ErrorKind.UNKNOWN_OUTCOME || first.kind() == ErrorKind.TRANSIENT,
                        "the write went out, or never did: " + first);
                PrimaryWriteException e = assertThrows(PrimaryWriteException.class,
                        () -> w.save(new Product("u1", "lost", 3)), "so does the next");
                assertEquals(ErrorKind.TRANSIENT, e.kind(), "an unreachable primary is transient: " + e.getCause());
            }
        } finally {
            mongo.close();
        }
        for (InMemorySink<Product> sink : sinks.values()) {
            assertEquals(1, sink.appliedCount(), "no sink was touched by the failed save");
            assertEquals("fine", sink.get("u1").orElseThrow().getName(), "sinks keep the committed state");
        }
    }

    @Test
    void concurrentWritersGetConsecutiveVersionsAndLoseNoIntent(MongoDatabase db) throws Exception {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        int threads = 4;
        int perThread = 10;
        java.util.Set<Long> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String sink = "sink" + t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        versions.add(store.commit(PrimaryWrite.<Product>builder().id("hot").operation(Operation.UPSERT)
                                .state(new Product("hot", sink + "-" + i, i))
                                .intents(List.of(new IntentSpec(sink, Fixture.START))).correlationId(sink)
                                .time(Fixture.START).build()).version());
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long first = io.dualwrite.Versions.firstVersion(Fixture.START);
        java.util.Set<Long> expected = new java.util.HashSet<>();
        for (long v = first; v < first + threads * perThread; v++) {
            expected.add(v);
        }
        assertEquals(expected, versions, "every committed write got its own version, one after another");
        assertEquals(threads, store.read("hot").orElseThrow().pending().size(), "no writer's intent was lost");
    }

    @Test
    void aFailedRequiredSinkIsCompensatedWithTheBeforeImage(MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        InMemorySink<Product> search = new InMemorySink<>();
        DeadLetterTest.RejectingSink billing = new DeadLetterTest.RejectingSink();
        billing.broken = false;
        try (DualWriter<Product> w = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore()).clock(new MutableClock(Fixture.START))
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT)
                .sink("billing", billing, io.dualwrite.SinkSettings.builder().maxAttempts(1)
                        .policy(io.dualwrite.DeliveryPolicy.REQUIRED).build())
                .build()) {
            long v1 = w.save(new Product("b1", "plan", 10)).version();
            billing.broken = true;
            io.dualwrite.RequiredSinkFailedException e = assertThrows(io.dualwrite.RequiredSinkFailedException.class,
                    () -> w.save(new Product("b1", "plan", 99)), "a failed required sink fails the save");
            assertEquals(v1 + 2, e.compensationVersion().orElseThrow(), "the before-image was written back as a new version");
            assertEquals(10, store.read("b1").orElseThrow().state().orElseThrow().getPrice(), "the primary holds the old state");
            assertEquals(v1 + 2, search.versionOf("b1").orElseThrow(), "the other sink converged to the compensation");
            assertEquals(10, search.get("b1").orElseThrow().getPrice(), "with the old state");
        }
    }

    @Test
    void claimsRacingOverOneBatchNeverLeaseAnEntityTwice(MongoDatabase db) throws Exception {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        MutableClock clock = new MutableClock(Fixture.START);
        for (int i = 0; i < 40; i++) {
            Fixture.commitAndDie(store, clock, new Product("c" + i, "crashed", i), List.of("search"));
        }
        clock.advance(java.time.Duration.ofMinutes(2));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<List<String>>> claims = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                String owner = "worker-" + w;
                claims.add(pool.submit(() -> {
                    go.await();
                    return store.claimDue(clock.instant(), 40, owner, java.time.Duration.ofSeconds(60)).stream()
                            .map(io.dualwrite.spi.Snapshot::id).toList();
                }));
            }
            go.countDown();
            List<String> all = new ArrayList<>();
            for (java.util.concurrent.Future<List<String>> f : claims) {
                all.addAll(f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(Set.copyOf(all).size(), all.size(), "no entity is leased by two claims: " + all);
            assertEquals(40, all.size(), "every due entity is leased by one of them");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(store.claimDue(clock.instant(), 40, "late", java.time.Duration.ofSeconds(60)).isEmpty(),
                "nothing is claimed while the leases live");
        clock.advance(java.time.Duration.ofSeconds(61));
        assertEquals(40, store.claimDue(clock.instant(), 40, "late", java.time.Duration.ofSeconds(60)).size(),
                "leases that ran out are taken over");
    }

    @Test
    void aDueTimeLeftEarlyByAnAcknowledgementIsSetRightByTheNextClaim(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        java.time.Instant now = Fixture.START;
        Committed<Product> c = store.commit(PrimaryWrite.<Product>builder().id("d1").operation(Operation.UPSERT)
                .state(new Product("d1", "two sinks", 1)).intents(List.of(new IntentSpec("queue", now),
                        new IntentSpec("search", now.plusSeconds(30)))).correlationId("c").time(now).build());
        store.acknowledge(List.of(new io.dualwrite.spi.Ack("d1", "queue", c.version(), null)));
        assertEquals(1, store.pendingCount(), "the other sink's intent stays");
        List<io.dualwrite.spi.Snapshot<Product>> claimed = store.claimDue(now, 10, "w", java.time.Duration.ofSeconds(5));
        assertEquals(1, claimed.size(), "the early due time lets the entity be claimed once");
        assertTrue(claimed.get(0).pending().values().stream().allMatch(i -> i.dueAt().isAfter(now)),
                "with nothing due in it");
        store.release("d1", "w");
        assertTrue(store.claimDue(now, 10, "w", java.time.Duration.ofSeconds(5)).isEmpty(),
                "the claim set the due time right, so it is not claimed again before it is due");
        assertEquals(now.plusSeconds(30), store.oldestDue().orElseThrow(), "the due time is the remaining intent's");
        assertEquals(1, store.claimDue(now.plusSeconds(30), 10, "w", java.time.Duration.ofSeconds(5)).size(),
                "and it is claimed when that comes");
    }

    @Test
    void aDeadLetterStoreInAnotherDatabaseIsRefusedAtBuild(MongoClient client, MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        String other = db.getName() + "_ops";
        MongoDeadLetterStore elsewhere = MongoDeadLetterStore.builder(client.getDatabase(other)).createIndexes(false)
                .build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Fixture.writer(store, elsewhere,
                new MutableClock(Fixture.START), "w1", Fixture.sinks("search")).build());
        assertTrue(e.getMessage().contains("'" + other + "'") && e.getMessage().contains("'" + db.getName() + "'"),
                e.getMessage());
        Fixture.writer(store, MongoDeadLetterStore.builder(db).build(), new MutableClock(Fixture.START), "w1",
                Fixture.sinks("search")).build().close();
    }

    /** A record the driver maps without {@code @BsonId}: its documents would hold both {@code _id} and {@code id}. */
    public record Unmapped(String id, String name) {
    }

    /** The same record with its id component mapped to {@code _id}. */
    public record Mapped(@org.bson.codecs.pojo.annotations.BsonId String id, String name) {
    }

    @Test
    void aRecordWhoseIdDoesNotMapToUnderscoreIdIsRefusedAtBuildWithTheFix(MongoDatabase db) {
        MongoCollection<Unmapped> unmapped = db.getCollection(Collections.uniqueName("unmapped"), Unmapped.class);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MongoPrimaryStore.builder(unmapped).build());
        assertTrue(e.getMessage().contains(Unmapped.class.getName()) && e.getMessage().contains("@BsonId")
                && e.getMessage().contains("id, name"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> MongoWriteAheadStore.builder(db, unmapped).build(),
                "the write-ahead store keys documents by _id too");

        MongoCollection<Mapped> mapped = db.getCollection(Collections.uniqueName("mapped"), Mapped.class);
        MongoPrimaryStore<Mapped> store = MongoPrimaryStore.builder(mapped).build();
        try (DualWriter<Mapped> w = DualWriter.<Mapped>builder().entityType("mapped").idOf(Mapped::id).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", new InMemorySink<>())
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).build()) {
            w.save(new Mapped("m1", "lamp"));
        }
        BsonDocument raw = mapped.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "m1")).first();
        assertEquals(Set.of("_id", "name", DualWriteFilters.FIELD), raw.keySet(), "one id, in _id");
        assertEquals(new Mapped("m1", "lamp"), mapped.find(Filters.eq("_id", "m1")).first());
    }
}
