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
 * Second round of attacks on the deferred end of a write-ahead save's turn, after the fixes of a134173: the
 * take-over of a run-out turn (the "record's last field plus one" bound), in-flight deferred commands, and the close
 * race.
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
     * The take-over bound "the record's last field plus one" assumes the record has a last field that the expired
     * holder's save started from. A document that exists before the store's first save of it (created by a
     * migration, or before the application used the store) has a record without one: A's first save reads the
     * document (version field 10), writes 11, delivers 1 + 11 = 12 and crashes with its end unsent. An older copy is
     * put back (field 10, as in DeferredTurnEndAttackTest's fixed case); once A's lease ran out B saves. The bound is
     * base + 0 + 1 = 2, the document reads 11, B writes 11: version 12 again, for a different state. The sink ignores
     * it (it holds 12) and differs from the primary for good.
     */
    @Test
    void aTakeOverOfADocumentsFirstSaveThroughTheStoreThenAnOlderCopyPutBack() {
        takeOverOfAFirstSave(false);
    }

    /** The same with the end on the caller's path (the crash comes before the closing command). */
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
            WriteResult first = f.save(crashed, "t1", "SECOND");
            assertTrue(f.script.done());
            long delivered = first.version();
            assertEquals("SECOND", f.search.get("t1").orElseThrow().getStatus(), "the sink has A's save");
            assertEquals(delivered, f.search.versionOf("t1").orElseThrow());
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
     * The take-over bound also fails with a write outside the store between the record's last field and the expired
     * holder's save (which the store promises to keep versions growing across): record last = 1, an outside write
     * takes the field to 10, A's blind save writes 11 (delivers base + 11, version not known), crashes with its end
     * unsent; an older copy (field 10) is put back; B takes over: bound base + 2, document base + 10, B writes 11.
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
     * Close race, failure variant: A's second save of an entity takes the first save's deferred end into its
     * hand-over (in flight: the close's flush skips it); the writer closes; the hand-over is refused (nothing
     * written, the caller may retry). The end is put back into a closed writer's map, where nothing sends it any
     * more (no flush, and afterCommit runs only after a commit that succeeded): the entity stays held by the closed
     * writer until the write lease runs out, and every other instance's write of it fails meanwhile. Same symptom as
     * the close race a134173 fixed, through a save that fails instead of one that finishes.
     */
    @Test
    void aHandOverRefusedWhileItsWriterClosesLeavesTheEntityHeld() {
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
    void aReadsSendRefusedWhileItsWriterClosesLeavesTheEntityHeld() {
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
     * deleteAfterLostTurn takes the turn its own way and trusts the record's last field, which a134173's fix stopped
     * trusting after a take-over. D's delete records its tombstone (base + 2, the record forgets its last field) and
     * its caller's delete outruns the write lease; B takes the run-out turn and saves (reads field 1, writes 2:
     * version base + 2, the sink gets it) and crashes with its end deferred, so the record never learns field 2.
     * D's delete lands, its turn is gone, and deleteAfterLostTurn takes B's run-out turn: the record has no last
     * field, so it sees no save since and keeps base + 2 for the delete. The sink holds B's save at base + 2 and
     * ignores a delete at the same version: the entity lives on in the sink, deleted in the primary, for good.
     */
    @Test
    void aDeleteWhoseTurnRanOutThenATakeOverWhoseEndNeverCameKeepsItsVersion() {
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
                // B crashes here with its end deferred; its lease runs out too
                f.clock.advance(LEASE.plusSeconds(1));
                f.orders.deleteOne(Filters.eq("_id", "dl"));
            });
            assertEquals(v1 + 1, bSaved[0].version(), "B's save came after D's first save: " + bSaved[0]);
            assertEquals("B", f.search.get("dl").orElseThrow().getStatus(), "the sink got B's save");
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
     * The recovery side of a134173's third fix: A saves twice (the first end sent, record last = 1), the second save
     * (field 2, base + 2) reaches the sink and A crashes with its end deferred; an older copy (field 1) is put back.
     * No save through the store follows: recovery settles A's second intent. settleUnknownVersions only moves the base
     * when the document is below the record's last field (bringInLine), which A's crash left at 1: it settles the
     * intent at base + 1 and delivers the put-back state there, below the base + 2 the sink holds, so the sink keeps
     * A's "SECOND" while the primary holds "FIRST". (The docs: recovery settling such an intent "finds the document
     * below what the store gave it ... and moves the base itself"; here the store gave base + 2.)
     */
    @Test
    void recoveryAloneAfterACrashWithTheEndDeferredThenAnOlderCopyPutBack() {
        DualWriter<Order> crashed = f.writer("A", store(false, Duration.ofSeconds(5), false), Duration.ofHours(1));
        try (DualWriter<Order> r = f.writer("R", store(false, Duration.ofMillis(200), false), Duration.ofHours(1))) {
            long v1 = f.save(crashed, "rc", "FIRST").version();
            crashed.operations().flushAcknowledgements();
            BsonDocument before = raw().find(Filters.eq("_id", "rc")).first();
            long v2 = f.save(crashed, "rc", "SECOND").version();
            assertEquals(v1 + 1, v2);
            assertEquals("SECOND", f.search.get("rc").orElseThrow().getStatus());
            // A crashes here; the copy from before its second save is put back; only recovery runs
            raw().replaceOne(Filters.eq("_id", "rc"), before);
            f.clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            for (int i = 0; i < 3; i++) {
                r.operations().recoverDue();
                r.operations().flushAcknowledgements();
            }
            var primary = r.operations().snapshot("rc").orElseThrow();
            assertEquals(primary.state().orElseThrow().getStatus(), f.search.get("rc").orElseThrow().getStatus(),
                    "the sink ends with what the primary holds (primary " + primary.version() + ", sink "
                            + f.search.versionOf("rc") + ")");
        } finally {
            crashed.close();
        }
    }

    /**
     * A's caller write fails without a reply and never landed: A keeps the turn until its lease (mayLandLater). B takes
     * the run-out turn: the take-over bound (record last + 1) is above what the document holds, so B's write moves
     * the base. Versions only grow, B's version is above A's last, and everything converges. Expected to pass.
     */
    @Test
    void aTakeOverOfATurnHeldForACallerWriteThatNeverLanded() {
        takeOverOfAnUnknownOutcome(false);
    }

    /** The same where A's caller write did land before its reply was lost: B comes after it. Expected to pass. */
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
     * The take-over bound (record last + 1) is used only by saves: a delete's version is the document's plus one.
     * A saves twice (record last = field 1), the second save (field 2, base + 2) reaches the sink and A crashes with
     * its end deferred; an older copy (field 1) is put back, as in the case a134173 fixed; once A's lease ran out, B
     * deletes. B took the turn over, reads field 1 and gives its delete base + 2: the version the sink holds for
     * A's save. The sink ignores the delete (not newer), and recovery's redelivery of it too: the entity lives on in
     * the sink.
     */
    @Test
    void aDeleteTakingOverACrashedDeferredSaveAfterAnOlderCopyPutBack() {
        deleteAfterAnOlderCopyPutBack(true);
    }

    /**
     * The same without a crash (A's end sent, record last = 2): the delete reads field 1 and takes base + 2, which
     * the sink holds for A's second save. Not special to the deferred end (a save moves its base for a put-back
     * copy, a delete does not), shown for comparison.
     */
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
     * Two run-out turns in a row, each one write: A saves (record last = 1 after its first end), its second save
     * (field 2, base + 2) reaches the sink, A crashes with its end deferred; B takes the turn over, reads field 2,
     * saves field 3 (base + 3, the sink gets it) and crashes with its end deferred too. The record still says last
     * = 1. The copy from before B's save (field 2) is put back; C takes B's run-out turn: its bound is last + 1 =
     * base + 2, the document reads base + 2, C writes field 3: base + 3 again, which the sink holds for B's save.
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
     * The acknowledgement race of a134173's first fix with recovery as the carrier: recoverDue (claimDue) takes the
     * deferred end to send it first; the acknowledgement batch goes out just before. Expected to pass.
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
