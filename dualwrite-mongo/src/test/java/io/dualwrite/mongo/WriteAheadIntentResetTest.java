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
import org.junit.jupiter.api.Test;

import java.time.Duration;

/**
 * The reset of a save's intent to an unknown version (v = 0) and the upsert of a delete's intent, when the
 * write's last command does not fully match (turn ran out, or intent gone).
 */
class WriteAheadIntentResetTest extends ScriptedWriteAheadFixture {
    private static final Duration SHORT_WAIT = Duration.ofMillis(50);
    private static final Duration PAST_SETTLE = MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1));

    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, SHORT_WAIT);
    }


    private void saveRaw(String id, String status) {
        orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", status),
                Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException expected) {
            // an unknown or failed outcome is fair here: convergence is what is checked
        }
    }

    // ------------------------------------------------------------------ faults on the reset command itself

    /**
     * A's save held past the settle time: B's recovery settles, delivers and acknowledges its intent (gone); the caller's
     * save then lands. A's acknowledgements are flushed first, so that the script counts only the save's own commands:
     * the short turn, the finish, then the reset.
     */
    private void heldSaveWhoseIntentRecoveryAcknowledged(String id, Runnable scriptTheCommands) {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, id, "FIRST");
            a.operations().flushAcknowledgements();
            scriptTheCommands.run();
            quietly(() -> a.saveWith(id, () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                saveRaw(id, "SECOND");
            }));
            org.junit.jupiter.api.Assertions.assertTrue(script.done(), "every scripted step happened");
            assertConverged(id, a, b);
        }
    }

    /** The finish (intent gone, record matched) lands and its reply is lost: the reset never runs. */
    @Test
    void heldSaveFinishLandsReplyLost() {
        heldSaveWhoseIntentRecoveryAcknowledged("f1", () -> script.first("bulkWrite", () -> { })
                .landThenLoseReply("bulkWrite", () -> { }));
    }

    /** The finish is refused (the primary unreachable): the reset never runs. */
    @Test
    void heldSaveFinishRefused() {
        heldSaveWhoseIntentRecoveryAcknowledged("f2", () -> script.first("bulkWrite", () -> { }).refuse("bulkWrite"));
    }

    /** The finish lands, the reset lands and its reply is lost. */
    @Test
    void heldSaveResetLandsReplyLost() {
        heldSaveWhoseIntentRecoveryAcknowledged("f4", () -> script.first("bulkWrite", () -> { })
                .first("bulkWrite", () -> { }).landThenLoseReply("bulkWrite", () -> { }));
    }

    // ------------------------------------------------------------------ races around the reset

    /**
     * Recovery settles and delivers A's held save's intent (no flush). A's save lands; right after A's finish (turn ran
     * out: the intent took the new version), B flushes its acknowledgement and recovers again before A's reset.
     */
    @Test
    void resetRacingAcknowledgementsAndRecoveryBetweenFinishAndReset() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "s1", "FIRST");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).landThen("bulkWrite", () -> {
                b.operations().flushAcknowledgements();
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
            });
            quietly(() -> a.saveWith("s1", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                saveRaw("s1", "SECOND");
            }));
            org.junit.jupiter.api.Assertions.assertTrue(script.done());
            assertConverged("s1", a, b);
        }
    }

    /** A save's reset intent; then B deletes the entity through the store and creates it again; then recovery. */
    @Test
    void resetIntentThenDeleteAndRecreateThroughTheStore() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "s2", "FIRST");
            quietly(() -> a.saveWith("s2", () -> {
                clock.advance(Duration.ofMinutes(2));
                saveRaw("s2", "SECOND");
            }));
            quietly(() -> delete(b, "s2"));
            quietly(() -> save(b, "s2", "AGAIN"));
            b.operations().flushAcknowledgements();
            assertConverged("s2", a, b);
        }
    }

    /** A save's reset intent; then B deletes the entity through the store (acknowledged); recovery only then. */
    @Test
    void resetIntentThenDeleteThroughTheStore() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "s3", "FIRST");
            quietly(() -> a.saveWith("s3", () -> {
                clock.advance(Duration.ofMinutes(2));
                saveRaw("s3", "SECOND");
            }));
            quietly(() -> delete(b, "s3"));
            b.operations().flushAcknowledgements();
            assertConverged("s3", a, b);
        }
    }

    /**
     * A's save held past the settle time; in it B deletes the entity and creates it again (B's creation fails, leaving
     * its intent), then A's save (an upsert) lands; the reset follows.
     */
    @Test
    void resetIntentOfASaveHeldWhileDeleteAndFailedCreation() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "s4", "FIRST");
            quietly(() -> a.saveWith("s4", () -> {
                clock.advance(Duration.ofMinutes(2));
                quietly(() -> delete(b, "s4"));
                b.operations().flushAcknowledgements();
                quietly(() -> b.saveWith("s4", () -> {
                    throw new IllegalStateException("the application's own failure");
                }));
                saveRaw("s4", "A");
            }));
            assertConverged("s4", a, b);
        }
    }

    /**
     * A delete whose turn ran out after its caller's delete; B re-creates through the store (slow acks), A's finish
     * upserts the delete intent and deleteAfterLostTurn sees the entity; B then deletes again; acks flushed late.
     */
    @Test
    void upsertedDeleteIntentThenRecreateAndDeleteAgain() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "d1", "FIRST");
            quietly(() -> a.deleteWith("d1", () -> {
                orders.deleteOne(Filters.eq("_id", "d1"));
                clock.advance(Duration.ofMinutes(2));
                quietly(() -> save(b, "d1", "AGAIN"));
            }));
            quietly(() -> delete(b, "d1"));
            b.operations().flushAcknowledgements();
            assertConverged("d1", a, b);
        }
    }

    /** A delete intent upserted by a finish racing recovery: the delete held past the settle time, B re-creates. */
    @Test
    void deleteHeldPastSettleThenRecreatedThenDeleteLandsNothing() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "d2", "FIRST");
            quietly(() -> a.deleteWith("d2", () -> {
                orders.deleteOne(Filters.eq("_id", "d2"));
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                quietly(() -> save(b, "d2", "AGAIN"));
                b.operations().flushAcknowledgements();
            }));
            a.operations().flushAcknowledgements();
            assertConverged("d2", a, b);
        }
    }

    /** A save whose finish lands and loses its reply while B saves: the reset never runs (the finish threw). */
    @Test
    void finishLostReplyAfterTurnRanOut() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = slowAcks("B")) {
            save(a, "s5", "FIRST");
            a.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).landThenLoseReply("bulkWrite", () -> { });
            quietly(() -> a.saveWith("s5", () -> {
                clock.advance(Duration.ofMinutes(2));
                quietly(() -> save(b, "s5", "B"));
                saveRaw("s5", "A");
            }));
            b.operations().flushAcknowledgements();
            assertConverged("s5", a, b);
        }
    }

    /** A save held past the settle time; recovery acknowledges its intent, B saves through the store; A's save lands. */
    @Test
    void heldSaveWhileRecoveryAcknowledgesAndAnotherSaveComesBetween() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "h1", "FIRST");
            quietly(() -> a.saveWith("h1", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                quietly(() -> save(b, "h1", "B"));
                saveRaw("h1", "A");
            }));
            b.operations().flushAcknowledgements();
            assertConverged("h1", a, b);
        }
    }

    /**
     * A save held past the settle time; recovery acknowledges its intent, B deletes; A's save (an upsert) re-creates the
     * document at version field 1, below what the store gave: A's moveBase finds its turn over and throws
     * IllegalStateException, which skips the finish and the reset, so no intent records A's re-creation.
     */
    @Test
    void heldSaveWhileRecoveryAcknowledgesAndADeleteComesBetween() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "h2", "FIRST");
            quietly(() -> a.saveWith("h2", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                quietly(() -> delete(b, "h2"));
                saveRaw("h2", "A");
            }));
            b.operations().flushAcknowledgements();
            assertConverged("h2", a, b);
        }
    }

    /** A save whose reset intent is there; B deletes, A's retry (the application's) re-creates; acks flushed late. */
    @Test
    void resetIntentThenDeleteThenRetryOfTheSave() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "h3", "FIRST");
            quietly(() -> a.saveWith("h3", () -> {
                clock.advance(Duration.ofMinutes(2));
                saveRaw("h3", "SECOND");
            }));
            quietly(() -> delete(b, "h3"));
            clock.advance(PAST_SETTLE);
            b.operations().recoverDue();
            quietly(() -> save(a, "h3", "THIRD"));
            b.operations().flushAcknowledgements();
            a.operations().flushAcknowledgements();
            assertConverged("h3", a, b);
        }
    }

    /**
     * A delete held past the settle time: recovery drops its intent as a delete that never happened; the caller's
     * delete lands; the delete's finish (which would record its intent again) is refused.
     */
    @Test
    void heldDeleteWhoseIntentRecoveryDroppedFinishRefused() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "e1", "FIRST");
            a.operations().flushAcknowledgements();
            script.refuse("bulkWrite");
            quietly(() -> a.deleteWith("e1", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                orders.deleteOne(Filters.eq("_id", "e1"));
            }));
            org.junit.jupiter.api.Assertions.assertTrue(script.done(), "every scripted step happened");
            assertConverged("e1", a, b);
        }
    }

    /** The same, the delete's finish landing with its reply lost. */
    @Test
    void heldDeleteWhoseIntentRecoveryDroppedFinishLandsReplyLost() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "e2", "FIRST");
            a.operations().flushAcknowledgements();
            script.landThenLoseReply("bulkWrite", () -> { });
            quietly(() -> a.deleteWith("e2", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                orders.deleteOne(Filters.eq("_id", "e2"));
            }));
            org.junit.jupiter.api.Assertions.assertTrue(script.done(), "every scripted step happened");
            assertConverged("e2", a, b);
        }
    }
}
