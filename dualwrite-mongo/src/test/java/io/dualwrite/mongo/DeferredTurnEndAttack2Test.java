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

import com.mongodb.MongoSocketOpenException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * More interleavings around the deferred end of a write-ahead save's turn: a take-over of a run-out turn whose holder
 * may have delivered a version the record does not show (a first save, an outside write before it, two run-out turns
 * in a row, a delete or recovery as the one that comes next), in-flight deferred commands, and a writer closing while
 * a command that carried one is refused. Each ends with versions that only grow and the sink holding what the
 * primary holds.
 */
@ExtendWith(MongoExtension.class)
class DeferredTurnEndAttack2Test {
    private static final Duration LEASE = Duration.ofMinutes(1);
    private WriteAheadFixture f;

    @BeforeEach
    void setUp(MongoDatabase db) {
        f = new WriteAheadFixture(db, LEASE);
    }

    /** @return a store on the fixture's collections (the intent collection scripted when asked), ending turns as told */
    private MongoWriteAheadStore<Order> store(boolean scripted, Duration writeWait, boolean onCallersPath) {
        return MongoWriteAheadStore.builder(f.db, f.orders).versionField("version")
                .intentCollection(scripted ? f.script.wrap(f.intents) : f.intents).writeLease(LEASE, writeWait)
                .clock(f.clock).endTurnOnCallersPath(onCallersPath).build();
    }

    private MongoCollection<BsonDocument> raw() {
        return f.db.getCollection(f.orders.getNamespace().getCollectionName(), BsonDocument.class);
    }

    /**
     * A document that existed before the store's first save of it (a migration): the record has no last field. A's
     * first save reads version field 10, writes 11, delivers it and crashes with its end unsent. An older copy (field
     * 10) is put back; once A's lease ran out B saves. B must not make A's delivered version again for another state.
     */
    @Test
    void aTakeOverOfADocumentsFirstSaveThroughTheStoreThenAnOlderCopyPutBack() {
        takeOverOfAFirstSave(false);
    }

    /**
     * The same with the end on the caller's path, its closing command refused: a version the store could not record is
     * not delivered (the caller learns an unknown outcome), and recovery brings the sink to the primary.
     */
    @Test
    void aTakeOverOfADocumentsFirstSaveWithTheEndOnTheCallersPath() {
        takeOverOfAFirstSave(true);
    }

    private void takeOverOfAFirstSave(boolean onCallersPath) {
        BsonDocument migrated = new BsonDocument("_id", new BsonString("t1")).append("status", new BsonString("MIGRATED"))
                .append("version", new BsonInt64(10));
        raw().insertOne(migrated);
        DualWriter<Order> crashed = f.writer("A", store(onCallersPath, Duration.ofSeconds(5), onCallersPath),
                Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), onCallersPath), Duration.ofHours(1))) {
            if (onCallersPath) {
                // with the end on the caller's path, a crash before it is its closing command lost: refused here
                f.script.refuse("bulkWrite");
            }
            long delivered;
            try {
                WriteResult first = f.save(crashed, "t1", "SECOND");
                delivered = first.version();
                assertEquals("SECOND", f.search.get("t1").orElseThrow().getStatus(), "the sink has A's save");
                assertEquals(delivered, f.search.versionOf("t1").orElseThrow());
            } catch (PrimaryWriteException e) {
                // a version the store could not record is not delivered: the save's outcome is unknown to its caller
                assertTrue(onCallersPath, "only the refused closing command leaves the outcome unknown: " + e);
                assertEquals(io.dualwrite.ErrorKind.UNKNOWN_OUTCOME, e.kind(), e.toString());
                assertTrue(f.search.get("t1").isEmpty(), "nothing reached the sink");
                delivered = -1;
            }
            assertTrue(f.script.done());
            // A crashes here; the copy from before A's save is put back
            raw().replaceOne(Filters.eq("_id", "t1"), migrated);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult third = null;
            try {
                third = f.save(b, "t1", "THIRD");
            } catch (PrimaryWriteException e) {
                // the store may see the put-back and leave the delivery to recovery
            }
            b.operations().flushAcknowledgements();
            long reused = third == null ? -1 : third.version();
            assertTrue(reused != delivered, "B's save reused the version " + delivered
                    + " the sink already holds for A's save (\"SECOND\"): " + third + "; the sink now has "
                    + f.search.get("t1").orElseThrow().getStatus());
            f.assertConverged("t1", b);
        } finally {
            crashed.close();
        }
    }

    /**
     * A write outside the store between the record's last field and A's save: record last = 1, the outside write takes
     * the field to 10, A's blind save writes 11 (delivered, version not known beforehand) and crashes with its end
     * unsent; an older copy (field 10) is put back; B takes over and must not make A's version again.
     */
    @Test
    void aTakeOverAfterAnOutsideWriteThenAnOlderCopyPutBack() {
        DualWriter<Order> crashed = f.writer("A", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(crashed, "t2", "FIRST").version();
            crashed.operations().flushAcknowledgements();
            // code outside the store writes the document (the store keeps versions growing across it)
            raw().updateOne(Filters.eq("_id", "t2"), Updates.combine(Updates.set("status", "OUTSIDE"),
                    Updates.set("version", 10L)));
            BsonDocument outside = raw().find(Filters.eq("_id", "t2")).first();
            long delivered = f.save(crashed, "t2", "SECOND").version();
            assertTrue(delivered > v1);
            assertEquals("SECOND", f.search.get("t2").orElseThrow().getStatus(), "the sink has A's save");
            // A crashes here; the copy from before A's save is put back
            raw().replaceOne(Filters.eq("_id", "t2"), outside);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult third = null;
            try {
                third = f.save(b, "t2", "THIRD");
            } catch (PrimaryWriteException e) {
                // the store may see the put-back and leave the delivery to recovery
            }
            b.operations().flushAcknowledgements();
            long reused = third == null ? -1 : third.version();
            assertTrue(reused != delivered, "B's save reused the version " + delivered
                    + " the sink already holds for A's save (\"SECOND\"): " + third + "; the sink now has "
                    + f.search.get("t2").orElseThrow().getStatus());
            f.assertConverged("t2", b);
        } finally {
            crashed.close();
        }
    }

    /**
     * A's second save takes the first save's deferred end into its hand-over; the writer closes; the hand-over is
     * refused (nothing written). The end, put back, must still be sent: the entity must not stay held by a closed
     * writer until the write lease runs out.
     */
    @Test
    void aHandOverRefusedWhileItsWriterClosesStillEndsTheEarlierTurn() {
        DualWriter<Order> a = f.writer("A", store(true, Duration.ofSeconds(5), false), Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(a, "k1", "NEW").version();
            f.script.first("bulkWrite", () -> {
                a.close();
                throw new MongoSocketOpenException("scripted: the primary is unreachable", new ServerAddress());
            });
            assertThrows(PrimaryWriteException.class, () -> f.save(a, "k1", "PAID"));
            assertTrue(f.script.done());
            assertNull(f.record("k1").get("turnOwner"), "A's writer is closed, its save failed as nothing written, yet"
                    + " the entity is still held by A's first save until its lease runs out: " + f.record("k1"));
            WriteResult next = f.save(b, "k1", "B");
            assertEquals(v1 + 1, next.version());
            b.operations().flushAcknowledgements();
            f.assertConverged("k1", b);
        } finally {
            a.close();
        }
    }

    /** The same through a read: the read takes the deferred end, the writer closes, the read's send is refused. */
    @Test
    void aReadsSendRefusedWhileItsWriterClosesStillEndsTheTurn() {
        DualWriter<Order> a = f.writer("A", store(true, Duration.ofSeconds(5), false), Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(a, "k2", "NEW").version();
            f.script.first("bulkWrite", () -> {
                a.close();
                throw new MongoSocketOpenException("scripted: the primary is unreachable", new ServerAddress());
            });
            assertEquals(v1, a.operations().snapshot("k2").orElseThrow().version());
            assertTrue(f.script.done());
            assertNull(f.record("k2").get("turnOwner"), "A's writer is closed, yet the entity is still held by A's save"
                    + " until its lease runs out: " + f.record("k2"));
            WriteResult next = f.save(b, "k2", "B");
            assertEquals(v1 + 1, next.version());
            b.operations().flushAcknowledgements();
            f.assertConverged("k2", b);
        } finally {
            a.close();
        }
    }

    /**
     * D's delete records its tombstone and its caller's delete outruns the write lease; B takes the run-out turn,
     * saves (delivered) and crashes with its end deferred; D's delete lands and takes B's run-out turn. The delete
     * must go above B's save, or the sink keeps B's save of an entity the primary deleted.
     */
    @Test
    void aDeleteWhoseTurnRanOutThenATakeOverWhoseEndNeverCameGoesAboveIt() {
        DualWriter<Order> d = f.writer("D", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
        DualWriter<Order> crashed = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1));
        try {
            long v1 = f.save(d, "dl", "NEW").version();
            d.operations().flushAcknowledgements();
            WriteResult[] bSaved = new WriteResult[1];
            WriteResult deleted = d.deleteWith("dl", () -> {
                // the caller's delete is slow: D's lease runs out, B takes the turn over and saves
                f.clock.advance(LEASE.plusSeconds(1));
                bSaved[0] = f.save(crashed, "dl", "B");
                assertEquals("B", f.search.get("dl").orElseThrow().getStatus(), "the sink got B's save");
                // B crashes here with its end deferred; its lease runs out too
                f.clock.advance(LEASE.plusSeconds(1));
                f.orders.deleteOne(Filters.eq("_id", "dl"));
            });
            assertEquals(v1 + 1, bSaved[0].version(), "B's save came after D's first save: " + bSaved[0]);
            assertTrue(deleted.version() > bSaved[0].version(), "the delete landed after B's save, so its version"
                    + " must be above B's " + bSaved[0].version() + ", yet it is " + deleted + "; the sink "
                    + (f.search.isDeleted("dl") ? "deleted it" : "still has " + f.search.get("dl")));
            f.clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            for (int i = 0; i < 3; i++) {
                d.operations().recoverDue();
                d.operations().flushAcknowledgements();
            }
            assertTrue(f.search.isDeleted("dl"), "the primary deleted it; the sink has " + f.search.get("dl"));
        } finally {
            crashed.close();
            d.close();
        }
    }

    /**
     * A's caller write fails without a reply and never landed: A keeps the turn until its lease. B takes the run-out
     * turn: versions only grow, B's version is above A's last, and everything converges.
     */
    @Test
    void aTakeOverOfATurnHeldForACallerWriteThatNeverLanded() {
        takeOverOfAnUnknownOutcome(false);
    }

    /** The same where A's caller write did land before its reply was lost: B comes after it. */
    @Test
    void aTakeOverOfATurnHeldForACallerWriteThatLanded() {
        takeOverOfAnUnknownOutcome(true);
    }

    private void takeOverOfAnUnknownOutcome(boolean landed) {
        String id = landed ? "ul" : "un";
        try (DualWriter<Order> a = f.writer("A", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
             DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(a, id, "NEW").version();
            long v2 = f.save(a, id, "PAID").version();
            a.operations().flushAcknowledgements();
            assertThrows(RuntimeException.class, () -> a.saveWith(id, () -> {
                if (landed) {
                    f.orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "LOST-REPLY"),
                            Updates.inc("version", 1L)));
                }
                throw new com.mongodb.MongoSocketReadException("scripted: the caller's reply was lost",
                        new ServerAddress());
            }));
            assertTrue(f.record(id).get("turnOwner") != null, "A keeps the turn until its lease");
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult third = f.save(b, id, "B");
            assertTrue(third.version() > v2 + (landed ? 1 : 0), "versions only grow: " + v2 + " then " + third);
            assertEquals("B", f.search.get(id).orElseThrow().getStatus());
            b.operations().flushAcknowledgements();
            WriteResult fourth = f.save(a, id, "A-AGAIN");
            assertTrue(fourth.version() > third.version(), third + " then " + fourth);
            a.operations().flushAcknowledgements();
            f.assertConverged(id, a, b);
            assertTrue(v1 < v2);
        }
    }

    /**
     * A's second save reaches the sink and A crashes with its end deferred; an older copy is put back; once A's lease
     * ran out B deletes. The delete must go above the version the sink holds for A's save.
     */
    @Test
    void aDeleteTakingOverACrashedDeferredSaveAfterAnOlderCopyPutBack() {
        deleteAfterAnOlderCopyPutBack(true);
    }

    /** The same without a crash (A's end sent): a delete after an older copy was put back goes above the sink's version. */
    @Test
    void aDeleteAfterAnOlderCopyPutBackWithTheEndSent() {
        deleteAfterAnOlderCopyPutBack(false);
    }

    private void deleteAfterAnOlderCopyPutBack(boolean crash) {
        String id = crash ? "dc" : "ds";
        DualWriter<Order> a = f.writer("A", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
        try (DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(a, id, "FIRST").version();
            a.operations().flushAcknowledgements();
            BsonDocument before = raw().find(Filters.eq("_id", id)).first();
            long v2 = f.save(a, id, "SECOND").version();
            assertEquals(v1 + 1, v2);
            assertEquals("SECOND", f.search.get(id).orElseThrow().getStatus());
            if (!crash) {
                a.operations().flushAcknowledgements();
            }
            raw().replaceOne(Filters.eq("_id", id), before);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult deleted = b.deleteWith(id, () -> f.orders.deleteOne(Filters.eq("_id", id)));
            b.operations().flushAcknowledgements();
            assertTrue(deleted.version() > v2, "the delete comes after A's save at " + v2 + ", yet it is " + deleted
                    + "; the sink " + (f.search.isDeleted(id) ? "deleted it" : "still has " + f.search.get(id)));
            f.clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            for (int i = 0; i < 3; i++) {
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
            }
            assertTrue(f.search.isDeleted(id), "the primary deleted it; the sink has " + f.search.get(id));
        } finally {
            a.close();
        }
    }

    /**
     * Two run-out turns in a row: A's save reaches the sink and A crashes with its end deferred; B takes over, saves
     * (delivered) and crashes too. The copy from before B's save is put back; C takes B's run-out turn and must not
     * make B's version again.
     */
    @Test
    void twoRunOutTurnsInARowThenAnOlderCopyPutBack() {
        DualWriter<Order> a = f.writer("A", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
        DualWriter<Order> b = f.writer("B", store(false, Duration.ofMillis(200), false), Duration.ofHours(1));
        try (DualWriter<Order> c = f.writer("C", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(a, "tt", "FIRST").version();
            a.operations().flushAcknowledgements();
            long v2 = f.save(a, "tt", "SECOND").version();
            assertEquals(v1 + 1, v2);
            // A crashes; B takes its run-out turn over
            f.clock.advance(LEASE.plusSeconds(1));
            BsonDocument beforeB = raw().find(Filters.eq("_id", "tt")).first();
            long v3 = f.save(b, "tt", "THIRD").version();
            assertEquals(v2 + 1, v3, "B comes after A's save");
            assertEquals("THIRD", f.search.get("tt").orElseThrow().getStatus());
            // B crashes too; the copy from before B's save is put back; C takes B's run-out turn over
            raw().replaceOne(Filters.eq("_id", "tt"), beforeB);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult fourth = null;
            try {
                fourth = f.save(c, "tt", "FOURTH");
            } catch (PrimaryWriteException e) {
                // the store may see the put-back and leave the delivery to recovery
            }
            c.operations().flushAcknowledgements();
            long reused = fourth == null ? -1 : fourth.version();
            assertTrue(reused != v3, "C's save reused the version " + v3 + " the sink already holds for B's save"
                    + " (\"THIRD\"): " + fourth + "; the sink now has " + f.search.get("tt").orElseThrow().getStatus());
            f.assertConverged("tt", c);
        } finally {
            a.close();
            b.close();
        }
    }

    /**
     * A recovery pass (claimDue) takes the deferred end to send it first while the acknowledgement batch goes out just
     * before: the acknowledgement still finds the intent's version known.
     */
    @Test
    void aRecoveryPassTakingTheDeferredEndWhileTheAcknowledgementBatchGoesOut() {
        try (DualWriter<Order> a = f.writer("A", store(true, Duration.ofSeconds(5), false), Duration.ofHours(1))) {
            WriteResult saved = f.save(a, "ra", "NEW");
            assertTrue(saved.fullyApplied(), "delivered: " + saved);
            f.script.first("bulkWrite", () -> a.operations().flushAcknowledgements());
            a.operations().recoverDue();
            assertTrue(f.script.done());
            assertNull(f.record("ra").get("turnOwner"), "recovery sent the deferred end");
            a.operations().flushAcknowledgements();
            assertEquals(0, f.intents.countDocuments(Filters.eq("entityId", "ra")),
                    "delivered, acknowledged and flushed: " + f.intents.find(Filters.eq("entityId", "ra")).first());
        }
    }
}
