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
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write-ahead save of an id its instance does not know, where ids it did not know have lately been new, creates
 * the entity's record with its write turn and records its intent in one command, conditional on there being no
 * record. These are the interleavings in which that guess is wrong or the command's outcome is unknown: each must
 * end with the sinks holding what the primary holds, at its version, versions only growing, nothing left pending.
 */
class WriteAheadFirstTurnTest extends ScriptedWriteAheadFixture {


    @Test
    void aNewIdIsCreatedAndDeliveredAtItsFirstVersion() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            leanNew(a, "lean");
            clock.advance(Duration.ofSeconds(1));
            WriteResult created = save(a, "n1", "NEW");
            WriteResult next = save(a, "n1", "PAID");
            assertEquals(io.dualwrite.Versions.firstVersion(clock.instant()) + 1, created.version(),
                    "a new entity's versions start at its commit time (its version field 1 after the caller's upsert)");
            assertTrue(created.fullyApplied() && created.versionKnown(), "delivered: " + created);
            assertEquals(created.version() + 1, next.version());
            assertEquals("PAID", search.get("n1").orElseThrow().getStatus());
            assertConverged("n1", a);
        }
    }

    @Test
    void anEntityDeletedThroughTheStoreAndCreatedAgainByAnInstanceThatGuessesNewGoesAboveItsTombstone() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "d1", "NEW");
            long paid = save(a, "d1", "PAID").version();
            long deleted = delete(a, "d1").version();
            assertTrue(deleted > paid);
            // B has only seen new ids: it guesses d1 is new, but d1's record (its tombstone) is there
            leanNew(b, "b");
            WriteResult again = save(b, "d1", "AGAIN");
            assertTrue(again.version() > deleted, "the re-creation goes above the tombstone: " + deleted + " then "
                    + again.version());
            assertTrue(again.fullyApplied(), "delivered: " + again);
            assertEquals("AGAIN", search.get("d1").orElseThrow().getStatus());
            assertConverged("d1", a, b);
        }
    }

    @Test
    void anEntitySavedByAnotherInstanceIsContinuedByAnInstanceThatGuessesNew() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            save(a, "k1", "NEW");
            long paid = save(a, "k1", "PAID").version();
            leanNew(b, "b");
            WriteResult shipped = save(b, "k1", "SHIPPED");
            assertEquals(paid + 1, shipped.version(), "B's save continues A's versions");
            assertTrue(shipped.fullyApplied() && shipped.versionKnown(), "delivered: " + shipped);
            WriteResult after = save(a, "k1", "DONE");
            assertEquals(paid + 2, after.version(), "and A's next save continues B's");
            assertConverged("k1", a, b);
        }
    }

    @Test
    void twoInstancesCreatingTheSameNewIdTakeTurns() throws Exception {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            leanNew(a, "a");
            leanNew(b, "b");
            AtomicReference<CompletableFuture<WriteResult>> bSave = new AtomicReference<>();
            WriteResult aSave = a.saveWith("t1", () -> {
                // while A holds the turn of the record it just created, B creates the same id
                bSave.set(saveWaitingForTheTurn(b, "t1", "FROM-B"));
                orders.updateOne(Filters.eq("_id", "t1"), Updates.combine(Updates.set("status", "FROM-A"),
                        Updates.inc("version", 1L)), new com.mongodb.client.model.UpdateOptions().upsert(true));
            });
            WriteResult after = bSave.get().get(10, TimeUnit.SECONDS);
            assertTrue(aSave.fullyApplied() && after.fullyApplied(), aSave + " " + after);
            assertEquals(aSave.version() + 1, after.version(), "B's save comes after A's, which created the entity");
            assertEquals("FROM-B", search.get("t1").orElseThrow().getStatus());
            assertConverged("t1", a, b);
        }
    }

    @Test
    void aLostReplyToTheFirstTurnIsNothingWrittenAndTheRetryNeedNotWait() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofMillis(300))) {
            leanNew(a, "lean");
            a.operations().flushAcknowledgements(); // no acknowledgement (also a bulkWrite) comes in between
            // the first command of the save of a new id (the record with the turn, and the intent) lands, its reply not
            script.landThenLoseReply("bulkWrite", () -> { });
            AtomicBoolean ran = new AtomicBoolean();
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> a.saveWith("l1", () -> {
                ran.set(true);
                orders.updateOne(Filters.eq("_id", "l1"), Updates.inc("version", 1L));
            }));
            assertTrue(script.done());
            assertFalse(ran.get(), "the caller's save did not run");
            assertEquals(ErrorKind.TRANSIENT, e.kind(), "nothing was written, so the caller may retry: " + e);
            // the caller retries at once: the turn the lost command took is over, the retry does not wait for its lease
            WriteResult retried = save(a, "l1", "NEW");
            assertTrue(retried.fullyApplied() && retried.versionKnown(), "delivered: " + retried);
            assertEquals("NEW", search.get("l1").orElseThrow().getStatus());
            assertConverged("l1", a);
        }
    }

    @Test
    void aDocumentWrittenBeforeTheStoreManagedItIsSavedAboveWhatAReadDeliveredOfIt() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            Order old = new Order("adopted", "OLD");
            old.setVersion(3L);
            orders.insertOne(old);
            // a reconciliation repair delivers the document as it is, before any save through the store
            long read = b.operations().snapshot("adopted").orElseThrow().version();
            b.operations().redeliver("search", List.of("adopted"));
            assertEquals(read, search.versionOf("adopted").orElseThrow());
            leanNew(a, "lean");
            WriteResult saved = save(a, "adopted", "SAVED");
            assertTrue(saved.version() > read, "the save goes above the version the sink holds: " + read + " then "
                    + saved.version());
            assertTrue(saved.fullyApplied(), "delivered: " + saved);
            assertEquals("SAVED", search.get("adopted").orElseThrow().getStatus());
            assertConverged("adopted", a, b);
        }
    }
}
