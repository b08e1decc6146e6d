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
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write-ahead save of an entity whose record this instance remembers takes its write turn and records its
 * intent in one command, conditional on the record being as remembered. These are the interleavings in which
 * what it remembers is wrong or the command's outcome is unknown: each must end with the sinks holding what the
 * primary holds, at its version, and nothing left pending.
 */
@ExtendWith(MongoExtension.class)
class WriteAheadShortTurnTest {
    private WriteAheadFixture f;

    @BeforeEach
    void setUp(MongoDatabase db) {
        f = new WriteAheadFixture(db, Duration.ofMinutes(1));
    }

    @Test
    void aSaveByAnotherInstanceInBetweenSendsTheNextSaveTheLongWayAndItsVersionFollows() {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            long v1 = f.save(a, "o1", "NEW").version();
            long v2 = f.save(a, "o1", "PAID").version();
            long v3 = f.save(b, "o1", "PACKED").version();
            // A remembers the record as its own save left it; B's save changed it
            WriteResult fourth = f.save(a, "o1", "SHIPPED");
            assertEquals(v1 + 1, v2);
            assertEquals(v2 + 1, v3);
            assertEquals(v3 + 1, fourth.version(), "the version follows B's save, not what A remembered");
            assertTrue(fourth.fullyApplied() && fourth.versionKnown(), "delivered: " + fourth);
            assertEquals("SHIPPED", f.search.get("o1").orElseThrow().getStatus());
            assertEquals(fourth.version(), f.search.versionOf("o1").orElseThrow());
            f.assertConverged("o1", a, b);
        }
    }

    @Test
    void aDeleteAndRecreationByAnotherInstanceKeepTheNextSaveAboveThem() {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            f.save(a, "o2", "NEW");
            long before = f.save(a, "o2", "PAID").version();
            long deleted = b.deleteWith("o2", () -> f.orders.deleteOne(Filters.eq("_id", "o2"))).version();
            f.clock.advance(Duration.ofSeconds(1));
            long recreated = f.save(b, "o2", "AGAIN").version();
            WriteResult next = f.save(a, "o2", "LATEST");
            assertTrue(deleted > before && recreated > deleted, "B's delete and re-creation: " + before + " < "
                    + deleted + " < " + recreated);
            assertEquals(recreated + 1, next.version(), "A's save follows the re-creation");
            assertEquals("LATEST", f.search.get("o2").orElseThrow().getStatus());
            assertEquals(next.version(), f.search.versionOf("o2").orElseThrow());
            f.assertConverged("o2", a, b);
        }
    }

    @Test
    void aLostReplyToTheTurnAndIntentCommandIsNothingWrittenAndTheRetryNeedNotWait() {
        try (DualWriter<Order> a = f.writer("A", true, Duration.ofMillis(300))) {
            f.save(a, "o3", "NEW");
            long v2 = f.save(a, "o3", "PAID").version();
            a.operations().flushAcknowledgements(); // no acknowledgement (also a bulkWrite) comes in between
            // the next save's first command (the turn and the intent together) lands, its reply does not
            f.assertALostFirstReplyWritesNothingAndTheRetryFollows(a, "o3", v2);
            f.assertConverged("o3", a);
        }
    }

    @Test
    void aLostCommandThatMovesTheBaseAfterAnOutsideReCreationStillEndsWithTheSinksAtThePrimary() {
        try (DualWriter<Order> a = f.writer("A", true, Duration.ofSeconds(5))) {
            f.save(a, "o6", "NEW");
            long paid = f.save(a, "o6", "PAID").version();
            // code outside the store deletes the document and inserts it anew, its version field back at 0
            f.orders.deleteOne(Filters.eq("_id", "o6"));
            Order outside = new Order("o6", "OUTSIDE");
            outside.setVersion(0L);
            f.orders.insertOne(outside);
            a.operations().flushAcknowledgements();
            // the next save finds the version field below the last it saw and moves the entity's version base: that
            // command never reaches the primary
            f.script.refuse("updateOne");
            assertThrows(PrimaryWriteException.class, () -> f.save(a, "o6", "AFTER"));
            assertTrue(f.script.done());
            // recovery finds the document below what the store gave it, and moves the base itself
            f.assertConverged("o6", a);
            assertEquals("AFTER", f.search.get("o6").orElseThrow().getStatus());
            assertTrue(f.search.versionOf("o6").orElseThrow() > paid, "versions only grow");
        }
    }

    @Test
    void aSaveThatFindsTheTurnTakenWaitsForItAndComesAfter() throws Exception {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            f.save(a, "o4", "NEW");
            long v2 = f.save(a, "o4", "PAID").version();
            CompletableFuture<WriteResult> aSave = new CompletableFuture<>();
            WriteResult bSave = b.saveWith("o4", () -> {
                // while B holds the turn, A's save (which remembers the record) finds it taken
                CompletableFuture.runAsync(() -> {
                    try {
                        aSave.complete(f.save(a, "o4", "SHIPPED"));
                    } catch (RuntimeException x) {
                        aSave.completeExceptionally(x);
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                // B's intent and A's, their versions not yet known
                org.bson.conversions.Bson open = Filters.and(Filters.eq("entityId", "o4"), Filters.eq("v", 0L));
                while (f.intents.countDocuments(open) < 2 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(2, f.intents.countDocuments(open), "A recorded its intent and waits");
                f.orders.updateOne(Filters.eq("_id", "o4"), Updates.combine(Updates.set("status", "PACKED"),
                        Updates.inc("version", 1L)));
            });
            WriteResult after = aSave.get(10, TimeUnit.SECONDS);
            assertEquals(v2 + 1, bSave.version(), "B's save, which held the turn");
            assertEquals(v2 + 2, after.version(), "A's save comes after it");
            assertEquals("SHIPPED", f.search.get("o4").orElseThrow().getStatus());
            assertEquals(after.version(), f.search.versionOf("o4").orElseThrow());
            f.assertConverged("o4", a, b);
        }
    }

    @Test
    void aSaveThatCannotHaveTheTurnLeavesNoIntentBehind() {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofMillis(50));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            f.save(a, "o5", "NEW");
            long v2 = f.save(a, "o5", "PAID").version();
            WriteResult bSave = b.saveWith("o5", () -> {
                PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> f.save(a, "o5", "LOST"));
                assertEquals(ErrorKind.TRANSIENT, e.kind(), "B holds the entity for longer than A waits: " + e);
                f.orders.updateOne(Filters.eq("_id", "o5"), Updates.combine(Updates.set("status", "PACKED"),
                        Updates.inc("version", 1L)));
            });
            assertEquals(v2 + 1, bSave.version());
            b.operations().flushAcknowledgements();
            assertEquals(0, f.intents.countDocuments(Filters.eq("entityId", "o5")),
                    "A's intent went with its failed save, and B's with its acknowledgement");
            f.assertConverged("o5", a, b);
        }
    }

    @Test
    void aReadBetweenTheBaseMoveAndTheEndOfTheSaveReportsNoVersionAboveTheSavesOwn() {
        try (DualWriter<Order> a = f.writer("A", true, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            f.save(a, "o7", "NEW");
            f.save(a, "o7", "PAID");
            // code outside the store deletes the document and inserts it anew, its version field back at 0
            f.orders.deleteOne(Filters.eq("_id", "o7"));
            Order outside = new Order("o7", "OUTSIDE");
            outside.setVersion(0L);
            f.orders.insertOne(outside);
            a.operations().flushAcknowledgements();
            // A's next save finds the re-creation and moves the version base; right then, before the same save
            // records the version field it left, a reconciliation repair on B reads the entity and delivers it
            long[] readDuring = new long[1];
            f.script.landThen("updateOne", () -> {
                readDuring[0] = b.operations().snapshot("o7").orElseThrow().version();
                b.operations().redeliver("search", java.util.List.of("o7"));
            });
            WriteResult after = f.save(a, "o7", "AFTER");
            assertTrue(f.script.done());
            assertTrue(readDuring[0] <= after.version(), "the read during the save saw the save's own state, so it"
                    + " cannot be at a version above the save's: read " + readDuring[0] + ", save " + after.version());
            WriteResult shipped = f.save(a, "o7", "SHIPPED");
            assertEquals("SHIPPED", f.search.get("o7").orElseThrow().getStatus(), "the next save reaches the sink (sink"
                    + " at " + f.search.versionOf("o7") + ", save at " + shipped.version() + ")");
            f.assertConverged("o7", a, b);
        }
    }

    @Test
    void anOutsideUpdateAfterAPutBackNeverTakesTheEntityBelowAVersionAReadReported() {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", false, Duration.ofSeconds(5))) {
            f.save(a, "o8", "NEW");
            Order backup = f.orders.find(Filters.eq("_id", "o8")).first();
            f.save(a, "o8", "PAID");
            // an operator puts back a copy from before the last save; a reconciliation repair tries to deliver it
            backup.setStatus("RESTORED");
            f.orders.replaceOne(Filters.eq("_id", "o8"), backup);
            long restored = b.operations().snapshot("o8").orElseThrow().version();
            b.operations().redeliver("search", java.util.List.of("o8"));
            // the application then edits the document outside the store (its own @Version increments)
            f.orders.updateOne(Filters.eq("_id", "o8"), Updates.combine(Updates.set("status", "EDITED"),
                    Updates.inc("version", 1L)));
            long edited = b.operations().snapshot("o8").orElseThrow().version();
            assertTrue(edited > restored, "versions only grow: the restored copy read at " + restored
                    + ", its edit at " + edited);
            WriteResult shipped = f.save(a, "o8", "SHIPPED");
            assertTrue(shipped.version() > restored, "the next save goes above what the sinks hold: " + restored
                    + " then " + shipped.version());
            f.assertConverged("o8", a, b);
            assertEquals("SHIPPED", f.search.get("o8").orElseThrow().getStatus());
        }
    }

    @Test
    void aDocumentDeletedThroughTheStoreAndCreatedAgainOutsideItGetsVersionsAboveItsTombstone() {
        try (DualWriter<Order> a = f.writer("A", false, Duration.ofSeconds(5))) {
            f.save(a, "o9", "NEW");
            f.save(a, "o9", "PAID");
            long deleted = a.deleteWith("o9", () -> f.orders.deleteOne(Filters.eq("_id", "o9"))).version();
            assertTrue(f.search.isDeleted("o9"));
            // the application creates the id again, outside the store, its version field starting at 0
            Order outside = new Order("o9", "OUTSIDE");
            outside.setVersion(0L);
            f.orders.insertOne(outside);
            WriteResult again = f.save(a, "o9", "AGAIN");
            assertTrue(again.version() > deleted, "versions only grow: deleted at " + deleted + ", saved again at "
                    + again.version());
            f.assertConverged("o9", a);
            assertEquals("AGAIN", f.search.get("o9").orElseThrow().getStatus());
        }
    }
}
