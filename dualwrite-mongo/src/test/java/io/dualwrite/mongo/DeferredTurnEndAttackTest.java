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

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks on the deferred end of a write-ahead save's turn: the acknowledgement batch racing whoever else takes the
 * deferred command (a read, a hand-over), a writer closed while a save is on its way, leases running out while the
 * end is deferred, many writers of one entity at once, and no record cache.
 */
@ExtendWith(MongoExtension.class)
class DeferredTurnEndAttackTest {
    private static final Duration LEASE = Duration.ofMinutes(1);
    private WriteAheadFixture f;

    @BeforeEach
    void setUp(MongoDatabase db) {
        f = new WriteAheadFixture(db, LEASE);
    }

    /** @return a writer on its own store that acknowledges only when flushed */
    private DualWriter<Order> writer(String name, boolean scripted, Duration writeWait) {
        return f.writer(name, f.store(scripted ? f.script.wrap(f.intents) : f.intents, writeWait), Duration.ofHours(1));
    }

    /** @return a store on the fixture's collections (the intent collection scripted when asked), ending turns as told */
    private MongoWriteAheadStore<Order> store(boolean scripted, Duration writeWait, boolean onCallersPath) {
        return MongoWriteAheadStore.builder(f.db, f.orders).versionField("version")
                .intentCollection(scripted ? f.script.wrap(f.intents) : f.intents).writeLease(LEASE, writeWait)
                .clock(f.clock).endTurnOnCallersPath(onCallersPath).build();
    }

    private long pendingIntents(String id) {
        return f.intents.countDocuments(Filters.eq("entityId", id));
    }

    /**
     * A read (snapshot) takes the save's deferred command to send it; the writer's acknowledgement batch goes out
     * just before that command (another thread: the acknowledger's timer). The batch must still give the save's
     * intent its version ahead of its acknowledgement, or the acknowledgement is lost and the delivered intent stays
     * pending after the flush. Promise: "an intent learns its version before any acknowledgement of it".
     */
    @Test
    void aReadTakingTheDeferredCommandWhileTheAcknowledgementBatchGoesOutKeepsTheAcknowledgement() {
        readRacingTheAcknowledgements(false);
    }

    /** The same interleaving with the end on the caller's path. */
    @Test
    void aReadRacingTheAcknowledgementsWithTheEndOnTheCallersPath() {
        readRacingTheAcknowledgements(true);
    }

    private void readRacingTheAcknowledgements(boolean onCallersPath) {
        try (DualWriter<Order> a = f.writer("A", store(true, Duration.ofSeconds(5), onCallersPath), Duration.ofHours(1))) {
            WriteResult saved = f.save(a, "r1", "NEW");
            assertTrue(saved.fullyApplied(), "delivered: " + saved);
            // the read has taken the deferred command; before it is sent, the acknowledger flushes
            f.script.first("bulkWrite", () -> a.operations().flushAcknowledgements());
            a.operations().snapshot("r1");
            // (with the end on the caller's path the read sends nothing: the scripted flush runs with the next one)
            assertTrue(onCallersPath || f.script.done());
            assertNull(f.record("r1").get("turnOwner"), "the read sent the deferred end");
            a.operations().flushAcknowledgements();
            assertEquals(0, pendingIntents("r1"),
                    "the save was delivered and acknowledged, flushed: its intent should be gone, yet it is "
                            + f.intents.find(Filters.eq("entityId", "r1")).first());
        }
    }

    /**
     * Same race through a hand-over: the instance's next save takes the first save's deferred command into its
     * hand-over; the acknowledgement batch (with the first save's acknowledgement) goes out before the hand-over;
     * the second save then fails in the caller's own write (nothing to acknowledge that would cover the first).
     */
    @Test
    void aHandOverRacingTheAcknowledgementBatchKeepsTheFirstSavesAcknowledgement() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5))) {
            WriteResult saved = f.save(a, "r2", "NEW");
            assertTrue(saved.fullyApplied(), "delivered: " + saved);
            f.script.first("bulkWrite", () -> a.operations().flushAcknowledgements());
            assertThrows(IllegalArgumentException.class, () -> a.saveWith("r2", () -> {
                throw new IllegalArgumentException("validation failed in the caller's save");
            }));
            assertTrue(f.script.done());
            a.operations().flushAcknowledgements();
            assertNull(f.record("r2").get("turnOwner"));
            // the failed save's own intent (version unknown) stays until it settles; the first save's is gone
            assertEquals(0, f.intents.countDocuments(Filters.and(Filters.eq("entityId", "r2"), Filters.ne("v", 0L))),
                    "the first save was delivered and acknowledged, flushed: its intent should be gone, yet it is "
                            + f.intents.find(Filters.eq("entityId", "r2")).first());
            f.assertConverged("r2", a);
        }
    }

    /**
     * A save is in the caller's write when its writer is closed (a graceful shutdown with a request in flight). The
     * close flushed before the save deferred its end: the save must send it itself, or the entity stays held by a
     * closed writer until the write lease runs out, and every other instance's write of it fails meanwhile.
     */
    @Test
    void aSaveFinishingWhileItsWriterClosesEndsItsTurn() throws Exception {
        saveFinishingWhileItsWriterCloses(false);
    }

    /** The same interleaving with the end on the caller's path. */
    @Test
    void aSaveFinishingWhileItsWriterClosesWithTheEndOnTheCallersPath() throws Exception {
        saveFinishingWhileItsWriterCloses(true);
    }

    private void saveFinishingWhileItsWriterCloses(boolean onCallersPath) throws Exception {
        DualWriter<Order> a = f.writer("A", store(false, Duration.ofSeconds(5), onCallersPath), Duration.ofHours(1));
        try (DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            CountDownLatch inCallerWrite = new CountDownLatch(1);
            CountDownLatch closed = new CountDownLatch(1);
            CompletableFuture<Object> save = CompletableFuture.supplyAsync(() -> {
                try {
                    return a.saveWith("c1", () -> {
                        inCallerWrite.countDown();
                        try {
                            assertTrue(closed.await(10, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        f.orders.updateOne(Filters.eq("_id", "c1"), Updates.combine(Updates.set("status", "NEW"),
                                Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
                    });
                } catch (RuntimeException e) {
                    return e;
                }
            });
            assertTrue(inCallerWrite.await(10, TimeUnit.SECONDS));
            a.close();
            closed.countDown();
            Object outcome = save.get(10, TimeUnit.SECONDS);
            // the caller's write landed: whatever the save said, the closed writer holds nothing
            assertNull(f.record("c1").get("turnOwner"),
                    "after its writer closed and its save returned (" + outcome + "), the entity is still held by it: "
                            + f.record("c1"));
            WriteResult next = f.save(b, "c1", "PAID");
            assertEquals("PAID", f.search.get("c1").orElseThrow().getStatus());
            assertTrue(next.version() > 0);
        } finally {
            a.close();
        }
    }

    /**
     * A saves (its end deferred) and the sink gets the save's version; A crashes before its acknowledger sends the
     * end, so the entity's record never learns the version field A's save left. Code outside the store then puts
     * back the copy from just before A's save (the documented "put an older copy back"), and once A's lease ran
     * out B saves. B must not trust the record's last field (A's turn ran out, so A may have delivered above it):
     * were it to reuse A's version for a different state, the sink would ignore it (it holds that version already)
     * and differ from the primary for good.
     */
    @Test
    void aCrashWithTheEndDeferredThenAnOlderCopyPutBackGoesAboveTheDeliveredVersion() {
        crashThenOlderCopyPutBack(false);
    }

    /** The same with the end on the caller's path. */
    @Test
    void aCrashThenAnOlderCopyPutBackWithTheEndOnTheCallersPath() {
        crashThenOlderCopyPutBack(true);
    }

    private void crashThenOlderCopyPutBack(boolean onCallersPath) {
        var raw = f.db.getCollection(f.orders.getNamespace().getCollectionName(), org.bson.BsonDocument.class);
        DualWriter<Order> crashed = f.writer("A", store(false, Duration.ofSeconds(5), onCallersPath), Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), onCallersPath), Duration.ofHours(1))) {
            long v1 = f.save(crashed, "p1", "FIRST").version();
            crashed.operations().flushAcknowledgements();
            org.bson.BsonDocument before = raw.find(Filters.eq("_id", "p1")).first();
            long v2 = f.save(crashed, "p1", "SECOND").version();
            assertEquals(v1 + 1, v2);
            assertEquals("SECOND", f.search.get("p1").orElseThrow().getStatus(), "the sink has A's second save");
            // A crashes here: it never flushes again (closed only when the test ends)
            raw.replaceOne(Filters.eq("_id", "p1"), before);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult third = null;
            try {
                third = f.save(b, "p1", "THIRD");
            } catch (io.dualwrite.PrimaryWriteException e) {
                // the store sees the put-back, moves the base and may leave the delivery to recovery
            }
            b.operations().flushAcknowledgements();
            long reused = third == null ? -1 : third.version();
            // recovery, past the settle time: the sink must end with what the primary holds
            f.assertConverged("p1", b);
            assertTrue(reused != v2, "B's save reused the version " + v2 + " the sink already holds for A's save: "
                    + third);
        } finally {
            crashed.close();
        }
    }

    /**
     * A's save defers its end; its lease runs out before anything sends it. B takes the turn and saves; A saves
     * again (its hand-over finds the turn gone and takes the long way), then A's first end arrives late. Versions
     * only grow, and everything converges.
     */
    @Test
    void aLeaseRunningOutWhileTheEndIsDeferredThenAnotherWriterThenTheSameInstanceAgain() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            long v1 = f.save(a, "l1", "NEW").version();
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult bSaved = f.save(b, "l1", "PAID");
            assertEquals(v1 + 1, bSaved.version(), "B comes after A, whose end never came: " + bSaved);
            b.operations().flushAcknowledgements();
            WriteResult aAgain = f.save(a, "l1", "SHIPPED");
            assertEquals(v1 + 2, aAgain.version(), "A's second save comes after B's: " + aAgain);
            assertEquals("SHIPPED", f.search.get("l1").orElseThrow().getStatus());
            assertEquals(v1 + 2, f.search.versionOf("l1").orElseThrow());
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            WriteResult bAgain = f.save(b, "l1", "DONE");
            assertEquals(v1 + 3, bAgain.version());
            f.assertConverged("l1", a, b);
        }
    }

    /**
     * A's save defers its end, its lease runs out, B deletes the entity and re-creates it; A's late end arrives with
     * its acknowledgement. Nothing of A's may come back, and the re-creation goes above the delete.
     */
    @Test
    void aLateDeferredEndAfterAnotherWritersDeleteAndRecreationChangesNothing() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            long v1 = f.save(a, "l2", "NEW").version();
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult deleted = b.deleteWith("l2", () -> f.orders.deleteOne(Filters.eq("_id", "l2")));
            assertEquals(v1 + 1, deleted.version());
            b.operations().flushAcknowledgements();
            WriteResult again = f.save(b, "l2", "AGAIN");
            assertTrue(again.version() > deleted.version());
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            WriteResult aNext = f.save(a, "l2", "A-NEXT");
            assertEquals(again.version() + 1, aNext.version(), "A's next save follows B's re-creation");
            f.assertConverged("l2", a, b);
        }
    }

    /** No record cache: every save takes the turn the long way, which sends the instance's deferred end first. */
    @Test
    void withoutARecordCacheTheDeferredEndStillGoesFirst() {
        var storeA = MongoWriteAheadStore.builder(f.db, f.orders).versionField("version").intentCollection(f.intents)
                .writeLease(LEASE, Duration.ofSeconds(5)).clock(f.clock).recordCache(0, Duration.ofMinutes(1)).build();
        try (DualWriter<Order> a = f.writer("A", storeA, Duration.ofHours(1));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            long v1 = f.save(a, "n1", "NEW").version();
            long v2 = f.save(a, "n1", "PAID").version();
            assertEquals(v1 + 1, v2);
            WriteResult deleted = a.deleteWith("n1", () -> f.orders.deleteOne(Filters.eq("_id", "n1")));
            assertEquals(v2 + 1, deleted.version());
            long v4 = f.save(a, "n1", "AGAIN").version();
            assertTrue(v4 > deleted.version());
            a.operations().flushAcknowledgements();
            long v5 = f.save(b, "n1", "B").version();
            assertEquals(v4 + 1, v5);
            b.operations().flushAcknowledgements();
            f.assertConverged("n1", a, b);
        }
    }

    /**
     * Two instances, two threads each, saving one entity at once while their acknowledgers flush every couple of
     * milliseconds: every save gets its own version, the sink ends at the primary's, nothing is left.
     */
    @Test
    void manyWritersOfOneEntityAtOnce() throws Exception {
        try (DualWriter<Order> a = f.writer("A", f.store(f.intents, Duration.ofSeconds(10)), Duration.ofMillis(2));
             DualWriter<Order> b = f.writer("B", f.store(f.intents, Duration.ofSeconds(10)), Duration.ofMillis(2))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            ConcurrentLinkedQueue<Long> versions = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    DualWriter<Order> w = t % 2 == 0 ? a : b;
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 15; i++) {
                            try {
                                versions.add(f.save(w, "m1", "T" + thread + "-" + i).version());
                                if (i % 5 == 4) {
                                    w.operations().snapshot("m1");
                                }
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    }));
                }
                for (Future<?> fu : futures) {
                    fu.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(failures.isEmpty(), "no save failed: " + failures);
            Set<Long> distinct = new TreeSet<>(versions);
            assertEquals(versions.size(), distinct.size(), "every save its own version: " + versions);
            long max = Collections.max(versions);
            assertEquals(max, a.operations().snapshot("m1").orElseThrow().version(), "the last save is the primary's");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertEquals(max, f.search.versionOf("m1").orElseThrow(), "the sink holds the last version");
            f.assertConverged("m1", a, b);
        }
    }

    /**
     * No hooks: many entities, each saved and then read at once on pool threads while the acknowledger flushes every
     * millisecond. Every save is delivered; once flushed, every intent should be gone. Counts what the read race
     * leaves pending in real concurrency (it may not happen in a given run).
     */
    @Test
    void savesReadRightAwayWhileTheAcknowledgerFlushesLeaveNothingPending() throws Exception {
        savesReadRightAway(false);
    }

    /** The same with the end on the caller's path. */
    @Test
    void savesReadRightAwayWithTheEndOnTheCallersPathLeaveNothingPending() throws Exception {
        savesReadRightAway(true);
    }

    private void savesReadRightAway(boolean onCallersPath) throws Exception {
        try (DualWriter<Order> a = f.writer("A", store(false, Duration.ofSeconds(5), onCallersPath), Duration.ofMillis(1))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (int i = 0; i < 400; i++) {
                    String id = "rr" + i;
                    futures.add(pool.submit(() -> {
                        f.save(a, id, "NEW");
                        a.operations().snapshot(id);
                    }));
                }
                for (Future<?> fu : futures) {
                    fu.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            a.operations().flushAcknowledgements();
            assertEquals(0, f.intents.countDocuments(Filters.exists("entityId")),
                    "delivered, acknowledged and flushed, yet intents are left pending");
        }
    }

    /**
     * Code outside the store deletes the document while A's save still holds the turn (its end deferred); A's next
     * save hands the turn over and re-creates the document at a version field the store already gave: the base
     * moves, versions only grow, and recovery converges. Expected to pass.
     */
    @Test
    void anOutsideDeleteWhileTheEndIsDeferredThenTheSameInstanceSavesAgain() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            long v1 = f.save(a, "o1", "NEW").version();
            f.orders.deleteOne(Filters.eq("_id", "o1"));
            long v2 = -1;
            try {
                v2 = f.save(a, "o1", "AGAIN").version();
            } catch (RuntimeException e) {
                // the version field did not grow: recovery delivers what the primary holds
            }
            a.operations().flushAcknowledgements();
            assertTrue(v2 == -1 || v2 > v1, "versions only grow: " + v1 + " then " + v2);
            f.assertConverged("o1", a);
            assertTrue(f.search.versionOf("o1").orElseThrow() > v1);
        }
    }

    /** A save with an expected version right after a deferred save of the same instance, and of another. */
    @Test
    void anExpectedVersionRightAfterADeferredSave() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            long v1 = f.save(a, "e1", "NEW").version();
            WriteResult v2 = a.saveWith("e1", () -> f.orders.updateOne(Filters.eq("_id", "e1"),
                    Updates.combine(Updates.set("status", "CHECKED"), Updates.inc("version", 1L))),
                    io.dualwrite.WriteOptions.builder().expectedVersion(v1).build());
            assertEquals(v1 + 1, v2.version());
            assertThrows(io.dualwrite.VersionConflictException.class, () -> a.saveWith("e1", () -> { },
                    io.dualwrite.WriteOptions.builder().expectedVersion(v1).build()));
            a.operations().flushAcknowledgements();
            WriteResult v3 = b.saveWith("e1", () -> f.orders.updateOne(Filters.eq("_id", "e1"),
                    Updates.combine(Updates.set("status", "B"), Updates.inc("version", 1L))),
                    io.dualwrite.WriteOptions.builder().expectedVersion(v2.version()).build());
            assertEquals(v1 + 2, v3.version());
            b.operations().flushAcknowledgements();
            f.assertConverged("e1", a, b);
        }
    }

    /** The read's send of the deferred end lands and its reply is lost: sent again later, it changes nothing. */
    @Test
    void aLostReplyToTheReadsSendOfTheDeferredEnd() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            long v1 = f.save(a, "x1", "NEW").version();
            f.script.landThenLoseReply("bulkWrite", () -> { });
            assertEquals(v1, a.operations().snapshot("x1").orElseThrow().version());
            assertTrue(f.script.done());
            assertNull(f.record("x1").get("turnOwner"), "the send landed");
            long v2 = f.save(b, "x1", "B").version();
            assertEquals(v1 + 1, v2);
            a.operations().flushAcknowledgements();
            long v3 = f.save(b, "x1", "B2").version();
            assertEquals(v2 + 1, v3, "A's repeated end changed nothing of B's record");
            b.operations().flushAcknowledgements();
            f.assertConverged("x1", a, b);
        }
    }
}
