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
package io.dualwrite.testkit.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in-JVM server's replies while other threads update the same documents: a find (its first batch and later ones),
 * an aggregation and a find-and-modify each see a document as one update left it, never half of one; concurrent
 * upserts apply every update; and a find-and-modify replies what MongoDB replies (projection, before or after, upsert,
 * no match, delete, replace).
 */
class InJvmMongoConcurrentRepliesTest {
    private static final int FIELDS = 300;

    /** One update sets every field f0..f299 to n: a whole document has all of them equal. */
    private static Bson setAll(long n) {
        List<Bson> sets = new ArrayList<>();
        for (int f = 0; f < FIELDS; f++) {
            sets.add(Updates.set("f" + f, n));
        }
        return Updates.combine(sets);
    }

    private static String tornOrNull(Document d) {
        Object first = d.get("f0");
        for (int f = 1; f < FIELDS; f++) {
            if (!java.util.Objects.equals(first, d.get("f" + f))) {
                return d.getInteger("_id") + ": f0=" + first + " f" + f + "=" + d.get("f" + f);
            }
        }
        return null;
    }

    /**
     * Runs updates of every field of 4 documents on one thread while {@code read} reads them on another for 1.5 s.
     *
     * @return documents read torn, or failures of the read
     */
    private static List<String> readsDuringUpdates(Function<MongoCollection<Document>, Iterable<Document>> read)
            throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoCollection<Document> docs = client.getDatabase("replies").getCollection("wide");
            for (int i = 0; i < 4; i++) {
                Document d = new Document("_id", i).append("k", "x");
                for (int f = 0; f < FIELDS; f++) {
                    d.append("f" + f, 0L);
                }
                docs.insertOne(d);
            }
            ExecutorService pool = Executors.newFixedThreadPool(1);
            AtomicBoolean stop = new AtomicBoolean();
            List<String> torn = new ArrayList<>();
            try {
                Future<Long> writer = pool.submit(() -> {
                    long n = 0;
                    while (!stop.get()) {
                        n++;
                        docs.updateOne(Filters.eq("_id", (int) (n % 4)), setAll(n));
                    }
                    return n;
                });
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                int reads = 0;
                while (System.nanoTime() < deadline && torn.size() < 3) {
                    try {
                        for (Document d : read.apply(docs)) {
                            reads++;
                            String t = tornOrNull(d);
                            if (t != null) {
                                torn.add(t);
                            }
                        }
                    } catch (RuntimeException e) {
                        torn.add("read failed: " + e);
                    }
                }
                stop.set(true);
                long updates = writer.get(30, TimeUnit.SECONDS);
                if (!torn.isEmpty()) {
                    torn.add("(" + reads + " documents read, " + updates + " updates)");
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
            return torn;
        }
    }

    @Test
    void aFindDuringUpdatesOfEveryFieldSeesEachDocumentWhole() throws Exception {
        assertEquals(List.of(), readsDuringUpdates(docs -> docs.find().into(new ArrayList<>())),
                "find replied documents half-updated");
    }

    @Test
    void aFindWithGetMoreBatchesDuringUpdatesSeesEachDocumentWhole() throws Exception {
        assertEquals(List.of(), readsDuringUpdates(docs -> docs.find().batchSize(1).into(new ArrayList<>())),
                "find/getMore replied documents half-updated");
    }

    @Test
    void anAggregateDuringUpdatesSeesEachDocumentWhole() throws Exception {
        assertEquals(List.of(), readsDuringUpdates(docs -> docs.aggregate(List.of(Aggregates.match(Filters.eq("k",
                "x")))).into(new ArrayList<>())), "aggregate replied documents half-updated");
    }

    /** A findOneAndUpdate that changes nothing of a document read meanwhile (a read of every field in one reply). */
    @Test
    void aFindOneAndUpdateReplyDuringUpdatesIsWhole() throws Exception {
        assertEquals(List.of(), readsDuringUpdates(docs -> {
            Document d = docs.findOneAndUpdate(Filters.eq("_id", 1), Updates.set("k", "x"),
                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            return d == null ? List.of() : List.of(d);
        }), "findOneAndUpdate replied a document half-updated");
    }

    /** Concurrent upserts of one missing document: one inserts it, every reply is its own value. */
    @Test
    void concurrentUpsertingIncrementsEachSeeTheirOwnValue() throws Exception {
        int threads = 8;
        int each = 50;
        try (InJvmMongo mongo = InJvmMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoCollection<Document> counters = client.getDatabase("replies").getCollection("counters");
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            List<String> problems = concurrently(threads, each, found -> {
                Document d = counters.findOneAndUpdate(Filters.eq("_id", "c"), Updates.inc("n", 1L),
                        new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
                if (!seen.add(d.getLong("n"))) {
                    found.add("twice: " + d.getLong("n"));
                }
            });
            assertEquals(List.of(), problems);
            assertEquals((long) threads * each, seen.size());
            assertEquals(1, counters.countDocuments());
        }
    }

    /** What the copy must not change: projections, BEFORE, upserts, no match, remove, nested values. */
    @Test
    void theCopiedReplyIsStillTheReplyMongoDbGives() throws Exception {
        try (InJvmMongo mongo = InJvmMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoCollection<Document> c = client.getDatabase("replies").getCollection("shapes");
            c.insertOne(new Document("_id", "a").append("n", 1L).append("nested", new Document("x", List.of(1, 2)))
                    .append("bin", new org.bson.types.Binary(new byte[]{1, 2, 3})).append("at", new java.util.Date(5)));

            Document projected = c.findOneAndUpdate(Filters.eq("_id", "a"), Updates.inc("n", 1L),
                    new FindOneAndUpdateOptions().projection(Projections.include("n"))
                            .returnDocument(ReturnDocument.AFTER));
            assertEquals(new Document("_id", "a").append("n", 2L), projected, "projection AFTER");

            Document excluded = c.findOneAndUpdate(Filters.eq("_id", "a"), Updates.inc("n", 1L),
                    new FindOneAndUpdateOptions().projection(Projections.fields(Projections.excludeId(),
                            Projections.include("nested.x"))).returnDocument(ReturnDocument.BEFORE));
            assertEquals(new Document("nested", new Document("x", List.of(1, 2))), excluded, "projection BEFORE");

            Document before = c.findOneAndUpdate(Filters.eq("_id", "a"), Updates.combine(Updates.inc("n", 1L),
                    Updates.push("nested.x", 3)), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.BEFORE));
            assertEquals(3L, before.getLong("n"), "BEFORE");
            assertEquals(List.of(1, 2), before.get("nested", Document.class).getList("x", Integer.class));
            assertEquals(new org.bson.types.Binary(new byte[]{1, 2, 3}), before.get("bin"));
            assertEquals(new java.util.Date(5), before.getDate("at"));

            Document after = c.findOneAndUpdate(Filters.eq("_id", "a"), Updates.push("nested.x", 4),
                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            assertEquals(List.of(1, 2, 3, 4), after.get("nested", Document.class).getList("x", Integer.class));

            assertNull(c.findOneAndUpdate(Filters.eq("_id", "none"), Updates.inc("n", 1L)), "no match");
            assertNull(c.findOneAndUpdate(Filters.eq("_id", "u1"), Updates.inc("n", 1L),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.BEFORE)),
                    "an upsert replies null BEFORE");
            assertEquals(new Document("_id", "u2").append("n", 1L), c.findOneAndUpdate(Filters.eq("_id", "u2"),
                    Updates.inc("n", 1L), new FindOneAndUpdateOptions().upsert(true)
                            .returnDocument(ReturnDocument.AFTER)), "an upsert replies the inserted document AFTER");
            assertEquals(new Document("_id", "u2").append("n", 1L), c.findOneAndDelete(Filters.eq("_id", "u2")),
                    "findOneAndDelete replies the removed document");
            assertEquals(new Document("_id", "u1").append("n", 1L),
                    c.findOneAndReplace(Filters.eq("_id", "u1"), new Document("m", 7)), "replace BEFORE");
            assertEquals(new Document("_id", "u1").append("m", 7), c.find(Filters.eq("_id", "u1")).first());

            // the reply is a copy: an update after it does not change what an earlier reply holds
            assertTrue(c.updateOne(Filters.eq("_id", "a"), Updates.set("n", 100L), new UpdateOptions())
                    .getModifiedCount() == 1);
            assertEquals(4L, after.getLong("n"));
        }
    }

    /** Concurrent upserting updateOne of one missing document: exactly one reply names the upserted id. */
    @Test
    void concurrentUpsertingUpdatesReplyOneUpsertedIdAndApplyEveryIncrement() throws Exception {
        int threads = 8;
        int each = 50;
        try (InJvmMongo mongo = InJvmMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
            MongoCollection<Document> counters = client.getDatabase("replies").getCollection("upserts");
            java.util.concurrent.atomic.AtomicInteger upserted = new java.util.concurrent.atomic.AtomicInteger();
            List<String> problems = concurrently(threads, each, found -> {
                com.mongodb.client.result.UpdateResult u = counters.updateOne(Filters.eq("_id", "u"),
                        Updates.inc("n", 1L), new UpdateOptions().upsert(true));
                if (u.getUpsertedId() != null) {
                    upserted.incrementAndGet();
                    if (!"u".equals(u.getUpsertedId().asString().getValue())) {
                        found.add("upserted " + u.getUpsertedId());
                    }
                } else if (u.getMatchedCount() != 1) {
                    found.add("matched " + u.getMatchedCount());
                }
            });
            assertEquals(List.of(), problems);
            assertEquals(1, upserted.get(), "one upsert");
            assertEquals((long) threads * each, counters.find().first().getLong("n"));
        }
    }

    /**
     * Runs {@code step} {@code each} times on each of {@code threads} threads that start together.
     *
     * @return what the steps found wrong (added to the list they are given) and the exceptions they threw
     */
    private static List<String> concurrently(int threads, int each, java.util.function.Consumer<List<String>> step)
            throws Exception {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                all.add(pool.submit(() -> {
                    together.await();
                    for (int i = 0; i < each; i++) {
                        try {
                            step.accept(problems);
                        } catch (RuntimeException e) {
                            problems.add(e.toString());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return problems;
    }
}
