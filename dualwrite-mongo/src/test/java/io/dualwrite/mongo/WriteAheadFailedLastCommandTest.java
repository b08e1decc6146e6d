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
import io.dualwrite.WriteResult;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write-ahead write whose last command (the one that has the entity's record learn what the write left) is
 * refused, after which the sinks get the write from recovery or a repair, and then code outside the store puts an
 * older copy of the document back or creates it again. Whatever comes next through the store must go above every
 * version the sinks were given, so that the sinks end holding what the primary holds.
 */
class WriteAheadFailedLastCommandTest extends ScriptedWriteAheadFixture {
    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, Duration.ofSeconds(5));
    }


    /**
     * Three saves, the last of which has its last command refused; recovery then delivers it.
     *
     * @param older receives the document as the first save left it, two version fields below the last
     */
    private long secondSaveDeliveredByRecovery(DualWriter<Order> a, String id, BsonDocument[] older) {
        save(a, id, "FIRST");
        older[0] = raw.find(Filters.eq("_id", id)).first();
        save(a, id, "BETWEEN");
        a.operations().flushAcknowledgements();
        script.first("bulkWrite", () -> { }).refuse("bulkWrite");
        assertThrows(PrimaryWriteException.class, () -> save(a, id, "SECOND"));
        assertTrue(script.done());
        recover(a);
        assertEquals("SECOND", search.get(id).orElseThrow().getStatus(), "recovery delivered the second save");
        return search.versionOf(id).orElseThrow();
    }

    /**
     * A save whose last command failed leaves the document a version field above what the entity's record holds.
     * The next blind save of the instance, right after, must not take the short way, which skips the read of the
     * document: a before-image returned to saveReturning would pass as above the field before and be delivered as
     * the save, and the save's own state would wait for recovery.
     */
    @Test
    void aBeforeImageAfterTheInstancesOwnFailedLastCommandIsReadBack() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "f10", "S1");
            save(a, "f10", "S2");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "f10", "S3"));
            assertTrue(script.done());
            WriteResult r = returningBeforeImage(a, "f10", "S4");
            assertEquals("S4", search.get("f10").orElseThrow().getStatus(), "the save's own state reached the sink: " + r);
            assertConverged("f10", a);
        }
    }

    /**
     * The same on another instance whose memory of the record still matches it (it made the record's last version
     * field, and the failed save after it could not change the record), where every command of the failed save
     * after the caller's write is refused, so that its turn is not freed but runs out with its lease.
     */
    @Test
    void aBeforeImageOnAnotherInstanceAfterAFailedLastCommandIsReadBack() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "f11", "S1");
            save(b, "f11", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite").refuse("bulkWrite").refuse("updateOne");
            assertThrows(PrimaryWriteException.class, () -> save(a, "f11", "S3"));
            assertTrue(script.done());
            clock.advance(Duration.ofMinutes(2)); // past the failed save's turn (1 min), before its intent settles
            WriteResult r = returningBeforeImage(b, "f11", "S4");
            assertEquals("S4", search.get("f11").orElseThrow().getStatus(), "the save's own state reached the sink: " + r);
            assertConverged("f11", a, b);
        }
    }

    /**
     * The caller's write lands and its reply is lost: the store cannot know what it did, so its turn runs out with
     * its lease. The next blind save after that reads the document as well.
     */
    @Test
    void aBeforeImageAfterACallersWriteWithALostReplyIsReadBack() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "f12", "S1");
            save(a, "f12", "S2");
            assertThrows(RuntimeException.class, () -> a.saveWith("f12", () -> {
                orders.updateOne(Filters.eq("_id", "f12"), Updates.combine(Updates.set("status", "S3"),
                        Updates.inc("version", 1L)));
                throw lostReply();
            }));
            clock.advance(Duration.ofMinutes(2)); // past the turn (1 min), before the intent settles
            WriteResult r = returningBeforeImage(a, "f12", "S4");
            assertEquals("S4", search.get("f12").orElseThrow().getStatus(), "the save's own state reached the sink: " + r);
            assertConverged("f12", a);
        }
    }

    /**
     * The caller's write lands and then throws an exception of its own (not one that says the outcome is unknown):
     * the store cannot tell that nothing was written, so the next blind save, right after, reads the document too.
     */
    @Test
    void aBeforeImageAfterACallersWriteThatLandedAndThrewIsReadBack() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "f13", "S1");
            save(a, "f13", "S2");
            assertThrows(IllegalStateException.class, () -> a.saveWith("f13", () -> {
                orders.updateOne(Filters.eq("_id", "f13"), Updates.combine(Updates.set("status", "S3"),
                        Updates.inc("version", 1L)));
                throw new IllegalStateException("the caller's own failure after its write landed");
            }));
            WriteResult r = returningBeforeImage(a, "f13", "S4");
            assertEquals("S4", search.get("f13").orElseThrow().getStatus(), "the save's own state reached the sink: " + r);
            assertConverged("f13", a);
        }
    }

    @Test
    void aSaveAfterAnOlderCopyIsPutBackGoesAboveTheVersionRecoveryDelivered() {
        try (DualWriter<Order> a = writer("A", true)) {
            BsonDocument[] older = new BsonDocument[1];
            long delivered = secondSaveDeliveredByRecovery(a, "f1", older);
            raw.replaceOne(Filters.eq("_id", "f1"), older[0]);
            WriteResult third = save(a, "f1", "THIRD");
            assertTrue(third.version() > delivered, "the save goes above the " + delivered + " the sink holds: " + third);
            assertEquals("THIRD", search.get("f1").orElseThrow().getStatus());
            assertConverged("f1", a);
        }
    }

    @Test
    void aSaveOnAnotherInstanceAfterAnOlderCopyIsPutBackGoesAboveTheVersionRecoveryDelivered() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            BsonDocument[] older = new BsonDocument[1];
            long delivered = secondSaveDeliveredByRecovery(a, "f2", older);
            raw.replaceOne(Filters.eq("_id", "f2"), older[0]);
            WriteResult third = save(b, "f2", "THIRD");
            assertTrue(third.version() > delivered, "the save goes above the " + delivered + " the sink holds: " + third);
            assertConverged("f2", a, b);
            assertEquals("THIRD", search.get("f2").orElseThrow().getStatus());
        }
    }

    @Test
    void aDeleteAfterAnOlderCopyIsPutBackGoesAboveTheVersionRecoveryDelivered() {
        try (DualWriter<Order> a = writer("A", true)) {
            BsonDocument[] older = new BsonDocument[1];
            long delivered = secondSaveDeliveredByRecovery(a, "f3", older);
            raw.replaceOne(Filters.eq("_id", "f3"), older[0]);
            WriteResult deleted = delete(a, "f3");
            assertTrue(deleted.version() > delivered, "the delete goes above the " + delivered + ": " + deleted);
            assertTrue(search.isDeleted("f3"), "the sink took the delete");
            assertConverged("f3", a);
        }
    }

    @Test
    void aSaveThatLandsExactlyWhereRecoveryDeliveredFailsAndRecoveryDeliversItAboveThat() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "f8", "FIRST");
            a.operations().flushAcknowledgements();
            BsonDocument older = raw.find(Filters.eq("_id", "f8")).first();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "f8", "SECOND"));
            recover(a);
            long delivered = search.versionOf("f8").orElseThrow();
            // the copy put back is one save behind: the next save lands on the version field recovery delivered, which
            // the store cannot tell from a save that did not grow the field
            raw.replaceOne(Filters.eq("_id", "f8"), older);
            assertThrows(PrimaryWriteException.class, () -> save(a, "f8", "THIRD"));
            assertConverged("f8", a);
            assertEquals("THIRD", search.get("f8").orElseThrow().getStatus());
            assertTrue(search.versionOf("f8").orElseThrow() > delivered, "above the " + delivered + " delivered before");
        }
    }

    @Test
    void aRepairBeforeRecoveryCountsAsDeliveredToo() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "f4", "FIRST");
            BsonDocument older = raw.find(Filters.eq("_id", "f4")).first();
            save(a, "f4", "BETWEEN");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> save(a, "f4", "SECOND"));
            // before recovery settles the save, a repair on another instance reads the entity and delivers it
            b.operations().redeliver("search", List.of("f4"));
            long delivered = search.versionOf("f4").orElseThrow();
            assertEquals("SECOND", search.get("f4").orElseThrow().getStatus());
            raw.replaceOne(Filters.eq("_id", "f4"), older);
            WriteResult third = save(a, "f4", "THIRD");
            assertTrue(third.version() > delivered, "the save goes above the " + delivered + " the sink holds: " + third);
            assertConverged("f4", a, b);
            assertEquals("THIRD", search.get("f4").orElseThrow().getStatus());
        }
    }

    @Test
    void aDeleteWhoseLastCommandFailsThenACreationOutsideTheStoreBeforeRecoveryStillEndsWithTheSinksAtThePrimary() {
        try (DualWriter<Order> a = writer("A", true)) {
            save(a, "f5", "FIRST");
            long second = save(a, "f5", "SECOND").version();
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> delete(a, "f5"));
            assertTrue(script.done());
            assertEquals(io.dualwrite.ErrorKind.UNKNOWN_OUTCOME, e.kind(), "the caller's delete happened: " + e);
            assertEquals("SECOND", search.get("f5").orElseThrow().getStatus(), "nothing was delivered from the failed delete");
            Order outside = new Order("f5", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            WriteResult again = save(a, "f5", "AGAIN");
            assertTrue(again.version() > second, "the save goes above the " + second + " the sink holds: " + again);
            assertEquals("AGAIN", search.get("f5").orElseThrow().getStatus());
            assertConverged("f5", a);
        }
    }

    @Test
    void aDeleteWhoseLastCommandFailsDeliveredByRecoveryThenACreationOutsideTheStoreGoesAboveTheTombstone() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "f6", "FIRST");
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> delete(a, "f6"));
            assertTrue(script.done());
            recover(a, b);
            assertTrue(search.isDeleted("f6"), "recovery delivered the delete");
            long tombstone = search.versionOf("f6").orElseThrow();
            Order outside = new Order("f6", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            WriteResult again = save(b, "f6", "AGAIN");
            assertTrue(again.version() > tombstone, "the save goes above the tombstone " + tombstone + ": " + again);
            assertEquals("AGAIN", search.get("f6").orElseThrow().getStatus());
            WriteResult deleted = delete(b, "f6");
            assertTrue(deleted.version() > again.version());
            assertTrue(search.isDeleted("f6"));
            assertConverged("f6", a, b);
        }
    }

    @Test
    void aFailedDeleteMovesNothingBackwards() {
        try (DualWriter<Order> a = writer("A", false)) {
            long second = save(a, "f7", "FIRST").version();
            assertThrows(IllegalStateException.class, () -> a.deleteWith("f7", () -> {
                throw new IllegalStateException("the application's delete fails");
            }));
            WriteResult next = save(a, "f7", "NEXT");
            assertTrue(next.version() > second, "versions only grow: " + second + " then " + next);
            assertEquals("NEXT", search.get("f7").orElseThrow().getStatus());
            assertConverged("f7", a);
        }
    }
}
