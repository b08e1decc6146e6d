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
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.Snapshot;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads through the write-ahead store have the entity's record learn what they find before they return it. These
 * are the interleavings around that: reads racing writes, lost replies, turns running out, older copies put back
 * and documents created again outside the store. Each ends with the sinks holding what the primary holds.
 */
class WriteAheadReadRecordsTest extends ScriptedWriteAheadFixture {
    private static final Duration SHORT_WAIT = Duration.ofMillis(50);
    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, SHORT_WAIT);
    }

    private MongoWriteAheadStore<Order> store() {
        return MongoWriteAheadStore.builder(db, orders).versionField("version").intentCollection(intents)
                .writeLease(Duration.ofMinutes(1), SHORT_WAIT).clock(clock).build();
    }

    // ------------------------------------------------------------------ a read while a write holds the entity

    /** A caller's delete fails with a lost reply and never landed: the record lost 'last'; a read must still answer. */
    @Test
    void aReadWhileADeleteWithALostReplyThatDidNotLandHoldsTheTurnAnswers() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "b2", "FIRST");
            long second = save(a, "b2", "SECOND").version();
            assertThrows(RuntimeException.class, () -> a.deleteWith("b2", () -> {
                throw lostReply();
            }));
            Optional<Snapshot<Order>> s = assertDoesNotThrow(() -> a.operations().snapshot("b2"),
                    "a read of an entity whose caller's delete has an unknown outcome (it did not land)");
            assertEquals(second, s.orElseThrow().version());
            assertConverged("b2", a);
        }
    }

    /** The docs say a read that finds a write holding the entity fails TRANSIENT: the store's classifier must agree. */
    @Test
    void aBusyReadIsClassifiedTransient() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "b5", "FIRST");
            assertThrows(RuntimeException.class, () -> a.saveWith("b5", () -> {
                orders.updateOne(Filters.eq("_id", "b5"), Updates.combine(Updates.set("status", "SECOND"),
                        Updates.inc("version", 1L)));
                throw lostReply();
            }));
            RuntimeException busy = assertThrows(RuntimeException.class, () -> a.operations().snapshot("b5"));
            assertEquals(ErrorKind.TRANSIENT, MongoErrorClassifier.INSTANCE.classify(busy), "classified: " + busy);
        }
    }

    /**
     * A read takes the turn to have the record learn a failed-finish save's version field, then pauses past the write
     * lease; meanwhile an older copy is put back and B saves, making that same version for another state. The read must
     * not return (to a repair, to recovery) the version B's save made, with the failed save's state.
     */
    @Test
    void aReadWhoseTurnRunsOutBeforeTheRecordLearnsMustNotReturnWhatItFound() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "x1", "FIRST");
            save(a, "x1", "BETWEEN");
            // the copy put back is the one the record remembers: B's save then makes the failed save's version field
            BsonDocument older = raw.find(Filters.eq("_id", "x1")).first();
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "x1", "SECOND"));
            WriteResult[] third = new WriteResult[1];
            script.first("findOneAndUpdate", () -> { }).first("updateOne", () -> {
                clock.advance(Duration.ofMinutes(2));
                raw.replaceOne(Filters.eq("_id", "x1"), older);
                third[0] = save(b, "x1", "THIRD");
            });
            Optional<Snapshot<Order>> read;
            try {
                read = a.operations().snapshot("x1");
            } catch (RuntimeException e) {
                assertTrue(third[0] != null, "B's save in between failed: " + e);
                read = Optional.empty(); // refusing is fine
            }
            assertTrue(script.done());
            if (read.isPresent()) {
                Snapshot<Order> r = read.get();
                assertTrue(r.version() != third[0].version()
                                || r.state().orElseThrow().getStatus().equals("THIRD"),
                        "the read returned " + r.state().orElseThrow().getStatus() + " at " + r.version()
                                + ", the version B's save made for THIRD: " + third[0]);
            }
            assertConverged("x1", a, b);
        }
    }

    /** B's writer: the same sink, failing (TRANSIENT) while {@code failing} is set. */
    private DualWriter<Order> failingWriter(String name, AtomicBoolean failing) {
        io.dualwrite.spi.Sink<Order> sink = change -> {
            if (failing.get()) {
                throw new io.dualwrite.spi.SinkException("told to fail", ErrorKind.TRANSIENT, null);
            }
            return search.apply(change);
        };
        return writer(name, store(), sink);
    }

    /**
     * As above, with B's delivery failing: a repair on A then delivers the failed save's state at the version B's
     * save made, which acknowledges B's intent: the sink keeps SECOND while the primary holds THIRD at that version.
     */
    @Test
    void aRepairWhoseTurnRunsOutBeforeTheRecordLearnsDeliversAnotherStateAtASavesVersion() {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = failingWriter("B", failing)) {
            save(a, "x2", "FIRST");
            save(a, "x2", "BETWEEN");
            BsonDocument older = raw.find(Filters.eq("_id", "x2")).first();
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "x2", "SECOND"));
            script.first("findOneAndUpdate", () -> { }).first("updateOne", () -> {
                clock.advance(Duration.ofMinutes(2));
                raw.replaceOne(Filters.eq("_id", "x2"), older);
                failing.set(true);
                save(b, "x2", "THIRD");
                failing.set(false);
            });
            try {
                a.operations().redeliver("search", List.of("x2"));
            } catch (RuntimeException e) {
                // refusing is fine
            }
            assertTrue(script.done());
            assertConverged("x2", a, b);
            assertEquals("THIRD", search.get("x2").orElseThrow().getStatus());
        }
    }

    // ------------------------------------------------------------------ a read racing a save

    /** A read on another instance between a save's caller write and its finish: the read waits, then the save ends. */
    @Test
    void aRepairBetweenASavesCallerWriteAndItsFinish() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "r1", "FIRST");
            a.operations().flushAcknowledgements();
            // the short turn's bulkWrite, then the finish: just before it, B repairs the entity
            script.first("bulkWrite", () -> { }).first("bulkWrite", () -> {
                try {
                    b.operations().redeliver("search", List.of("r1"));
                } catch (RuntimeException e) {
                    // busy: fine
                }
            });
            WriteResult second = save(a, "r1", "SECOND");
            assertTrue(script.done());
            assertEquals("SECOND", search.get("r1").orElseThrow().getStatus());
            assertEquals(second.version(), search.versionOf("r1").orElseThrow());
            assertConverged("r1", a, b);
        }
    }

    // ------------------------------------------------------------------ lost replies of the read's own commands

    @Test
    void aReadWhoseTurnTakeReplyIsLostThenAPutBackAndASave() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "l1", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "l1")).first();
            save(a, "l1", "BETWEEN");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "l1", "SECOND"));
            script.landThenLoseReply("findOneAndUpdate", () -> { });
            assertThrows(RuntimeException.class, () -> a.operations().snapshot("l1"));
            assertTrue(script.done());
            b(a, "l1", older);
        }
    }

    @Test
    void aReadWhoseLearnReplyIsLostThenAPutBackAndASave() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "l2", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "l2")).first();
            save(a, "l2", "BETWEEN");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "l2", "SECOND"));
            script.first("findOneAndUpdate", () -> { }).landThenLoseReply("updateOne", () -> { });
            assertThrows(RuntimeException.class, () -> a.operations().redeliver("search", List.of("l2")));
            assertTrue(script.done());
            b(a, "l2", older);
        }
    }

    /** Whatever was delivered, an older copy put back then a save goes above it, and the sinks converge. */
    private void b(DualWriter<Order> a, String id, BsonDocument older) {
        a.operations().redeliver("search", List.of(id));
        long delivered = search.versionOf(id).orElseThrow();
        raw.replaceOne(Filters.eq("_id", id), older);
        WriteResult third = save(a, id, "THIRD");
        assertTrue(third.version() > delivered, "above the delivered " + delivered + ": " + third);
        assertConverged(id, a);
        assertEquals("THIRD", search.get(id).orElseThrow().getStatus());
    }

    // ------------------------------------------------------------------ recovery and a repair racing

    @Test
    void recoveryAndARepairRaceThenAPutBackAndASave() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "c1", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "c1")).first();
            save(a, "c1", "BETWEEN");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "c1", "SECOND"));
            clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            // A's recovery: its lease, then its read's turn; just before the turn, B repairs and a copy is put back
            script.first("findOneAndUpdate", () -> { }).first("findOneAndUpdate", () -> {
                b.operations().redeliver("search", List.of("c1"));
                raw.replaceOne(Filters.eq("_id", "c1"), older);
            });
            a.operations().recoverDue();
            a.operations().flushAcknowledgements();
            long delivered = search.versionOf("c1").orElseThrow();
            WriteResult third = save(b, "c1", "THIRD");
            assertTrue(third.version() > delivered, "above the delivered " + delivered + ": " + third);
            assertConverged("c1", a, b);
            assertEquals("THIRD", search.get("c1").orElseThrow().getStatus());
        }
    }

    // ------------------------------------------------------------------ failed finish, put-back, another instance

    @Test
    void aFailedFinishThenAPutBackThenASaveOnAnotherInstanceBeforeAnyRead() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "p1", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "p1")).first();
            long first = search.versionOf("p1").orElseThrow();
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "p1", "SECOND"));
            raw.replaceOne(Filters.eq("_id", "p1"), older);
            WriteResult third = save(b, "p1", "THIRD");
            assertTrue(third.version() > first, "versions grow: " + first + " then " + third);
            assertConverged("p1", a, b);
            assertEquals("THIRD", search.get("p1").orElseThrow().getStatus());
        }
    }

    // ------------------------------------------------------------------ deletes

    @Test
    void aDeleteWhoseFinishFailsThenACreationOutsideThenADeleteAgain() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "d1", "FIRST");
            long second = save(a, "d1", "SECOND").version();
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> delete(a, "d1"));
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind());
            Order outside = new Order("d1", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            WriteResult deleted = delete(a, "d1");
            assertTrue(deleted.version() > second, "above " + second + ": " + deleted);
            assertTrue(search.isDeleted("d1"));
            Order again = new Order("d1", "OUTSIDE2");
            again.setVersion(0L);
            orders.insertOne(again);
            WriteResult saved = save(a, "d1", "AGAIN");
            assertTrue(saved.version() > deleted.version(), "above " + deleted + ": " + saved);
            assertConverged("d1", a);
            assertEquals("AGAIN", search.get("d1").orElseThrow().getStatus());
        }
    }

    /** A delete whose finish fails, recovery delivers the tombstone, re-created outside, read by a repair, deleted again. */
    @Test
    void aDeleteWhoseFinishFailsRecoveredThenRecreatedOutsideRepairedAndDeletedAgain() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "d2", "FIRST");
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> delete(a, "d2"));
            recover(a, b);
            long tomb = search.versionOf("d2").orElseThrow();
            Order outside = new Order("d2", "OUTSIDE");
            outside.setVersion(5L);
            orders.insertOne(outside);
            b.operations().redeliver("search", List.of("d2"));
            WriteResult deleted = delete(b, "d2");
            assertTrue(deleted.version() > tomb, "above " + tomb + ": " + deleted);
            assertConverged("d2", a, b);
        }
    }

    /** A delete the application fails keeps its tombstone: a save through the store afterwards takes that very version. */
    @Test
    void aFailedDeleteThenASaveNeverSharesItsVersionWithTheTombstone() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "d3", "FIRST");
            assertThrows(IllegalStateException.class, () -> a.deleteWith("d3", () -> {
                throw new IllegalStateException("the application's delete fails");
            }));
            WriteResult next = save(a, "d3", "NEXT");
            BsonDocument rec = record("d3");
            assertConverged("d3", a);
            if (rec.isNumber("tomb")) {
                assertTrue(next.version() > rec.getNumber("tomb").longValue(),
                        "the save's version " + next.version() + " is not the kept tombstone's: " + rec);
            }
        }
    }

    /** A delete whose finish fails, the document created again outside, then only recovery: sinks end at the primary. */
    @Test
    void aDeleteWhoseFinishFailsThenACreationOutsideThenOnlyRecovery() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "d4", "FIRST");
            save(a, "d4", "SECOND");
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> delete(a, "d4"));
            Order outside = new Order("d4", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            assertConverged("d4", a);
        }
    }

    /** The same with the outside creation after recovery delivered the tombstone, then only recovery and a repair. */
    @Test
    void aDeleteWhoseFinishFailsRecoveredThenACreationOutsideThenARepair() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "d5", "FIRST");
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> delete(a, "d5"));
            recover(a);
            assertTrue(search.isDeleted("d5"));
            Order outside = new Order("d5", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            a.operations().redeliver("search", List.of("d5"));
            assertConverged("d5", a);
        }
    }

    // ------------------------------------------------------------------ a turn running out mid-save

    /**
     * A's caller write lands, its turn's lease runs out, an older copy is put back and B saves (taking the turn) before
     * A's finish: A's finish finds the turn gone and reports an unknown outcome; B's version must not be A's state.
     */
    @Test
    void aTurnRunningOutMidSaveThenAPutBackAndASaveOnAnotherInstance() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "t1", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "t1")).first();
            a.operations().flushAcknowledgements();
            long[] bVersion = new long[1];
            script.first("bulkWrite", () -> { }).first("bulkWrite", () -> {
                clock.advance(Duration.ofMinutes(2));
                raw.replaceOne(Filters.eq("_id", "t1"), older);
                bVersion[0] = save(b, "t1", "BY-B").version();
            });
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> save(a, "t1", "SECOND"));
            assertTrue(script.done());
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind());
            assertEquals("BY-B", search.get("t1").orElseThrow().getStatus());
            assertConverged("t1", a, b);
            WriteResult third = save(a, "t1", "THIRD");
            assertTrue(third.version() > bVersion[0]);
            assertConverged("t1", a, b);
            assertEquals("THIRD", search.get("t1").orElseThrow().getStatus());
            assertEquals(third.version(), search.versionOf("t1").orElseThrow());
        }
    }

    @Test
    void aTurnRunningOutMidSaveWhileAnotherInstanceSavesAndAReadRuns() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "t2", "FIRST");
            a.operations().flushAcknowledgements();
            long[] bVersion = new long[1];
            script.first("bulkWrite", () -> { }).first("bulkWrite", () -> {
                clock.advance(Duration.ofMinutes(2));
                bVersion[0] = save(b, "t2", "BY-B").version();
                b.operations().redeliver("search", List.of("t2"));
            });
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> save(a, "t2", "SECOND"));
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind());
            assertEquals("BY-B", search.get("t2").orElseThrow().getStatus());
            assertConverged("t2", a, b);
            WriteResult next = save(a, "t2", "NEXT");
            assertTrue(next.version() > bVersion[0]);
            assertConverged("t2", a, b);
        }
    }

    /** A save with an unknown outcome whose write lands after its turn's lease, after recovery settled it. */
    @Test
    void aLateLandingSaveAfterRecoveryThenAPutBackAndASave() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "t3", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "t3")).first();
            save(a, "t3", "BETWEEN");
            assertThrows(RuntimeException.class, () -> a.saveWith("t3", () -> {
                throw lostReply();
            }));
            recover(a, b);
            // the lost write lands late, outside any turn
            orders.updateOne(Filters.eq("_id", "t3"), Updates.combine(Updates.set("status", "LATE"),
                    Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
            b.operations().redeliver("search", List.of("t3"));
            long delivered = search.versionOf("t3").orElseThrow();
            raw.replaceOne(Filters.eq("_id", "t3"), older);
            WriteResult next = save(a, "t3", "NEXT");
            assertTrue(next.version() > delivered, "above " + delivered + ": " + next);
            assertConverged("t3", a, b);
        }
    }

    /** A writer on its own store whose sink (the shared one) fails TRANSIENT while {@code failing} is set. */
    // ------------------------------------------------------------------ a delete whose turn runs out

    /**
     * A's delete records its tombstone t, then pauses past its write lease; B's save takes the turn, reads the
     * document still there and makes version t (the tombstone's, allowed: no gone), its finish clears the tombstone,
     * and B's acknowledgement of t removes A's delete intent (v = t). A's caller's delete then lands; A's finish
     * finds its turn over, and deleteAfterLostTurn moves the delete to t+1 ; its intent, gone with B's acknowledgement,
     * is recorded again, so that recovery delivers the delete although A's own delivery fails.
     */
    @Test
    void aDeleteWhoseTurnRunsOutLosesItsIntentToTheAcknowledgementOfASaveAtItsTombstone() {
        AtomicBoolean failing = new AtomicBoolean();
        try (DualWriter<Order> a = failingWriter("A", failing); DualWriter<Order> b = writer("B", false)) {
            save(a, "d1", "FIRST");
            a.operations().flushAcknowledgements();
            long[] bVersion = new long[1];
            failing.set(true);
            WriteResult deleted = a.deleteWith("d1", () -> {
                clock.advance(Duration.ofMinutes(2));
                bVersion[0] = save(b, "d1", "SECOND").version();
                b.operations().flushAcknowledgements();
                orders.deleteOne(Filters.eq("_id", "d1"));
            });
            failing.set(false);
            assertTrue(deleted.version() > bVersion[0], "the delete goes above B's save: " + deleted + " vs "
                    + bVersion[0]);
            long left = intents.countDocuments(Filters.eq("entityId", "d1"));
            assertConverged("d1", a, b);
            assertTrue(left > 0, "A's delete (" + deleted + ") is written and undelivered, yet no intent of it is left");
        }
    }

    /**
     * The same loss with no write overrunning its lease on its own clock: B's clock is five seconds ahead of A's, and
     * A's caller's delete takes 56 seconds (within A's one-minute write lease). B sees A's turn over, saves at A's
     * tombstone version and acknowledges it, which removes A's delete intent.
     */
    @Test
    void aDeleteWithinItsLeaseLosesItsIntentToASaveOnAnInstanceWhoseClockIsFiveSecondsAhead() {
        AtomicBoolean failing = new AtomicBoolean();
        java.time.Clock ahead = java.time.Clock.offset(clock, Duration.ofSeconds(5));
        MongoWriteAheadStore<Order> bStore = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(intents).writeLease(Duration.ofMinutes(1), SHORT_WAIT).clock(ahead).build();
        try (DualWriter<Order> a = failingWriter("A", failing);
             DualWriter<Order> b = DualWriter.<Order>builder().entityType("order").clock(ahead).workerId("B")
                     .primary(bStore).deadLetterStore(new io.dualwrite.memory.InMemoryDeadLetterStore())
                     .gracePeriod(Fixture.GRACE)
                     .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                     .sink("search", search, Fixture.ONE_ATTEMPT).build()) {
            save(a, "d2", "FIRST");
            a.operations().flushAcknowledgements();
            failing.set(true);
            WriteResult deleted = a.deleteWith("d2", () -> {
                clock.advance(Duration.ofSeconds(56));
                save(b, "d2", "SECOND");
                b.operations().flushAcknowledgements();
                orders.deleteOne(Filters.eq("_id", "d2"));
            });
            failing.set(false);
            assertTrue(deleted.version() > 0);
            assertConverged("d2", a, b);
        }
    }

    /**
     * The same root cause with no other write: A's caller's delete is held past the settle time; recovery finds the
     * document still there below the delete's version and drops the delete intent as failed; then the caller's delete
     * lands. deleteAfterLostTurn marks the tombstone gone and returns the delete's version, but its intent is gone, and
     * A's own delivery fails: nothing delivers the delete.
     */
    @Test
    void aDeleteHeldPastTheSettleTimeHasItsIntentDroppedAsFailedThenLands() {
        AtomicBoolean failing = new AtomicBoolean();
        try (DualWriter<Order> a = failingWriter("A", failing); DualWriter<Order> b = writer("B", false)) {
            save(a, "d3", "FIRST");
            a.operations().flushAcknowledgements();
            failing.set(true);
            WriteResult deleted = a.deleteWith("d3", () -> {
                clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
                b.operations().recoverDue();
                orders.deleteOne(Filters.eq("_id", "d3"));
            });
            failing.set(false);
            assertTrue(deleted.version() > 0);
            assertConverged("d3", a, b);
        }
    }

    // ------------------------------------------------------------------ a read learning above a kept tombstone

    /**
     * A failed delete keeps tombstone t (no gone); a save through the store makes version t (allowed), and its finish,
     * which would clear the tombstone, fails. A repair reads the document at t: the record learns 'last' and forgets
     * the tombstone below it, and the sink holds SECOND at t. The document is then deleted outside the store: the store
     * must not report that deletion at t (the sink would refuse it), and removing the orphan brings the sink to the
     * primary.
     */
    @Test
    void aReadLearningAboveAKeptTombstoneLeavesItToBeReportedAgainAtTheSameVersion() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> c = writer("C", true)) {
            save(a, "t1", "FIRST");
            a.operations().flushAcknowledgements();
            assertThrows(RuntimeException.class, () -> a.deleteWith("t1", () -> {
                throw new IllegalStateException("the application refused the delete");
            }));
            assertTrue(record("t1").isNumber("tomb"), "the failed delete kept its tombstone");
            script.refuse("bulkWrite"); // C has no memory of t1: its only bulkWrite is the save's finish
            assertThrows(RuntimeException.class, () -> save(c, "t1", "SECOND"));
            assertTrue(script.done());
            a.operations().redeliver("search", List.of("t1"));
            a.operations().flushAcknowledgements();
            long delivered = search.versionOf("t1").orElseThrow();
            assertEquals("SECOND", search.get("t1").orElseThrow().getStatus());
            orders.deleteOne(Filters.eq("_id", "t1")); // outside the store
            assertDeletionNotReportedAtOrBelow(a, "t1", delivered);
        }
    }

    /** As above with the document's version moved by code outside the store instead of a failed finish. */
    @Test
    void anOutsideUpdateAboveAKeptTombstoneThenAnOutsideDeleteReusesTheVersion() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "t2", "FIRST");
            a.operations().flushAcknowledgements();
            assertThrows(RuntimeException.class, () -> a.deleteWith("t2", () -> {
                throw new IllegalStateException("the application refused the delete");
            }));
            orders.updateOne(Filters.eq("_id", "t2"), Updates.combine(Updates.set("status", "OUTSIDE"),
                    Updates.inc("version", 1L)));
            a.operations().redeliver("search", List.of("t2"));
            a.operations().flushAcknowledgements();
            long delivered = search.versionOf("t2").orElseThrow();
            orders.deleteOne(Filters.eq("_id", "t2"));
            assertDeletionNotReportedAtOrBelow(a, "t2", delivered);
        }
    }

    /**
     * After a delete outside the store: no tombstone at or below the version the sink holds (the sink would refuse
     * it); a repair then changes nothing, and removing the orphan (what a reconciliation run does) empties the sink.
     */
    private void assertDeletionNotReportedAtOrBelow(DualWriter<Order> w, String id, long delivered) {
        w.operations().redeliver("search", List.of(id));
        var s = w.operations().snapshot(id);
        assertTrue(s.isEmpty() || s.get().version() > delivered, "the deletion is reported at " + s.map(x -> x.version())
                + ", not above the " + delivered + " the sink holds");
        w.operations().removeOrphans("search", java.util.Map.of(id, search.versionOf(id).orElseThrow()));
        assertTrue(search.get(id).isEmpty(), "the primary has no " + id + "; the sink holds " + search.get(id));
    }

}
