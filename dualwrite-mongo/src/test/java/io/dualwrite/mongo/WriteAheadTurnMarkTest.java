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
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mark a given-up (or run-out) write turn leaves in the entity's record: every path that takes a marked turn and
 * then ends it without its write finishing, or without the record holding the document, keeps the mark, so that no
 * later short turn trusts the record's last version field while the document is past it. Every flow that finishes
 * leaves no mark (or every next save would go the long way); a last command that lands with its reply lost; deletes
 * on a marked record; a caller's write that lands after its turn was taken over.
 */
class WriteAheadTurnMarkTest extends ScriptedWriteAheadFixture {
    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, Duration.ofSeconds(5));
    }

    /** B, whose memory matches the record, saves S5 returning the before-image: S5 must reach the sink. */
    private void beforeImageOfTheRememberingInstanceIsNotDelivered(DualWriter<Order> a, DualWriter<Order> b, String id) {
        beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, id, "");
    }

    private void beforeImageOfTheRememberingInstanceIsNotDelivered(DualWriter<Order> a, DualWriter<Order> b, String id,
                                                                   String between) {
        WriteResult r = returningBeforeImage(b, id, "S5");
        assertEquals("S5", search.get(id).orElseThrow().getStatus(), "the save's own state reached the sink: " + r
                + " (" + between + "; record after " + record(id) + ")");
        assertConverged(id, a, b);
    }

    /** After the marked turn, a save whose caller fails on its own (before writing) takes the marked turn and ends it, marked. */
    @Test
    void aCallersOwnFailureAfterAGivenUpTurnKeepsTheMark() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g1");
            assertThrows(IllegalStateException.class, () -> a.saveWith("g1", () -> {
                throw new IllegalStateException("the application's validation fails before it writes");
            }));
            String between = "record between: " + record("g1");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g1", between);
        }
    }

    /** After the marked turn, a save with a wrong expected version takes the marked turn and fails with a conflict. */
    @Test
    void aVersionConflictAfterAGivenUpTurnKeepsTheMark() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g2");
            assertThrows(VersionConflictException.class, () -> a.saveWith("g2", () -> orders.updateOne(Filters.eq("_id", "g2"),
                    Updates.combine(Updates.set("status", "X"), Updates.inc("version", 1L))),
                    WriteOptions.builder().expectedVersion(1).build()));
            assertEquals(3, field("g2"), "the conflicting save wrote nothing");
            String between = "record between: " + record("g2");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g2", between);
        }
    }

    /**
     * After the marked turn, the next save's findOneAndUpdate (the long way's turn) lands and its reply is lost:
     * the turn it may have taken is ended with the mark kept.
     */
    @Test
    void aLostReplyOnTheLongWaysTurnAfterAGivenUpTurnKeepsTheMark() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g3");
            script.landThenLoseReply("findOneAndUpdate", () -> { });
            assertThrows(PrimaryWriteException.class, () -> save(a, "g3", "S4"));
            assertTrue(script.done());
            assertEquals(3, field("g3"), "the failed save wrote nothing");
            String between = "record between: " + record("g3");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g3", between);
        }
    }

    /** The same lost reply on the turn a read takes to have the record learn the document (learnInTurn). */
    @Test
    void aLostReplyOnTheTurnOfAReadAfterAGivenUpTurnKeepsTheMark() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g4");
            script.landThenLoseReply("findOneAndUpdate", () -> { });
            assertThrows(RuntimeException.class, () -> a.read("g4"));
            assertTrue(script.done());
            String between = "record between: " + record("g4");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g4", between);
        }
    }

    /** A read between the given-up turn and the next save: the record learns the document and the mark goes. */
    @Test
    void aReadBetweenTheGivenUpTurnAndTheNextSaveHoldsTheDocument() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g5");
            assertEquals("S3", a.read("g5").orElseThrow().state().orElseThrow().getStatus());
            assertEquals(3, record("g5").getNumber("last").longValue(), "the record learned the document");
            assertFalse(record("g5").containsKey("turnUntil"), "the mark is cleared with it: " + record("g5"));
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g5");
        }
    }

    /** A new id's first turn (firstTurn) whose last command is refused; then a before-image on another instance. */
    @Test
    void aFirstTurnWithAFailedLastCommandIsReadBackAfter() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            leanNew(a, "g7n");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "g7", "S1"));
            assertTrue(script.done());
            assertTrue(record("g7").containsKey("turnUntil"), "marked: " + record("g7"));
            WriteResult r = returningBeforeImage(a, "g7", "S2");
            assertEquals("S2", search.get("g7").orElseThrow().getStatus(), "own state: " + r);
            WriteResult r2 = returningBeforeImage(b, "g7", "S3");
            assertEquals("S3", search.get("g7").orElseThrow().getStatus(), "own state: " + r2);
            assertTrue(r2.version() > r.version());
            assertConverged("g7", a, b);
        }
    }

    /**
     * The command that frees a failed save's turn (keeping the mark) is held until the lease ran out and another
     * instance took the turn, read, and finished: it then lands and must change nothing (it filters on its own token).
     */
    @Test
    void aLateEndOfAGivenUpTurnChangesNothingAfterAnotherSaveFinished() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "g8", "S1");
            save(b, "g8", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            WriteResult[] meanwhile = new WriteResult[1];
            script.first("bulkWrite", () -> { }).refuse("bulkWrite").first("bulkWrite", () -> { })
                    .first("updateOne", () -> {
                        clock.advance(Duration.ofMinutes(2));
                        meanwhile[0] = returningBeforeImage(b, "g8", "S4");
                    });
            assertThrows(PrimaryWriteException.class, () -> save(a, "g8", "S3"));
            assertTrue(script.done());
            assertEquals("S4", search.get("g8").orElseThrow().getStatus(), "own state: " + meanwhile[0]);
            assertFalse(record("g8").containsKey("turnUntil"), "the finished save cleared the mark: " + record("g8"));
            assertEquals(4, record("g8").getNumber("last").longValue());
            WriteResult next = returningBeforeImage(b, "g8", "S5");
            assertEquals("S5", search.get("g8").orElseThrow().getStatus(), "own state: " + next);
            assertConverged("g8", a, b);
        }
    }

    /** Delete whose last command is refused, then a re-creation and before-images on both instances. */
    @Test
    void aDeleteWithAFailedLastCommandThenReCreation() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "g10", "S1");
            long s2 = save(b, "g10", "S2").version();
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> delete(a, "g10"));
            assertTrue(script.done());
            WriteResult again = saveReturning(b, "g10", "S3");
            assertTrue(again.version() > s2 + 1, "above the tombstone: " + again);
            WriteResult r = returningBeforeImage(b, "g10", "S4");
            assertEquals("S4", search.get("g10").orElseThrow().getStatus(), "own state: " + r);
            assertConverged("g10", a, b);
        }
    }

    /**
     * A record created by the long way's upsert (no cache: tryTurn's BEFORE is null), the save's last command refused,
     * then a save through an instance with a cache.
     */
    @Test
    void aRecordCreatedByTheUpsertWithAFailedLastCommand() {
        MongoWriteAheadStore<Order> noCache = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(script.wrap(intents)).writeLease(Duration.ofMinutes(1), Duration.ofSeconds(5))
                .recordCache(0, Duration.ofMinutes(10)).clock(clock).build();
        try (DualWriter<Order> a = writer("A", noCache, search); DualWriter<Order> b = writer("B", false)) {
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "g11", "S1"));
            assertTrue(script.done());
            assertTrue(record("g11").containsKey("turnUntil"), "marked: " + record("g11"));
            WriteResult r = returningBeforeImage(b, "g11", "S2");
            assertEquals("S2", search.get("g11").orElseThrow().getStatus(), "own state: " + r);
            assertConverged("g11", a, b);
        }
    }

    /**
     * A read between the given-up turn and the next save takes the turn to have the record learn the document; the
     * learning update is refused, and the read's clean-up lands: the record learned nothing, so the mark stays.
     */
    @Test
    void aRefusedLearningOfAReadAfterAGivenUpTurnKeepsTheMark() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g12");
            script.refuse("updateOne");
            assertThrows(RuntimeException.class, () -> a.read("g12"));
            assertTrue(script.done());
            String between = "record between: " + record("g12");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g12", between);
        }
    }

    /**
     * A save that takes the marked turn the long way fails to read the document (the entity collection is
     * unreachable for that one read): nothing is written, and its clean-up ends the turn with the mark kept.
     */
    @Test
    void aFailedReadOfTheDocumentAfterAGivenUpTurnKeepsTheMark() {
        HookedCollection entityScript = new HookedCollection();
        MongoWriteAheadStore<Order> hooked = MongoWriteAheadStore.builder(db, entityScript.wrap(orders))
                .versionField("version").intentCollection(script.wrap(intents))
                .writeLease(Duration.ofMinutes(1), Duration.ofSeconds(5)).clock(clock).build();
        try (DualWriter<Order> a = writer("A", hooked, search); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g13");
            entityScript.refuse("find");
            assertThrows(PrimaryWriteException.class, () -> save(a, "g13", "S4"));
            assertTrue(entityScript.done());
            assertEquals(3, field("g13"), "the failed save wrote nothing");
            String between = "record between: " + record("g13");
            beforeImageOfTheRememberingInstanceIsNotDelivered(a, b, "g13", between);
        }
    }

    /** After the caller's own failure on the marked turn, versions grow and recovery converges. */
    @Test
    void afterTheCallersOwnFailureRecoveryStillConverges() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "g14");
            assertThrows(IllegalStateException.class, () -> a.saveWith("g14", () -> {
                throw new IllegalStateException("the application's validation fails before it writes");
            }));
            WriteResult r = returningBeforeImage(b, "g14", "S5");
            WriteResult next = save(b, "g14", "S6");
            assertTrue(next.version() > r.version(), "versions grow: " + r + " then " + next);
            assertConverged("g14", a, b);
            assertEquals("S6", search.get("g14").orElseThrow().getStatus());
        }
    }

    private void assertUnmarked(String id, String after) {
        assertFalse(record(id).containsKey("turnUntil"), "no mark after " + after + ": " + record(id));
    }

    /** Every normal flow that finishes ends its turn without a mark: the next blind save may take the short turn. */
    @Test
    void successfulFlowsLeaveNoMark() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            leanNew(a, "m0n");
            assertTrue(save(a, "m0", "S1").fullyApplied());
            assertUnmarked("m0", "a first turn");
            WriteResult r = returningBeforeImage(a, "m0", "S2");
            assertEquals("S2", search.get("m0").orElseThrow().getStatus(), "rejected copy read back: " + r);
            assertUnmarked("m0", "a saveReturning whose copy was rejected");
            raw.updateOne(Filters.eq("_id", "m0"), Updates.inc("version", 1L));
            a.read("m0");
            assertUnmarked("m0", "a read that learned an outside write");
            assertTrue(save(a, "m0", "S3").fullyApplied());
            assertUnmarked("m0", "a save after a learning read");
            assertTrue(a.saveWith("m0", () -> orders.updateOne(Filters.eq("_id", "m0"), Updates.combine(
                    Updates.set("status", "S4"), Updates.inc("version", 1L))),
                    WriteOptions.builder().expectedVersion(a.read("m0").orElseThrow().version()).build()).fullyApplied());
            assertUnmarked("m0", "a save with an expected version");
            assertTrue(delete(a, "m0").fullyApplied());
            assertUnmarked("m0", "a delete");
            delete(b, "m0");
            assertUnmarked("m0", "a delete of nothing");
            assertTrue(save(b, "m0", "S5").fullyApplied());
            assertUnmarked("m0", "a save after a delete");
            assertTrue(saveReturning(b, "m0", "S6").fullyApplied());
            assertUnmarked("m0", "a saveReturning");
            WriteResult other = save(a, "m0", "S7");
            assertUnmarked("m0", "a save on the other instance " + other);
            assertConverged("m0", a, b);
        }
    }

    /**
     * A's save's last command lands and its reply is lost: the record holds the save (last=3) and no mark; A's stale
     * memory and B's then go the long way, and before-images are caught.
     */
    @Test
    void aLastCommandThatLandsWithItsReplyLost() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "m1", "S1");
            save(b, "m1", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).landThenLoseReply("bulkWrite", () -> { });
            assertThrows(PrimaryWriteException.class, () -> save(a, "m1", "S3"));
            assertTrue(script.done());
            assertEquals(3, field("m1"));
            assertEquals(3, record("m1").getNumber("last").longValue(), "the landed last command: " + record("m1"));
            assertUnmarked("m1", "a landed last command");
            WriteResult r = returningBeforeImage(a, "m1", "S4");
            assertEquals("S4", search.get("m1").orElseThrow().getStatus(), "own state on A: " + r);
            WriteResult r2 = returningBeforeImage(b, "m1", "S5");
            assertEquals("S5", search.get("m1").orElseThrow().getStatus(), "own state on B: " + r2);
            assertConverged("m1", a, b);
        }
    }

    /** A delete's last command lands, its reply lost; B re-creates and saves returning before-images. */
    @Test
    void aDeletesLastCommandThatLandsWithItsReplyLost() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "m2", "S1");
            save(b, "m2", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.landThenLoseReply("bulkWrite", () -> { });
            assertThrows(PrimaryWriteException.class, () -> delete(a, "m2"));
            assertTrue(script.done());
            WriteResult again = saveReturning(b, "m2", "S3");
            WriteResult r = returningBeforeImage(b, "m2", "S4");
            assertEquals("S4", search.get("m2").orElseThrow().getStatus(), "own state: " + r + " after " + again);
            WriteResult r2 = returningBeforeImage(a, "m2", "S5");
            assertEquals("S5", search.get("m2").orElseThrow().getStatus(), "own state: " + r2);
            assertConverged("m2", a, b);
        }
    }

    /**
     * A's caller's write is slower than the write lease (outside the contract: a caller's write must finish within
     * it): meanwhile B takes the run-out turn, reads, saves and finishes, which clears the mark; then A's write lands.
     * A's last command finds its turn gone and marks the record again, so B's next blind save reads the document
     * (at 4) instead of trusting the field 3 its own save left.
     */
    @Test
    void aCallersWriteLandingAfterItsTurnWasTakenOverAndFinished() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "m3", "S1");
            save(b, "m3", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            WriteResult[] meanwhile = new WriteResult[1];
            assertThrows(PrimaryWriteException.class, () -> a.saveWith("m3", () -> {
                clock.advance(Duration.ofMinutes(2));
                meanwhile[0] = save(b, "m3", "B3");
                orders.updateOne(Filters.eq("_id", "m3"), Updates.combine(Updates.set("status", "SLOW"),
                        Updates.inc("version", 1L)));
            }));
            assertEquals(4, field("m3"));
            String between = "record between: " + record("m3") + ", B's save " + meanwhile[0];
            WriteResult r = returningBeforeImage(b, "m3", "S5");
            assertEquals("S5", search.get("m3").orElseThrow().getStatus(), "own state: " + r + " (" + between + ")");
            assertConverged("m3", a, b);
        }
    }

    /** After the mark, B (remembering last=2) saves on the marked turn; its last command lands with its reply lost. */
    @Test
    void aSaveOnTheMarkedTurnWhoseLastCommandLandsWithItsReplyLost() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", true)) {
            markedAheadOfTheRecord(a, b, "m5");
            script.first("bulkWrite", () -> { }).landThenLoseReply("bulkWrite", () -> { });
            assertThrows(PrimaryWriteException.class, () -> save(b, "m5", "S4"));
            assertTrue(script.done());
            assertEquals(4, field("m5"));
            assertEquals(4, record("m5").getNumber("last").longValue(), "held: " + record("m5"));
            assertUnmarked("m5", "the landed last command");
            WriteResult r = returningBeforeImage(a, "m5", "S5");
            assertEquals("S5", search.get("m5").orElseThrow().getStatus(), "own state: " + r);
            WriteResult r2 = returningBeforeImage(b, "m5", "S6");
            assertEquals("S6", search.get("m5").orElseThrow().getStatus(), "own state: " + r2);
            assertConverged("m5", a, b);
        }
    }

    /**
     * After the mark, a delete whose caller's delete throws (nothing deleted): the record gets a tombstone and keeps
     * the mark; a read, then saves returning before-images on both instances.
     */
    @Test
    void aFailedDeleteOnTheMarkedTurnThenSaves() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "m7");
            assertThrows(IllegalStateException.class, () -> b.deleteWith("m7", () -> {
                throw new IllegalStateException("the application refuses the delete");
            }));
            assertTrue(record("m7").containsKey("turnUntil"), "the failed delete kept the mark: " + record("m7"));
            String between = "record between: " + record("m7");
            assertEquals("S3", b.read("m7").orElseThrow().state().orElseThrow().getStatus());
            WriteResult r = returningBeforeImage(b, "m7", "S4");
            assertEquals("S4", search.get("m7").orElseThrow().getStatus(), "own state: " + r + " (" + between + ")");
            WriteResult r2 = returningBeforeImage(a, "m7", "S5");
            assertEquals("S5", search.get("m7").orElseThrow().getStatus(), "own state: " + r2);
            assertConverged("m7", a, b);
        }
    }

    /** After the mark, deleteWith then saveWith (re-creation) and before-images on both instances. */
    @Test
    void aDeleteAfterTheMarkThenReCreation() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "m8");
            WriteResult d = delete(b, "m8");
            assertTrue(d.fullyApplied(), "deleted: " + d);
            assertUnmarked("m8", "the delete's last command");
            assertTrue(search.get("m8").isEmpty());
            WriteResult s = saveReturning(a, "m8", "S4");
            assertTrue(s.version() > d.version(), "above the delete: " + s + " after " + d);
            WriteResult r = returningBeforeImage(a, "m8", "S5");
            assertEquals("S5", search.get("m8").orElseThrow().getStatus(), "own state: " + r);
            WriteResult r2 = returningBeforeImage(b, "m8", "S6");
            assertEquals("S6", search.get("m8").orElseThrow().getStatus(), "own state: " + r2);
            assertConverged("m8", a, b);
        }
    }

    /**
     * A caller's write whose reply was lost lands only after its lease ran out and another instance saved (outside
     * the contract: nothing can mark the record then). A before-image returned meanwhile may be delivered as the save,
     * but the lost write's intent, its version unknown, has recovery bring the sink to the primary.
     */
    @Test
    void aLostReplyWriteLandingAfterTheLeaseStillConverges() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "m10", "S1");
            save(b, "m10", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertThrows(com.mongodb.MongoSocketReadException.class, () -> a.saveWith("m10", () -> {
                throw lostReply();
            }));
            clock.advance(Duration.ofMinutes(2));
            save(b, "m10", "B3");
            orders.updateOne(Filters.eq("_id", "m10"), Updates.combine(Updates.set("status", "LATE"),
                    Updates.inc("version", 1L)));
            returningBeforeImage(b, "m10", "S5");
            assertConverged("m10", a, b);
            assertEquals("S5", search.get("m10").orElseThrow().getStatus());
        }
    }
}
