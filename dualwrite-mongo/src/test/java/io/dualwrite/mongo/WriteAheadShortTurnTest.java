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

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write-ahead save of an entity whose record this instance remembers takes its write turn and records its
 * intent in one command, conditional on the record being as remembered. These are the interleavings in which
 * what it remembers is wrong or the command's outcome is unknown: each must end with the sinks holding what the
 * primary holds, at its version, and nothing left pending.
 */
class WriteAheadShortTurnTest extends ScriptedWriteAheadFixture {
    @Test
    void aSaveByAnotherInstanceInBetweenSendsTheNextSaveTheLongWayAndItsVersionFollows() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            long v1 = save(a, "o1", "NEW").version();
            long v2 = save(a, "o1", "PAID").version();
            long v3 = save(b, "o1", "PACKED").version();
            // A remembers the record as its own save left it; B's save changed it
            WriteResult fourth = save(a, "o1", "SHIPPED");
            assertEquals(v1 + 1, v2);
            assertEquals(v2 + 1, v3);
            assertEquals(v3 + 1, fourth.version(), "the version follows B's save, not what A remembered");
            assertTrue(fourth.fullyApplied() && fourth.versionKnown(), "delivered: " + fourth);
            assertEquals("SHIPPED", search.get("o1").orElseThrow().getStatus());
            assertEquals(fourth.version(), search.versionOf("o1").orElseThrow());
            assertConverged("o1", a, b);
        }
    }

    @Test
    void aDeleteAndRecreationByAnotherInstanceKeepTheNextSaveAboveThem() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "o2", "NEW");
            long before = save(a, "o2", "PAID").version();
            long deleted = b.deleteWith("o2", () -> orders.deleteOne(Filters.eq("_id", "o2"))).version();
            clock.advance(Duration.ofSeconds(1));
            long recreated = save(b, "o2", "AGAIN").version();
            WriteResult next = save(a, "o2", "LATEST");
            assertTrue(deleted > before && recreated > deleted, "B's delete and re-creation: " + before + " < "
                    + deleted + " < " + recreated);
            assertEquals(recreated + 1, next.version(), "A's save follows the re-creation");
            assertEquals("LATEST", search.get("o2").orElseThrow().getStatus());
            assertEquals(next.version(), search.versionOf("o2").orElseThrow());
            assertConverged("o2", a, b);
        }
    }

    @Test
    void aLostReplyToTheTurnAndIntentCommandIsNothingWrittenAndTheRetryNeedNotWait() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofMillis(300))) {
            save(a, "o3", "NEW");
            long v2 = save(a, "o3", "PAID").version();
            a.operations().flushAcknowledgements(); // no acknowledgement (also a bulkWrite) comes in between
            // the next save's first command (the turn and the intent together) lands, its reply does not
            script.landThenLoseReply("bulkWrite", () -> { });
            AtomicBoolean ran = new AtomicBoolean();
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> a.saveWith("o3", () -> {
                ran.set(true);
                orders.updateOne(Filters.eq("_id", "o3"), Updates.inc("version", 1L));
            }));
            assertTrue(script.done());
            assertFalse(ran.get(), "the caller's save did not run");
            assertEquals(ErrorKind.TRANSIENT, e.kind(), "nothing was written, so the caller may retry: " + e);
            // the caller retries at once: the turn the lost command took is over, the retry does not wait for its lease
            WriteResult retried = save(a, "o3", "SHIPPED");
            assertEquals(v2 + 1, retried.version(), "the lost attempt used no version");
            assertEquals("SHIPPED", search.get("o3").orElseThrow().getStatus());
            assertConverged("o3", a);
        }
    }

    @Test
    void aLostCommandThatMovesTheBaseAfterAnOutsideReCreationStillEndsWithTheSinksAtThePrimary() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5))) {
            save(a, "o6", "NEW");
            long paid = save(a, "o6", "PAID").version();
            // code outside the store deletes the document and inserts it anew, its version field back at 0
            orders.deleteOne(Filters.eq("_id", "o6"));
            Order outside = new Order("o6", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            a.operations().flushAcknowledgements();
            // the next save finds the version field below the last it saw and moves the entity's version base: that
            // command never reaches the primary
            script.refuse("updateOne");
            assertThrows(PrimaryWriteException.class, () -> save(a, "o6", "AFTER"));
            assertTrue(script.done());
            // recovery finds the document below what the store gave it, and moves the base itself
            assertConverged("o6", a);
            assertEquals("AFTER", search.get("o6").orElseThrow().getStatus());
            assertTrue(search.versionOf("o6").orElseThrow() > paid, "versions only grow");
        }
    }

    @Test
    void aSaveThatFindsTheTurnTakenWaitsForItAndComesAfter() throws Exception {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "o4", "NEW");
            long v2 = save(a, "o4", "PAID").version();
            AtomicReference<CompletableFuture<WriteResult>> aSave = new AtomicReference<>();
            WriteResult bSave = b.saveWith("o4", () -> {
                // while B holds the turn, A's save (which remembers the record) finds it taken
                aSave.set(saveWaitingForTheTurn(a, "o4", "SHIPPED"));
                orders.updateOne(Filters.eq("_id", "o4"), Updates.combine(Updates.set("status", "PACKED"),
                        Updates.inc("version", 1L)));
            });
            WriteResult after = aSave.get().get(10, TimeUnit.SECONDS);
            assertEquals(v2 + 1, bSave.version(), "B's save, which held the turn");
            assertEquals(v2 + 2, after.version(), "A's save comes after it");
            assertEquals("SHIPPED", search.get("o4").orElseThrow().getStatus());
            assertEquals(after.version(), search.versionOf("o4").orElseThrow());
            assertConverged("o4", a, b);
        }
    }

    @Test
    void aSaveThatCannotHaveTheTurnLeavesNoIntentBehind() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofMillis(50));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "o5", "NEW");
            long v2 = save(a, "o5", "PAID").version();
            WriteResult bSave = b.saveWith("o5", () -> {
                PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> save(a, "o5", "LOST"));
                assertEquals(ErrorKind.TRANSIENT, e.kind(), "B holds the entity for longer than A waits: " + e);
                orders.updateOne(Filters.eq("_id", "o5"), Updates.combine(Updates.set("status", "PACKED"),
                        Updates.inc("version", 1L)));
            });
            assertEquals(v2 + 1, bSave.version());
            b.operations().flushAcknowledgements();
            assertEquals(0, intents.countDocuments(Filters.eq("entityId", "o5")),
                    "A's intent went with its failed save, and B's with its acknowledgement");
            assertConverged("o5", a, b);
        }
    }

    @Test
    void aReadBetweenTheBaseMoveAndTheEndOfTheSaveReportsNoVersionAboveTheSavesOwn() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "o7", "NEW");
            save(a, "o7", "PAID");
            // code outside the store deletes the document and inserts it anew, its version field back at 0
            orders.deleteOne(Filters.eq("_id", "o7"));
            Order outside = new Order("o7", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            a.operations().flushAcknowledgements();
            // A's next save finds the re-creation and moves the version base; right then, before the same save
            // records the version field it left, a reconciliation repair on B reads the entity and delivers it
            long[] readDuring = new long[1];
            script.landThen("updateOne", () -> {
                readDuring[0] = b.operations().snapshot("o7").orElseThrow().version();
                b.operations().redeliver("search", java.util.List.of("o7"));
            });
            WriteResult after = save(a, "o7", "AFTER");
            assertTrue(script.done());
            assertTrue(readDuring[0] <= after.version(), "the read during the save saw the save's own state, so it"
                    + " cannot be at a version above the save's: read " + readDuring[0] + ", save " + after.version());
            WriteResult shipped = save(a, "o7", "SHIPPED");
            assertEquals("SHIPPED", search.get("o7").orElseThrow().getStatus(), "the next save reaches the sink (sink"
                    + " at " + search.versionOf("o7") + ", save at " + shipped.version() + ")");
            assertConverged("o7", a, b);
        }
    }

    @Test
    void anOutsideUpdateAfterAPutBackNeverTakesTheEntityBelowAVersionAReadReported() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "o8", "NEW");
            Order backup = orders.find(Filters.eq("_id", "o8")).first();
            save(a, "o8", "PAID");
            // an operator puts back a copy from before the last save; a reconciliation repair tries to deliver it
            backup.setStatus("RESTORED");
            orders.replaceOne(Filters.eq("_id", "o8"), backup);
            long restored = b.operations().snapshot("o8").orElseThrow().version();
            b.operations().redeliver("search", java.util.List.of("o8"));
            // the application then edits the document outside the store (its own @Version increments)
            orders.updateOne(Filters.eq("_id", "o8"), Updates.combine(Updates.set("status", "EDITED"),
                    Updates.inc("version", 1L)));
            long edited = b.operations().snapshot("o8").orElseThrow().version();
            assertTrue(edited > restored, "versions only grow: the restored copy read at " + restored
                    + ", its edit at " + edited);
            WriteResult shipped = save(a, "o8", "SHIPPED");
            assertTrue(shipped.version() > restored, "the next save goes above what the sinks hold: " + restored
                    + " then " + shipped.version());
            assertConverged("o8", a, b);
            assertEquals("SHIPPED", search.get("o8").orElseThrow().getStatus());
        }
    }

    @Test
    void aDocumentDeletedThroughTheStoreAndCreatedAgainOutsideItGetsVersionsAboveItsTombstone() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            save(a, "o9", "NEW");
            save(a, "o9", "PAID");
            long deleted = a.deleteWith("o9", () -> orders.deleteOne(Filters.eq("_id", "o9"))).version();
            assertTrue(search.isDeleted("o9"));
            // the application creates the id again, outside the store, its version field starting at 0
            Order outside = new Order("o9", "OUTSIDE");
            outside.setVersion(0L);
            orders.insertOne(outside);
            WriteResult again = save(a, "o9", "AGAIN");
            assertTrue(again.version() > deleted, "versions only grow: deleted at " + deleted + ", saved again at "
                    + again.version());
            assertConverged("o9", a);
            assertEquals("AGAIN", search.get("o9").orElseThrow().getStatus());
        }
    }
    @Test
    void aDeleteAfterAnOlderCopyWasPutBackGoesAboveTheVersionTheSinksHold() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            save(a, "p1", "FIRST");
            a.operations().flushAcknowledgements();
            MongoCollection<BsonDocument> raw = db.getCollection(orders.getNamespace().getCollectionName(),
                    BsonDocument.class);
            BsonDocument older = raw.find(Filters.eq("_id", "p1")).first();
            long second = save(a, "p1", "SECOND").version();
            // code outside the store puts the copy from before the second save back: it reads one version lower
            raw.replaceOne(Filters.eq("_id", "p1"), older);
            WriteResult deleted = a.deleteWith("p1", () -> orders.deleteOne(Filters.eq("_id", "p1")));
            assertTrue(deleted.version() > second, "the delete goes above the " + second + " the sink holds: " + deleted);
            assertTrue(search.isDeleted("p1"), "the sink took the delete");
        }
    }

    @Test
    void aSaveWhoseClosingCommandIsRefusedDeliversNothingItselfAndRecoveryBringsTheSinkToThePrimary() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5))) {
            long first = save(a, "p2", "FIRST").version();
            a.operations().flushAcknowledgements();
            // the save's last command (its version on its intent and record, the end of its turn) is refused
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> save(a, "p2", "SECOND"));
            assertTrue(script.done());
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind(), "the caller's save happened; its outcome is unknown: " + e);
            assertEquals(first, search.versionOf("p2").orElseThrow(), "no version the record may not hold was delivered");
            assertConverged("p2", a);
            assertEquals("SECOND", search.get("p2").orElseThrow().getStatus());
        }
    }
}
