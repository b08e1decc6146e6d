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

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write-ahead store's shortcuts (the short turn of a remembered record, the first turn of a new id, the read
 * skipped when the record remembers the last save, saveReturning's trust in the returned entity) with two instances
 * whose memories are stale, skewed clocks, lost replies, recovery and a lease running out mid-save. Each test checks
 * the promises: the sink ends at the primary's state and version, never applies an older state after a newer one,
 * nothing is left pending, and the WriteResult tells the truth. Also: one intent collection per entity collection.
 */
class WriteAheadShortcutRaceTest extends ScriptedWriteAheadFixture {
    /** Every change the sink applied, in order: "id@version:status" (status null for a delete). */
    final List<String> applied = new CopyOnWriteArrayList<>();

    final Sink<Order> recording = change -> {
        ApplyResult r = search.apply(change);
        if (r == ApplyResult.APPLIED) {
            applied.add(change.id() + "@" + change.version() + ":" + change.state().map(Order::getStatus).orElse(null));
        }
        return r;
    };

    MongoWriteAheadStore<Order> store(Clock c, boolean scripted, long cacheEntities) {
        return MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(scripted ? script.wrap(intents) : intents)
                .writeLease(Duration.ofMinutes(1), Duration.ofSeconds(5)).clock(c)
                .recordCache(cacheEntities, Duration.ofMinutes(10)).build();
    }

    DualWriter<Order> writerOn(String name, MongoWriteAheadStore<Order> st, Clock c) {
        return DualWriter.<Order>builder().entityType("order").clock(c).workerId(name).primary(st)
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", recording, Fixture.ONE_ATTEMPT).build();
    }

    /** The statuses "S<n>" the sink applied for {@code id} come in increasing n: never an older state after a newer. */
    void assertNewerStatesOnly(String id) {
        int last = -1;
        List<String> seen = new ArrayList<>();
        for (String a : applied) {
            if (!a.startsWith(id + "@")) {
                continue;
            }
            seen.add(a);
            String status = a.substring(a.indexOf(':') + 1);
            if (status.startsWith("S")) {
                int n = Integer.parseInt(status.substring(1));
                assertTrue(n > last, "the sink applied an older state after a newer one: " + seen);
                last = n;
            }
        }
    }

    // ------------------------------------------------------------------ races through the shortcuts

    /**
     * The short turn's command lands and its reply is lost; in that gap A's turn runs out, B saves, deletes and
     * re-creates the entity. A's cleanup must remove only its own intent; A's retry goes above B's re-creation.
     */
    @Test
    void aLostShortTurnReplyWhileAnotherInstanceSavesDeletesAndRecreates() {
        try (DualWriter<Order> a = writerOn("A", store(clock, true, 100_000), clock);
             DualWriter<Order> b = writerOn("B", store(clock, false, 100_000), clock)) {
            save(a, "l1", "S1");
            save(a, "l1", "S2");
            a.operations().flushAcknowledgements();
            long[] recreated = new long[1];
            script.landThenLoseReply("bulkWrite", () -> {
                clock.advance(Duration.ofMinutes(2)); // A's turn runs out
                save(b, "l1", "S3");
                delete(b, "l1");
                clock.advance(Duration.ofSeconds(1));
                recreated[0] = save(b, "l1", "S4").version();
                b.operations().flushAcknowledgements();
            });
            assertThrows(PrimaryWriteException.class, () -> save(a, "l1", "LOST"));
            assertTrue(script.done());
            WriteResult s5 = save(a, "l1", "S5");
            assertTrue(s5.version() > recreated[0], recreated[0] + " then " + s5.version());
            assertTrue(s5.versionKnown(), "A's save was alone in its turn: " + s5);
            assertConverged("l1", a, b);
            assertEquals("S5", search.get("l1").orElseThrow().getStatus());
            assertNewerStatesOnly("l1");
        }
    }

    /**
     * The first turn's command (record created with the turn and base, intent recorded) lands and its reply is lost;
     * in that gap the settle time passes, recovery runs and another instance creates the entity. A's cleanup, then
     * its retry.
     */
    @Test
    void aLostFirstTurnReplyWhileRecoveryRunsAndAnotherInstanceCreatesTheEntity() {
        try (DualWriter<Order> a = writerOn("A", store(clock, true, 100_000), clock);
             DualWriter<Order> b = writerOn("B", store(clock, false, 100_000), clock)) {
            leanNew(a, "lean");
            a.operations().flushAcknowledgements();
            long[] created = new long[1];
            script.landThenLoseReply("bulkWrite", () -> {
                clock.advance(Duration.ofMinutes(6));
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                created[0] = save(b, "n1", "S1").version();
                b.operations().flushAcknowledgements();
            });
            assertThrows(PrimaryWriteException.class, () -> save(a, "n1", "LOST"));
            assertTrue(script.done());
            WriteResult s2 = save(a, "n1", "S2");
            assertTrue(s2.version() > created[0], created[0] + " then " + s2.version());
            assertConverged("n1", a, b);
            assertEquals("S2", search.get("n1").orElseThrow().getStatus());
            assertNewerStatesOnly("n1");
        }
    }

    /**
     * Two instances 40 s apart (A 20 s ahead, B 20 s behind; lease 1 min) take turns on one id through every
     * shortcut: first turns, short turns on stale and fresh memories, deletes and re-creations on either side.
     */
    @Test
    void twoSkewedInstancesAlternatingThroughEveryShortcutKeepVersionsGrowing() {
        Clock fast = Clock.offset(clock, Duration.ofSeconds(20));
        Clock slow = Clock.offset(clock, Duration.ofSeconds(-20));
        try (DualWriter<Order> a = writerOn("A", store(fast, false, 100_000), fast);
             DualWriter<Order> b = writerOn("B", store(slow, false, 100_000), slow)) {
            leanNew(a, "leanA");
            leanNew(b, "leanB");
            List<Long> versions = new ArrayList<>();
            versions.add(save(a, "z1", "S1").version());          // A's first turn
            versions.add(save(b, "z1", "S2").version());          // B: first turn finds the record
            versions.add(save(a, "z1", "S3").version());          // A: stale memory
            versions.add(save(a, "z1", "S4").version());          // A: short turn
            versions.add(delete(b, "z1").version());              // B deletes
            clock.advance(Duration.ofMillis(1));
            versions.add(save(a, "z1", "S5").version());          // A re-creates (its memory has no tombstone)
            versions.add(save(b, "z1", "S6").version());          // B saves on top
            versions.add(delete(a, "z1").version());              // A deletes
            versions.add(save(b, "z1", "S7").version());          // B re-creates: slow clock, first-turn guess
            versions.add(save(b, "z1", "S8").version());          // B short turn
            versions.add(save(a, "z1", "S9").version());          // A: no memory, guesses new
            for (int i = 1; i < versions.size(); i++) {
                assertTrue(versions.get(i) > versions.get(i - 1), "versions only grow: " + versions);
            }
            assertConverged("z1", a, b);
            assertEquals("S9", search.get("z1").orElseThrow().getStatus());
            assertNewerStatesOnly("z1");
        }
    }

    /**
     * A's save (long way: its memory is stale) holds the turn; its caller's write lands, then its lease runs out; B,
     * whose memory is current, takes the turn the short way (no read) and saves on top. Both must say whether their
     * version is their own, and the sink must end at the primary.
     */
    @Test
    void aLeaseRunningOutMidSaveWhileAnotherInstanceTakesTheShortTurn() {
        try (DualWriter<Order> a = writerOn("A", store(clock, false, 100_000), clock);
             DualWriter<Order> b = writerOn("B", store(clock, false, 100_000), clock)) {
            save(a, "m1", "S1");
            save(b, "m1", "S2"); // B remembers the record as its save left it; A's memory is stale
            WriteResult[] bSave = new WriteResult[1];
            RuntimeException aFailure = null;
            WriteResult aSave = null;
            try {
                aSave = a.saveWith("m1", () -> {
                    orders.updateOne(Filters.eq("_id", "m1"), Updates.combine(Updates.set("status", "S3"),
                            Updates.inc("version", 1L)));
                    clock.advance(Duration.ofMinutes(2)); // A's lease runs out
                    bSave[0] = save(b, "m1", "S4");
                });
            } catch (RuntimeException e) {
                aFailure = e;
            }
            Order now = orders.find(Filters.eq("_id", "m1")).first();
            assertEquals("S4", now.getStatus());
            if (bSave[0].versionKnown()) {
                // B's version must be the one its write made: field now is B's write
                assertEquals(bSave[0].version(), a.operations().snapshot("m1").orElseThrow().version());
            }
            if (aSave != null) {
                assertFalse(aSave.versionKnown(), "A's read-back holds B's write, not its own: " + aSave);
            } else {
                assertTrue(aFailure instanceof PrimaryWriteException, String.valueOf(aFailure));
            }
            assertConverged("m1", a, b);
            assertEquals("S4", search.get("m1").orElseThrow().getStatus());
            assertNewerStatesOnly("m1");
        }
    }

    /**
     * The document as it was before the caller's update (findOneAndUpdate's default) returned to saveReturning: its
     * version field is not above the one the record holds, so the store reads the document back and delivers it.
     */
    @Test
    void aBeforeImageReturnedToSaveReturningIsReadBack() {
        try (DualWriter<Order> a = writerOn("A", store(clock, false, 100_000), clock)) {
            save(a, "b3", "S1");
            save(a, "b3", "S2");
            WriteResult r = returningBeforeImage(a, "b3", "S3");
            assertEquals("S3", search.get("b3").orElseThrow().getStatus(), String.valueOf(r));
            assertConverged("b3", a);
        }
    }

    /**
     * Two entity collections named one intent collection: records and intents are keyed by the entity id alone, so
     * they would share the records of equal ids and acknowledge each other's intents. The second store's build is
     * refused, naming both; so is its ensureIndexes() when the build left it out; a second store of the same entity
     * collection is fine; once the mark is deleted (the entity collection was renamed), the next build marks the
     * intent collection as the new one's.
     */
    @Test
    void anIntentCollectionOfAnotherEntityCollectionIsRefused() {
        store(clock, false, 100_000);
        store(clock, false, 0); // the same entity collection again
        var invoices = db.getCollection(Collections.uniqueName("invoices"), Order.class)
                .withCodecRegistry(Collections.POJOS);
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> MongoWriteAheadStore.builder(db, invoices).versionField("version").intentCollection(intents)
                        .build());
        String orderName = orders.getNamespace().getCollectionName();
        String invoiceName = invoices.getNamespace().getCollectionName();
        assertTrue(refused.getMessage().contains("'" + orderName + "'")
                && refused.getMessage().contains("'" + invoiceName + "'"), refused.getMessage());
        MongoWriteAheadStore<Order> unchecked = MongoWriteAheadStore.builder(db, invoices).versionField("version")
                .intentCollection(intents).createIndexes(false).build();
        assertThrows(IllegalStateException.class, unchecked::ensureIndexes, "the migration's call checks it too");
        // its own intent collection is fine
        MongoWriteAheadStore.builder(db, invoices).versionField("version").build();
        // a rename: the mark deleted once, the next build takes the intent collection over
        assertEquals(1, intents.deleteOne(Filters.eq("_id", new BsonDocument("dualwrite", new BsonString("intents of"))))
                .getDeletedCount());
        MongoWriteAheadStore.builder(db, invoices).versionField("version").intentCollection(intents).build();
        assertThrows(IllegalStateException.class, () -> store(clock, false, 0), "now the orders are refused");
    }

    /**
     * Instances starting at once: eight builds of the entity collection's store all mark or find the mark (a build
     * that loses the race to the upsert reads it), and of eight builds for eight other entity collections racing one
     * fresh intent collection, exactly one marks it and seven are refused.
     */
    @Test
    void concurrentBuildsAgreeOnWhoseIntentCollectionItIs() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> same = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int n = 0; n < 8; n++) {
                same.add(pool.submit(() -> {
                    go.await();
                    return store(clock, false, 0);
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<?> f : same) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS); // none refused
            }
            var fresh = db.getCollection(Collections.uniqueName("shared_intents"), BsonDocument.class);
            List<java.util.concurrent.Future<Boolean>> others = new ArrayList<>();
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            for (int n = 0; n < 8; n++) {
                var entities = db.getCollection(Collections.uniqueName("entities" + n), Order.class)
                        .withCodecRegistry(Collections.POJOS);
                others.add(pool.submit(() -> {
                    start.await();
                    try {
                        MongoWriteAheadStore.builder(db, entities).versionField("version").intentCollection(fresh)
                                .build();
                        return true;
                    } catch (IllegalStateException refused) {
                        return false;
                    }
                }));
            }
            start.countDown();
            int built = 0;
            for (java.util.concurrent.Future<Boolean> f : others) {
                built += f.get(30, java.util.concurrent.TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, built, "one entity collection owns the intent collection");
        } finally {
            pool.shutdownNow();
        }
    }
}
