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
package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.CrashingDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.events.SteppingClock;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoCapability;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.RequiresMongo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change-stream relay's bounded retries: a change a sink fails transiently waits with the
 * checkpoint while the relay reads on, is tried again with backoff, and is dead-lettered with its
 * version once its own attempts are spent; an {@code Error} is the entity's own permanent failure,
 * a fatal one propagates; a relay that dies between a dead letter and its checkpoint delivers or
 * dead-letters the change again after its restart and loses nothing.
 */
@ExtendWith(MongoExtension.class)
@RequiresMongo(MongoCapability.CHANGE_STREAMS)
class ChangeStreamRelayRetryTest {

    /** A sink that fails the ids it is told to, transiently, and passes the rest to an in-memory sink. */
    private static final class Api implements Sink<Document> {
        final InMemorySink<Document> target = new InMemorySink<>();
        final Set<String> failing = ConcurrentHashMap.newKeySet();
        final AtomicInteger failures = new AtomicInteger();

        @Override
        public ApplyResult apply(Change<Document> change) throws Exception {
            if (failing.contains(change.id())) {
                throw new SinkException("503 #" + failures.incrementAndGet() + " for " + change.id(),
                        ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        }
    }

    /** One test's collection, store, writers, sink, dead letters and clock. */
    private static final class Fixture implements AutoCloseable {
        final MongoDatabase db;
        final MongoCollection<Document> items;
        final MongoPrimaryStore<Document> store;
        final Api api = new Api();
        final CrashingDeadLetterStore deadLetters = new CrashingDeadLetterStore();
        final SteppingClock clock = new SteppingClock();
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final DualWriter<Document> app;
        DualWriter<Document> out;

        Fixture(MongoDatabase db) {
            this(db, null);
        }

        Fixture(MongoDatabase db, Sink<Document> sink) {
            this.db = db;
            this.items = Items.collection(db);
            this.store = MongoPrimaryStore.builder(items).build();
            this.app = Items.app(store);
            this.out = Items.relayWriter(store, sink != null ? sink : api, deadLetters);
        }

        /** A relay named "r": 3 attempts per version, waits of 1 s doubling to 10 s (±50 %). */
        ChangeStreamRelayBuilder<Document> relay() {
            return ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("r").clock(clock)
                    .meterRegistry(meters).retry(3, Duration.ofSeconds(1), Duration.ofSeconds(10));
        }

        long save(String id, int n) {
            return app.save(new Document("_id", id).append("n", n)).version();
        }

        /** Moves the clock past any backoff, then polls once. */
        int later(ChangeStreamRelay relay) {
            clock.skip(Duration.ofMinutes(1));
            return relay.pollOnce();
        }

        Optional<DeadLetter> deadLetter(String id) {
            return out.deadLetters().inspect(DeadLetter.idOf("item", id, Items.SINK));
        }

        @Override
        public void close() {
            out.close();
            app.close();
        }
    }

    @Test
    void aChangeOutOfAttemptsIsDeadLetteredWithItsVersionAndReplaysThroughTheWriter(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().build()) {
            f.api.failing.add("poison");
            relay.pollOnce();
            long v = f.save("poison", 1);
            f.save("ok", 1);
            assertEquals(1, relay.pollOnce(), "ok is delivered by the poll that reads it");
            DeferredChange waiting = relay.deferred().get(0);
            assertEquals(List.of("poison"), relay.deferred().stream().map(DeferredChange::id).toList(),
                    "the poison waits with the checkpoint");
            assertEquals(v, waiting.redelivery().version(), "at its version");
            assertEquals(1, waiting.redelivery().attempts(), "after one attempt");
            assertTrue(relay.checkpoint().orElseThrow().resumeToken().isPresent(), "the checkpoint moved past it");
            assertEquals(0, relay.pollOnce(), "the poison waits for its backoff");
            assertEquals(1, f.api.failures.get(), "and is not tried before it ends");

            f.later(relay);
            assertTrue(f.deadLetter("poison").isEmpty(), "two attempts of three are not all of them");
            f.later(relay);
            DeadLetter d = f.deadLetter("poison").orElseThrow();
            assertEquals(v, d.version(), "the third attempt dead-letters the version");
            assertEquals(3, d.attempts(), "with its attempts");
            assertEquals(ErrorKind.TRANSIENT, d.kind(), "its kind");
            assertTrue(d.firstError().endsWith("503 #1 for poison") && d.lastError().endsWith("503 #3 for poison"),
                    "and its first and last error: " + d.firstError() + " / " + d.lastError());
            assertTrue(relay.deferred().isEmpty(), "the relay forgets it");
            assertEquals(1.0, f.meters.get(RelayMetrics.DEAD_LETTERED).counter().count(), "and counts it");
            assertEquals(0, relay.pollOnce(), "it is never tried again by the relay");
            assertEquals(3, f.api.failures.get());

            f.api.failing.clear();
            assertEquals(SinkOutcome.APPLIED, f.out.deadLetters().replay(d.id()), "the operator replays it");
            assertEquals(v, f.api.target.versionOf("poison").orElse(-1), "through the writer's normal road");
            assertTrue(f.deadLetter("poison").isEmpty(), "and the dead letter is gone");
        }
    }

    @Test
    void aChangeThatHealsBeforeItsAttemptsAreSpentIsDeliveredAndNothingIsDeadLettered(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().build()) {
            f.api.failing.add("x");
            relay.pollOnce();
            long v = f.save("x", 1);
            assertEquals(0, relay.pollOnce(), "attempt 1 fails");
            assertEquals(0, f.later(relay), "attempt 2 fails");
            f.api.failing.clear();
            assertEquals(1, f.later(relay), "attempt 3 of 3 delivers it");
            assertEquals(v, f.api.target.versionOf("x").orElse(-1), "at its version");
            assertTrue(f.deadLetter("x").isEmpty(), "a change that healed in time is nobody's dead letter");
            assertTrue(relay.deferred().isEmpty(), "and nothing waits any more");
            assertEquals(1, relay.checkpoint().orElseThrow().delivered(), "the checkpoint counts it once");
        }
    }

    @Test
    void twoPoisonedEntitiesWaitEachOnItsOwnCountAndEveryOtherEntityFlowsMeanwhile(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().build()) {
            f.api.failing.addAll(Set.of("a", "b"));
            relay.pollOnce();
            long va = f.save("a", 1);
            f.save("b", 1);
            f.save("c1", 1);
            assertEquals(1, relay.pollOnce(), "c1 flows past both poisons");
            f.save("c2", 1);
            assertEquals(1, f.later(relay), "c2 flows while a and b fail their second attempt");
            f.api.failing.remove("b");
            f.save("c3", 1);
            assertEquals(3, f.later(relay), "b heals on its third attempt, a spends its third, c3 flows");
            for (String id : List.of("b", "c1", "c2", "c3")) {
                assertTrue(f.api.target.get(id).isPresent(), id + " is delivered");
            }
            assertEquals(List.of("a"), f.out.deadLetters().list(DeadLetterQuery.builder().build()).stream()
                    .map(DeadLetter::entityId).toList(), "only a is dead-lettered");
            assertEquals(va, f.deadLetter("a").orElseThrow().version(), "with its version");
            assertTrue(relay.deferred().isEmpty(), "and nothing waits any more");
        }
    }

    @Test
    void aNewerVersionOfAWaitingEntityStartsItsOwnCount(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().build()) {
            f.api.failing.add("x");
            relay.pollOnce();
            f.save("x", 1);
            relay.pollOnce();
            f.later(relay);
            assertEquals(2, relay.deferred().get(0).redelivery().attempts(), "v1 failed twice");
            long v2 = f.save("x", 2);
            f.clock.skip(Duration.ofMinutes(1));
            relay.pollOnce();
            assertTrue(f.deadLetter("x").isEmpty(), "v2's first failure does not spend v1's last attempt");
            DeferredChange waiting = relay.deferred().get(0);
            assertEquals(List.of(v2, 1L), List.of(waiting.redelivery().version(), (long) waiting.redelivery().attempts()),
                    "v2 waits after its own first attempt");
            f.later(relay);
            f.later(relay);
            assertEquals(v2, f.deadLetter("x").orElseThrow().version(), "v2 is dead-lettered after its own three");
        }
    }

    @Test
    void aLaterVersionIsDeliveredAfterTheDeadLetterAndItsReplayDoesNotTurnTheSinkBack(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().build()) {
            f.api.failing.add("x");
            relay.pollOnce();
            long v1 = f.save("x", 1);
            relay.pollOnce();
            f.later(relay);
            f.later(relay);
            assertEquals(v1, f.deadLetter("x").orElseThrow().version(), "v1 is dead-lettered");
            f.api.failing.clear();
            long v2 = f.save("x", 2);
            assertEquals(1, relay.pollOnce(), "v2 is delivered when the relay reads it");
            assertEquals(v2, f.api.target.versionOf("x").orElse(-1));
            assertEquals(SinkOutcome.APPLIED, f.out.deadLetters().replay(DeadLetter.idOf("item", "x", Items.SINK)),
                    "the replay of v1's dead letter re-reads the primary");
            assertEquals(v2, f.api.target.versionOf("x").orElse(-1), "so the sink keeps v2");
            assertEquals(2, f.api.target.get("x").orElseThrow().getInteger("n"), "and v2's state");
        }
    }

    @Test
    void aRelayThatDiesBetweenADeadLetterAndItsCheckpointDeadLettersAgainAfterItsRestart(MongoDatabase db) {
        try (Fixture f = new Fixture(db)) {
            f.api.failing.add("x");
            long v;
            try (ChangeStreamRelay relay = f.relay().build()) {
                relay.pollOnce();
                v = f.save("x", 1);
                relay.pollOnce();
                f.later(relay);
                f.clock.skip(Duration.ofMinutes(1));
                f.deadLetters.crashAfterNextAdd();
                assertThrows(CrashingDeadLetterStore.SimulatedCrash.class, relay::pollOnce, "attempt 3 stores the dead letter, then dies");
                assertEquals(1.0, f.meters.get(RelayMetrics.WAITING).gauge().value(), "one change waits");
            }
            assertNull(f.meters.find(RelayMetrics.WAITING).gauge(), "a closed relay's gauge is removed");
            f.out.close();
            assertEquals(v, f.deadLetters.get(DeadLetter.idOf("item", "x", Items.SINK)).orElseThrow().version(),
                    "the dead letter was stored");
            f.out = Items.relayWriter(f.store, f.api, f.deadLetters);
            try (ChangeStreamRelay restarted = f.relay().build()) {
                assertEquals(List.of(2), restarted.deferred().stream().map(c -> c.redelivery().attempts()).toList(),
                        "the checkpoint still holds the change, after its second attempt");
                restarted.pollOnce();
                assertEquals(0.0, f.meters.get(RelayMetrics.WAITING).gauge().value(),
                        "the restarted relay publishes its own count, not the closed one's");
                assertEquals(4, f.api.failures.get(), "it is tried once more");
                DeadLetter d = f.deadLetter("x").orElseThrow();
                assertEquals(v, d.version(), "and dead-lettered again at its version (the store merged the two)");
                assertTrue(restarted.deferred().isEmpty(), "then the relay forgets it");
            }
        }
    }

    @Test
    void aRelayThatDiesBetweenADeadLetterAndItsFirstCheckpointReadsTheBatchAgainAndLosesNothing(MongoDatabase db) {
        Api api = new Api();
        Sink<Document> rejecting = change -> {
            if (change.id().equals("bad")) {
                throw new SinkException("422 for " + change.id(), ErrorKind.PERMANENT, null);
            }
            return api.apply(change);
        };
        try (Fixture f = new Fixture(db, rejecting)) {
            long vBad;
            long vGood;
            try (ChangeStreamRelay relay = f.relay().build()) {
                relay.pollOnce();
                vBad = f.save("bad", 1);
                vGood = f.save("good", 1);
                f.deadLetters.crashAfterNextAdd();
                assertThrows(CrashingDeadLetterStore.SimulatedCrash.class, relay::pollOnce, "the batch's dead letter is stored, then it dies");
                assertTrue(relay.checkpoint().orElseThrow().resumeToken().isEmpty(), "before its checkpoint");
            }
            f.out.close();
            f.out = Items.relayWriter(f.store, rejecting, f.deadLetters);
            try (ChangeStreamRelay restarted = f.relay().build()) {
                restarted.drain(10);
                assertTrue(restarted.checkpoint().orElseThrow().resumeToken().isPresent(), "the batch is checkpointed");
            }
            assertEquals(vGood, api.target.versionOf("good").orElse(-1), "good is delivered (again, harmlessly)");
            assertEquals(vBad, f.deadLetter("bad").orElseThrow().version(), "bad is dead-lettered (again) at its version");
        }
    }

    @Test
    void anErrorFromASinkIsThatEntitysPermanentFailureAndTheOthersAreDeliveredInTheSamePoll(MongoDatabase db) {
        Api api = new Api();
        Sink<Document> asserting = change -> {
            if (change.id().equals("poison")) {
                throw new AssertionError("the mapping cannot handle " + change.id());
            }
            return api.apply(change);
        };
        try (Fixture f = new Fixture(db, asserting); ChangeStreamRelay relay = f.relay().build()) {
            relay.pollOnce();
            long v = f.save("poison", 1);
            f.save("a", 1);
            f.save("b", 1);
            assertEquals(3, relay.pollOnce(), "a and b are delivered, the poison is dead-lettered, all in one poll");
            DeadLetter d = f.deadLetter("poison").orElseThrow();
            assertEquals(List.of(v, 1L), List.of(d.version(), (long) d.attempts()), "at its version, after one attempt");
            assertEquals(ErrorKind.PERMANENT, d.kind(), "an Error is permanent");
            assertTrue(d.lastError().contains("AssertionError"), d.lastError());
            assertTrue(relay.deferred().isEmpty(), "and is never retried");
            assertTrue(api.target.get("a").isPresent() && api.target.get("b").isPresent());
        }
    }

    @Test
    void aFatalErrorFromASinkPropagatesAndTheBatchIsDeliveredByTheNextPoll(MongoDatabase db) {
        Api api = new Api();
        OutOfMemoryError oom = new OutOfMemoryError("the sink's client ran the heap dry");
        AtomicBoolean throwOnce = new AtomicBoolean(true);
        Sink<Document> fatal = change -> {
            if (throwOnce.compareAndSet(true, false)) {
                throw oom;
            }
            return api.apply(change);
        };
        try (Fixture f = new Fixture(db, fatal); ChangeStreamRelay relay = f.relay().build()) {
            relay.pollOnce();
            long v = f.save("x", 1);
            assertSame(oom, assertThrows(OutOfMemoryError.class, relay::pollOnce), "the JVM's own error is not caught");
            assertTrue(relay.checkpoint().orElseThrow().resumeToken().isEmpty(), "the batch is not checkpointed");
            assertEquals(1, relay.pollOnce(), "the next poll delivers it");
            assertEquals(v, api.target.versionOf("x").orElse(-1));
            assertTrue(f.deadLetter("x").isEmpty(), "a fatal error is nobody's dead letter");
            assertTrue(relay.deferred().isEmpty());
        }
    }

    @Test
    void aFullBatchOfWaitingChangesHoldsTheReadingBackUntilTheyAreThrough(MongoDatabase db) {
        try (Fixture f = new Fixture(db); ChangeStreamRelay relay = f.relay().batchSize(2).build()) {
            f.api.failing.addAll(Set.of("p1", "p2"));
            relay.pollOnce();
            f.save("p1", 1);
            f.save("p2", 1);
            relay.pollOnce();
            assertEquals(2, relay.deferred().size(), "a batch's worth of changes waits");
            f.save("ok", 1);
            assertEquals(0, relay.pollOnce(), "so the relay reads no further");
            assertFalse(f.api.target.get("ok").isPresent(), "ok waits in the stream, not lost");
            f.later(relay);
            f.later(relay);
            assertEquals(2, f.out.deadLetters().list(DeadLetterQuery.builder().build()).size(),
                    "both poisons spent their attempts");
            relay.pollOnce();
            assertTrue(f.api.target.get("ok").isPresent(), "then ok is read and delivered");
            assertEquals(Map.of(), Map.copyOf(f.api.target.liveVersions()).entrySet().stream()
                    .filter(e -> !e.getKey().equals("ok")).collect(java.util.stream.Collectors.toMap(
                            Map.Entry::getKey, Map.Entry::getValue)), "and nothing else reached the sink");
        }
    }
}
