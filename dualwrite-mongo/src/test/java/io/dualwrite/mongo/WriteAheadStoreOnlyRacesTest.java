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
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Store-only interleavings (nothing outside the store writes the document; the application's own failures and lost
 * replies are fair): turns running out inside the caller's write, recovery and acknowledgements while a caller's
 * write is held, a second instance whose clock is seconds ahead, and delete/save/delete with lost replies.
 */
class WriteAheadStoreOnlyRacesTest extends ScriptedWriteAheadFixture {
    private static final Duration SHORT_WAIT = Duration.ofMillis(50);
    private static final Duration PAST_SETTLE = MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1));
    private final List<Long> seen = new ArrayList<>();

    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, SHORT_WAIT);
    }

    /** A second instance with its own clock (its store and its writer both on it). */
    private DualWriter<Order> writerOn(String name, MutableClock own) {
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(intents).writeLease(Duration.ofMinutes(1), SHORT_WAIT).clock(own).build();
        return DualWriter.<Order>builder().entityType("order").clock(own).workerId(name).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }



    private void saveRaw(String id, String status) {
        orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", status),
                Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
    }


    /** Records the sink's version of the entity and checks it never went down. */
    private void observe(String id) {
        OptionalLong v = search.versionOf(id);
        if (v.isPresent()) {
            if (!seen.isEmpty()) {
                assertTrue(v.getAsLong() >= seen.get(seen.size() - 1), "the sink's version went down: " + seen + " then "
                        + v.getAsLong());
            }
            seen.add(v.getAsLong());
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException expected) {
            // an unknown or failed outcome is fair here: convergence is what is checked
        }
    }

    // ------------------------------------------------------------------ recovery while a caller's write is held

    /**
     * A's caller's save is held past the settle time; meanwhile B's recovery settles A's intent at the version the
     * entity holds then (the one the sink already has), delivers it and acknowledges it, so the intent is gone. A's
     * save then lands: its last command finds no intent to give the version to, reports UNKNOWN_OUTCOME, and delivers
     * nothing itself. Nothing is left to deliver the new state.
     */
    @Test
    void aSaveHeldPastTheSettleTimeWhoseIntentRecoveryAcknowledgedIsStillDelivered() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "r1", "FIRST");
            observe("r1");
            quietly(() -> a.saveWith("r1", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                observe("r1");
                saveRaw("r1", "SECOND");
            }));
            observe("r1");
            assertConverged("r1", a, b);
            observe("r1");
        }
    }

    /** The same, with recovery only settling and delivering (no acknowledgement flushed while the save is held). */
    @Test
    void aSaveHeldPastTheSettleTimeWhileRecoveryDeliversWithoutFlushing() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "r2", "FIRST");
            quietly(() -> a.saveWith("r2", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                saveRaw("r2", "SECOND");
            }));
            observe("r2");
            assertConverged("r2", a, b);
            observe("r2");
        }
    }

    /**
     * A save of a new entity held past the settle time: recovery drops its intent as an orphan (the entity does not
     * exist yet), then the caller's save creates it.
     */
    @Test
    void aCreationHeldPastTheSettleTimeWhoseIntentRecoveryDroppedIsStillDelivered() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            quietly(() -> a.saveWith("r3", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                saveRaw("r3", "FIRST");
            }));
            assertConverged("r3", a, b);
        }
    }

    /** A delete held past the settle time: recovery drops its intent as a delete that never happened, then it lands. */
    @Test
    void aDeleteHeldPastTheSettleTimeWhoseIntentRecoveryDroppedIsStillDelivered() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "r4", "FIRST");
            quietly(() -> a.deleteWith("r4", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                orders.deleteOne(Filters.eq("_id", "r4"));
            }));
            observe("r4");
            assertConverged("r4", a, b);
        }
    }

    /**
     * A delete held past the settle time; recovery drops its intent, B saves through the store (taking the turn A's
     * lease left), then A's caller's delete lands and removes B's save.
     */
    @Test
    void aDeleteHeldPastTheSettleTimeThenASaveThenTheDeleteLands() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "r5", "FIRST");
            quietly(() -> a.deleteWith("r5", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                quietly(() -> save(b, "r5", "B"));
                observe("r5");
                orders.deleteOne(Filters.eq("_id", "r5"));
            }));
            observe("r5");
            assertConverged("r5", a, b);
            observe("r5");
        }
    }

    // ------------------------------------------------------------------ turns running out

    /**
     * A save's turn runs out before its caller's save (an upsert) lands; B deletes through the store meanwhile; A's save
     * then lands and creates the document again at version field 1.
     */
    @Test
    void aSaveWhoseTurnRanOutRecreatesAfterADeleteOfAnotherInstance() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "t1", "FIRST");
            save(a, "t1", "SECOND");
            observe("t1");
            quietly(() -> a.saveWith("t1", () -> {
                clock.advance(Duration.ofMinutes(2));
                quietly(() -> delete(b, "t1"));
                b.operations().flushAcknowledgements();
                observe("t1");
                saveRaw("t1", "THIRD");
            }));
            observe("t1");
            assertConverged("t1", a, b);
            observe("t1");
            WriteResult next = save(b, "t1", "FOURTH");
            assertTrue(next.version() > seen.get(seen.size() - 1), "a later save goes above what the sink held: " + seen
                    + " then " + next.version());
            assertConverged("t1", a, b);
        }
    }

    /**
     * A delete's turn runs out after its caller's delete landed; B creates the entity again through the store, its
     * delivery is acknowledged (removing A's delete intent), then A's last command records the delete intent again.
     */
    @Test
    void aDeleteIntentRecordedAgainAfterTheEntityWasCreatedAgainThroughTheStore() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "t2", "FIRST");
            quietly(() -> a.deleteWith("t2", () -> {
                orders.deleteOne(Filters.eq("_id", "t2"));
                clock.advance(Duration.ofMinutes(2));
                quietly(() -> save(b, "t2", "AGAIN"));
                b.operations().flushAcknowledgements();
                observe("t2");
            }));
            observe("t2");
            a.operations().flushAcknowledgements();
            assertConverged("t2", a, b);
            observe("t2");
            quietly(() -> delete(b, "t2"));
            observe("t2");
            assertConverged("t2", a, b);
        }
    }

    /** A read of another instance learns A's save between its landing and its last command (its turn ran out). */
    @Test
    void aReadLearnsASaveWhoseTurnRanOutThenAnotherSaveComesBetween() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "t3", "FIRST");
            quietly(() -> a.saveWith("t3", () -> {
                saveRaw("t3", "SECOND");
                clock.advance(Duration.ofMinutes(2));
                b.operations().snapshot("t3");
                quietly(() -> save(b, "t3", "THIRD"));
                observe("t3");
            }));
            observe("t3");
            assertConverged("t3", a, b);
            observe("t3");
        }
    }

    // ------------------------------------------------------------------ two clocks

    /** B's clock is 30 s ahead: it takes A's turn 30 s early, while A's caller's save is on its way. */
    @Test
    void aSecondInstanceWhoseClockIsAheadTakesTheTurnEarly() {
        MutableClock ahead = new MutableClock(Fixture.START.plusSeconds(30));
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writerOn("B", ahead)) {
            save(a, "c1", "FIRST");
            quietly(() -> a.saveWith("c1", () -> {
                clock.advance(Duration.ofSeconds(40));
                ahead.advance(Duration.ofSeconds(40));
                quietly(() -> save(b, "c1", "B"));
                observe("c1");
                saveRaw("c1", "A");
            }));
            observe("c1");
            quietly(() -> a.deleteWith("c1", () -> {
                clock.advance(Duration.ofSeconds(40));
                ahead.advance(Duration.ofSeconds(40));
                quietly(() -> save(b, "c1", "B2"));
                observe("c1");
                orders.deleteOne(Filters.eq("_id", "c1"));
            }));
            observe("c1");
            ahead.advance(PAST_SETTLE.plus(Duration.ofMinutes(1)));
            assertConverged("c1", a, b);
            observe("c1");
        }
    }

    /** B's clock is 30 s behind, so its creation's base is lower: A deletes, B creates again, A saves. */
    @Test
    void aSecondInstanceWhoseClockIsBehindCreatesAgainAfterADelete() {
        MutableClock behind = new MutableClock(Fixture.START.minusSeconds(30));
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writerOn("B", behind)) {
            save(a, "c2", "FIRST");
            delete(a, "c2");
            a.operations().flushAcknowledgements();
            observe("c2");
            save(b, "c2", "B");
            observe("c2");
            save(a, "c2", "A");
            observe("c2");
            assertConverged("c2", a, b);
        }
    }

    // ------------------------------------------------------------------ delete, save, delete with lost replies

    /** Each of delete, save, delete loses the reply of its last command; the save's caller's reply is lost too. */
    @Test
    void deleteSaveDeleteWithLostRepliesAtEachLastCommand() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "d1", "FIRST");
            script.landThenLoseReply("bulkWrite", () -> { });
            quietly(() -> delete(a, "d1"));
            observe("d1");
            quietly(() -> a.saveWith("d1", () -> {
                saveRaw("d1", "SECOND");
                throw lostReply();
            }));
            clock.advance(Duration.ofMinutes(2));
            script.landThenLoseReply("bulkWrite", () -> { });
            quietly(() -> delete(a, "d1"));
            observe("d1");
            assertTrue(script.done());
            assertConverged("d1", a, b);
            observe("d1");
        }
    }

    /** Delete whose finish is refused, a save through another instance, a delete whose take of the turn is lost. */
    @Test
    void deleteRefusedFinishThenSaveThenDeleteWithLostTurnReply() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "d2", "FIRST");
            script.refuse("bulkWrite");
            quietly(() -> delete(a, "d2"));
            observe("d2");
            quietly(() -> save(b, "d2", "SECOND"));
            observe("d2");
            script.landThenLoseReply("findOneAndUpdate", () -> { });
            quietly(() -> delete(a, "d2"));
            quietly(() -> delete(a, "d2"));
            observe("d2");
            assertConverged("d2", a, b);
            observe("d2");
        }
    }

    /**
     * A delete's finish lands and loses its reply while B (whose turn A's just ended) saves in between; A's delete then
     * is retried, with recovery and acknowledgements between each step.
     */
    @Test
    void deleteFinishLostWhileASaveComesBetweenThenRecovery() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "d3", "FIRST");
            script.landThenLoseReply("bulkWrite", () -> quietly(() -> save(b, "d3", "BETWEEN")));
            quietly(() -> delete(a, "d3"));
            observe("d3");
            b.operations().flushAcknowledgements();
            clock.advance(PAST_SETTLE);
            b.operations().recoverDue();
            b.operations().flushAcknowledgements();
            observe("d3");
            quietly(() -> delete(a, "d3"));
            observe("d3");
            assertConverged("d3", a, b);
            observe("d3");
        }
    }

    /**
     * A save's last command is refused (the record does not learn its version field, the intent not its version); a
     * delete held past the settle time, during which recovery settles the save's intent and drops the delete's.
     */
    @Test
    void aSaveWithARefusedFinishThenADeleteHeldWhileRecoveryRuns() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "d4", "FIRST");
            save(a, "d4", "SECOND");
            // the short turn is a bulkWrite as well: let it through, refuse the last command
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            quietly(() -> save(a, "d4", "THIRD"));
            observe("d4");
            quietly(() -> a.deleteWith("d4", () -> {
                clock.advance(PAST_SETTLE);
                b.operations().recoverDue();
                b.operations().flushAcknowledgements();
                observe("d4");
                orders.deleteOne(Filters.eq("_id", "d4"));
            }));
            observe("d4");
            assertConverged("d4", a, b);
            observe("d4");
        }
    }

    /**
     * A's delete (version v) holds its caller's delete past its turn; B saves through the store (taking v for its state)
     * and then deletes (v + 1); A's caller's delete then finds nothing to delete. A's re-take of the turn sees the
     * entity gone and no last save in the record (B's delete forgot it), so it reports its delete WRITTEN at v: a
     * version a sink was given for B's save.
     */
    @Test
    void aDeleteWhoseTurnRanOutAfterASaveAndADeleteOfAnotherInstanceDoesNotReuseTheSavesVersion() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "g1", "FIRST");
            WriteResult[] between = new WriteResult[2];
            WriteResult[] ours = new WriteResult[1];
            quietly(() -> ours[0] = a.deleteWith("g1", () -> {
                clock.advance(Duration.ofMinutes(2));
                between[0] = save(b, "g1", "B");
                observe("g1");
                between[1] = delete(b, "g1");
                observe("g1");
                orders.deleteOne(Filters.eq("_id", "g1"));
            }));
            observe("g1");
            assertTrue(between[0] != null && between[1] != null, "B's writes went through");
            if (ours[0] != null) {
                assertTrue(ours[0].version() != between[0].version(), "A's delete is reported at " + ours[0].version()
                        + ", the version B's save was delivered at (" + between[0] + ")");
                assertTrue(ours[0].version() > between[1].version() || ours[0].version() == between[1].version(),
                        "A's delete (" + ours[0].version() + ") is below B's delete (" + between[1].version() + ")");
            }
            assertConverged("g1", a, b);
        }
    }

    /** The same, but B's delete happens after A's caller's delete would have: A's caller's delete lands first. */
    @Test
    void aDeleteWhoseTurnRanOutAfterASaveThenItsDeleteThenAnotherDelete() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "g2", "FIRST");
            WriteResult[] between = new WriteResult[1];
            WriteResult[] ours = new WriteResult[1];
            quietly(() -> ours[0] = a.deleteWith("g2", () -> {
                clock.advance(Duration.ofMinutes(2));
                between[0] = save(b, "g2", "B");
                orders.deleteOne(Filters.eq("_id", "g2"));
            }));
            observe("g2");
            assertTrue(between[0] != null, "B's save went through");
            if (ours[0] != null) {
                assertTrue(ours[0].version() > between[0].version(), "A's delete is reported at " + ours[0].version()
                        + ", not above B's save (" + between[0] + ")");
            }
            assertConverged("g2", a, b);
        }
    }

    /**
     * A's delete (version v) holds its caller's delete past its turn; B saves through the store (taking v for its
     * state), A's caller's delete removes B's save, then B creates the entity again through the store. A's re-take of
     * the turn finds the entity there and reports its delete WRITTEN at v: the version B's save was delivered at.
     */
    @Test
    void aDeleteWhoseTurnRanOutDoesNotReportTheVersionOfASaveItRemoved() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "g3", "FIRST");
            WriteResult[] between = new WriteResult[2];
            WriteResult[] ours = new WriteResult[1];
            quietly(() -> ours[0] = a.deleteWith("g3", () -> {
                clock.advance(Duration.ofMinutes(2));
                between[0] = save(b, "g3", "B");
                orders.deleteOne(Filters.eq("_id", "g3"));
                between[1] = save(b, "g3", "AGAIN");
                observe("g3");
            }));
            observe("g3");
            assertTrue(between[0] != null && between[1] != null, "B's writes went through");
            if (ours[0] != null) {
                assertTrue(ours[0].version() != between[0].version(), "A's delete is reported at " + ours[0].version()
                        + ", the version B's save was delivered at (" + between[0] + ")");
            }
            assertConverged("g3", a, b);
        }
    }

    /**
     * Two creations: A's turn runs out before its caller's upsert lands; B creates the entity meanwhile (its base, from
     * its later commit time, is above A's) and is delivered; A's upsert then lands on B's document. A's last command
     * gives its intent A's version under A's stale base, below B's; B's acknowledgement, flushed afterwards, removes it.
     */
    @Test
    void aCreationWhoseTurnRanOutIsNotAcknowledgedByTheCreationThatCameBetween() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            quietly(() -> a.saveWith("x1", () -> {
                clock.advance(Duration.ofMinutes(2));
                save(b, "x1", "B");
                observe("x1");
                saveRaw("x1", "A");
            }));
            b.operations().flushAcknowledgements();
            a.operations().flushAcknowledgements();
            observe("x1");
            assertConverged("x1", a, b);
            observe("x1");
        }
    }

    /**
     * A save's turn runs out before its caller's save lands; B deletes the entity and creates it again through the store
     * (a new base above the tombstone), then A's update lands on B's new document. A's last command gives its intent a
     * version under A's old base, below B's; B's acknowledgements remove it.
     */
    @Test
    void aSaveWhoseTurnRanOutIsNotAcknowledgedByARecreationThatCameBetween() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = slowAcks("B")) {
            save(a, "x2", "FIRST");
            quietly(() -> a.saveWith("x2", () -> {
                clock.advance(Duration.ofMinutes(2));
                delete(b, "x2");
                save(b, "x2", "B");
                observe("x2");
                saveRaw("x2", "A");
            }));
            b.operations().flushAcknowledgements();
            a.operations().flushAcknowledgements();
            observe("x2");
            assertConverged("x2", a, b);
            observe("x2");
        }
    }
}
