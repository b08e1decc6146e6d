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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write-ahead save returns before its last command (its version on its intent, the end of its write turn) is
 * sent: that command goes with the writer's next acknowledgement batch, or in the command with which the same
 * instance's next save of the entity takes the turn. These are the interleavings in which it is late, lost or never
 * sent: another instance waiting for the turn, a crash before it is sent, a refused or lost acknowledgement batch, a
 * lost reply to the command that hands the turn over, a delete right after. Each must end with versions that only
 * grow, the sinks holding what the primary holds, and nothing left pending. The writers here acknowledge only when
 * flushed (an interval of an hour), so when the command goes is the test's choice.
 */
@ExtendWith(MongoExtension.class)
class DeferredTurnEndTest {
    private static final Duration LEASE = Duration.ofMinutes(1);
    private WriteAheadFixture f;

    @BeforeEach
    void setUp(MongoDatabase db) {
        f = new WriteAheadFixture(db, LEASE);
    }

    /** @return a writer on its own store, its intent collection scripted when asked, that acknowledges when flushed */
    private DualWriter<Order> writer(String name, boolean scripted, Duration writeWait) {
        return f.writer(name, f.store(scripted ? f.script.wrap(f.intents) : f.intents, writeWait), Duration.ofHours(1));
    }

    @Test
    void aSaveReturnsHoldingItsTurnAndTheNextAcknowledgementsEndIt() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            WriteResult saved = f.save(a, "d1", "NEW");
            assertTrue(saved.fullyApplied() && saved.versionKnown(), "delivered: " + saved);
            assertNotNull(f.record("d1").get("turnOwner"), "the save returned before its last command was sent");
            assertEquals(1, f.intents.countDocuments(Filters.and(Filters.eq("entityId", "d1"), Filters.eq("v", 0L))),
                    "its intent does not know its version yet, so no acknowledgement could take it");
            a.operations().flushAcknowledgements();
            BsonDocument record = f.record("d1");
            assertNull(record.get("turnOwner"), "the acknowledgement batch ended the turn");
            assertEquals(f.orders.find(Filters.eq("_id", "d1")).first().getVersion(), record.getNumber("last").longValue(),
                    "and the record remembers the version field the save left");
            assertEquals(0, f.intents.countDocuments(Filters.exists("entityId")),
                    "the intent learned its version ahead of its acknowledgement in the same command, which removed it");
        }
    }

    @Test
    void anotherInstanceWaitsForTheDeferredTurnEndAndComesAfter() throws Exception {
        HookedCollection bScript = new HookedCollection();
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = f.writer("B", f.store(bScript.wrap(f.intents), Duration.ofSeconds(10)), null)) {
            long v1 = f.save(a, "d2", "NEW").version();
            AtomicBoolean bWrote = new AtomicBoolean();
            CountDownLatch bTried = new CountDownLatch(1);
            AtomicBoolean wroteBeforeTurn = new AtomicBoolean();
            // B tries for the turn a second time only because its first try found it held by A's save
            bScript.first("findOneAndUpdate", () -> { }).first("findOneAndUpdate", () -> {
                wroteBeforeTurn.set(bWrote.get());
                bTried.countDown();
            });
            CompletableFuture<WriteResult> bSave = CompletableFuture.supplyAsync(() -> b.saveWith("d2", () -> {
                bWrote.set(true);
                f.orders.updateOne(Filters.eq("_id", "d2"), Updates.combine(Updates.set("status", "PAID"),
                        Updates.inc("version", 1L)));
            }));
            assertTrue(bTried.await(10, TimeUnit.SECONDS), "B tried to take the turn again");
            assertFalse(wroteBeforeTurn.get(), "B's write waits while A's save holds the entity");
            a.operations().flushAcknowledgements();
            WriteResult after = bSave.get(10, TimeUnit.SECONDS);
            assertEquals(v1 + 1, after.version(), "B's save comes after A's");
            assertEquals("PAID", f.search.get("d2").orElseThrow().getStatus());
            f.assertConverged("d2", a, b);
        }
    }

    @Test
    void aCrashBeforeTheDeferredCommandIsSentLeavesTheTurnToItsLeaseAndRecoveryTheVersion() {
        DualWriter<Order> crashed = writer("A", false, Duration.ofSeconds(5));
        try (DualWriter<Order> b = writer("B", false, Duration.ofMillis(50))) {
            long v1 = f.save(crashed, "d3", "NEW").version();
            // A stops here: it never flushes again (it is closed only when the test ends)
            PrimaryWriteException held = assertThrows(PrimaryWriteException.class, () -> f.save(b, "d3", "TOO SOON"));
            assertEquals(ErrorKind.TRANSIENT, held.kind(), "nothing was written while A's turn holds: " + held);
            f.clock.advance(LEASE.plusSeconds(1));
            WriteResult after = f.save(b, "d3", "PAID");
            assertEquals(v1 + 1, after.version(), "once the lease ran out, B's save follows A's");
            assertEquals("PAID", f.search.get("d3").orElseThrow().getStatus());
            f.assertConverged("d3", b);
        } finally {
            crashed.close();
        }
        assertEquals("PAID", f.search.get("d3").orElseThrow().getStatus(), "A's late command changed nothing");
        assertNull(f.record("d3").get("turnOwner"));
    }

    @Test
    void aRefusedAcknowledgementBatchKeepsTheTurnEndForTheNextFlush() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(50))) {
            long v1 = f.save(a, "d4", "NEW").version();
            f.script.refuse("bulkWrite");
            a.operations().flushAcknowledgements();
            assertTrue(f.script.done());
            assertNotNull(f.record("d4").get("turnOwner"), "the refused batch ended nothing");
            assertThrows(PrimaryWriteException.class, () -> f.save(b, "d4", "TOO SOON"));
            a.operations().flushAcknowledgements();
            assertNull(f.record("d4").get("turnOwner"), "the next flush sent the turn's end again");
            WriteResult after = f.save(b, "d4", "PAID");
            assertEquals(v1 + 1, after.version());
            f.assertConverged("d4", a, b);
        }
    }

    @Test
    void aLostReplyToTheAcknowledgementBatchThatEndedTheTurnDoesNoHarmWhenSentAgain() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(50))) {
            long v1 = f.save(a, "d5", "NEW").version();
            f.script.landThenLoseReply("bulkWrite", () -> { });
            a.operations().flushAcknowledgements();
            assertTrue(f.script.done());
            assertNull(f.record("d5").get("turnOwner"), "the batch landed");
            long v2 = f.save(b, "d5", "PAID").version();
            // A sends the command again, now that B holds or held the turn: it must change nothing of B's
            a.operations().flushAcknowledgements();
            assertEquals(v1 + 1, v2);
            WriteResult third = f.save(b, "d5", "SHIPPED");
            assertEquals(v2 + 1, third.version(), "the record still remembers B's save");
            f.assertConverged("d5", a, b);
        }
    }

    @Test
    void theNextSaveOfTheSameInstanceTakesTheTurnOverAndALostReplyToThatIsNothingWritten() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofMillis(300))) {
            long v1 = f.save(a, "d6", "NEW").version();
            long v2 = f.save(a, "d6", "PAID").version();
            assertEquals(v1 + 1, v2, "the second save took the turn over from the first");
            // the third save's first command (the second's end, the hand-over, the intent) lands; its reply does not
            f.assertALostFirstReplyWritesNothingAndTheRetryFollows(a, "d6", v2);
            f.assertConverged("d6", a);
        }
    }

    @Test
    void aRefusedHandOverLeavesThePreviousSavesEndToBeSentAgain() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofMillis(300));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(50))) {
            long v1 = f.save(a, "d7", "NEW").version();
            f.script.refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> f.save(a, "d7", "REFUSED"));
            assertTrue(f.script.done());
            assertNotNull(f.record("d7").get("turnOwner"), "the first save still holds the entity");
            a.operations().flushAcknowledgements();
            assertNull(f.record("d7").get("turnOwner"), "its end was kept and sent with the next flush");
            WriteResult after = f.save(b, "d7", "PAID");
            assertEquals(v1 + 1, after.version());
            f.assertConverged("d7", a, b);
        }
    }

    @Test
    void aDeleteRightAfterADeferredSaveEndsThatSavesTurnFirst() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofMillis(300))) {
            long v1 = f.save(a, "d8", "NEW").version();
            WriteResult deleted = a.deleteWith("d8", () -> f.orders.deleteOne(Filters.eq("_id", "d8")));
            assertEquals(v1 + 1, deleted.version(), "the delete comes right after the save");
            assertTrue(f.search.isDeleted("d8"));
            a.operations().flushAcknowledgements();
            WriteResult again = f.save(a, "d8", "AGAIN");
            assertTrue(again.version() > deleted.version(), "a re-creation goes above the delete");
            assertEquals("AGAIN", f.search.get("d8").orElseThrow().getStatus());
            f.assertConverged("d8", a);
        }
    }
}
