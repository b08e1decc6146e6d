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
package io.dualwrite.mongo.events;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.CrashingDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded event relay's failures, one event at a time: an {@code Error} is the event's own
 * permanent failure (a fatal one is the JVM's), attempts are counted per event and per sink, the
 * dead letter keeps its version and its first and last error, and a relay that dies right after a
 * dead letter was stored dead-letters again rather than losing the event.
 */
@ExtendWith(MongoExtension.class)
class EventRelayFailuresTest {
    /** One call per pass: each pass spends one of the relay's attempts, as these tests count them. */
    private static final SinkSettings ONE_CALL = SinkSettings.builder().maxAttempts(1).build();

    private static final AtomicInteger N = new AtomicInteger();

    /** One test's collection, store, sink target, call count, dead letters and clock. */
    private static final class Fixture {
        final MongoCollection<Document> c;
        final MongoPrimaryStore<Document> store;
        final InMemorySink<Document> target = new InMemorySink<>();
        final AtomicInteger calls = new AtomicInteger();
        final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        final SteppingClock clock = new SteppingClock();

        Fixture(MongoDatabase db) {
            c = db.getCollection("relay_failures_" + N.incrementAndGet());
            store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build()).build();
        }

        DualWriter<Document> app() {
            return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                    .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
        }

        /** A relay with 3 attempts per event and sink and a 30 s lease. */
        EmbeddedEventRelayBuilder<Document> relay(DeadLetterStore dls) {
            return EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(dls).clock(clock)
                    .lease(Duration.ofSeconds(30)).retry(3, Duration.ofSeconds(1), Duration.ofSeconds(10));
        }

        EmbeddedEventRelayBuilder<Document> relay() {
            return relay(deadLetters);
        }

        long documentsWithEvents() {
            return c.countDocuments(new Document("_dw.ev", new Document("$exists", true)));
        }
    }

    /** A sink that fails the calls whose numbers (from 1) are listed, transiently, then passes to the target. */
    private static Sink<Document> failingCalls(InMemorySink<Document> target, AtomicInteger calls, Set<Integer> fail) {
        return change -> {
            int n = calls.incrementAndGet();
            if (fail.contains(n)) {
                throw new SinkException("blip " + n, ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        };
    }

    @Test
    void twoPoisonedEntitiesAreDeadLetteredWithTheirVersionsAndEveryOtherEntityIsPublished(MongoDatabase db) {
        Fixture f = new Fixture(db);
        Sink<Document> audit = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Document> change) {
                if (change.id().equals("deep")) {
                    throw new StackOverflowError("recursion on " + change.id());
                }
                if (change.id().equals("broken")) {
                    throw new NoClassDefFoundError("a class the mapping of " + change.id() + " needs");
                }
                return f.target.apply(change);
            }

            @Override
            public ErrorClassifier classifier() {
                return e -> ErrorKind.TRANSIENT; // says "retry" for everything: an Error is still the entity's own
            }
        };
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay().sink("audit", audit, ONE_CALL).build()) {
            long deep = w.save(new Document("_id", "deep").append("n", 1)).version();
            w.save(new Document("_id", "a").append("n", 1));
            long broken = w.save(new Document("_id", "broken").append("n", 1)).version();
            w.save(new Document("_id", "b").append("n", 1));
            assertEquals(2, relay.publishDue(), "one pass publishes both healthy entities");
            assertTrue(f.target.get("a").isPresent() && f.target.get("b").isPresent(), "a and b are published");
            DeadLetter d1 = f.deadLetters.get(DeadLetter.idOf("item", "deep", "audit")).orElseThrow();
            DeadLetter d2 = f.deadLetters.get(DeadLetter.idOf("item", "broken", "audit")).orElseThrow();
            assertEquals(deep, d1.version(), "the dead letter names the poisoned version");
            assertEquals(broken, d2.version(), "the dead letter names the poisoned version");
            assertEquals(ErrorKind.PERMANENT, d1.kind(), "an Error is permanent whatever the classifier says");
            assertEquals(1, d1.attempts(), "and is never retried");
            assertTrue(d2.lastError().contains("NoClassDefFoundError"), "the reason names the Error: " + d2.lastError());
            assertEquals(0, f.documentsWithEvents(), "no event is left behind, none is looped");
            assertEquals(2, f.deadLetters.count(), "each poisoned entity is dead-lettered once");
        }
    }

    @Test
    void aFatalErrorFromASinkPropagatesAndTheEventIsPublishedOnceTheLeaseHasRunOut(MongoDatabase db) {
        Fixture f = new Fixture(db);
        OutOfMemoryError oom = new OutOfMemoryError("the sink's client ran the heap dry");
        AtomicBoolean throwOnce = new AtomicBoolean(true);
        Sink<Document> audit = change -> {
            if (throwOnce.compareAndSet(true, false)) {
                throw oom;
            }
            return f.target.apply(change);
        };
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay().sink("audit", audit, ONE_CALL).build()) {
            long v = w.save(new Document("_id", "x").append("n", 1)).version();
            assertSame(oom, assertThrows(OutOfMemoryError.class, relay::publishDue), "the JVM's own error is not caught");
            assertEquals(0, relay.publishDue(), "the document stays leased to the pass that died");
            f.clock.skip(Duration.ofSeconds(31));
            assertEquals(1, relay.publishDue(), "after the lease the event is published");
            assertEquals(v, f.target.versionOf("x").orElse(-1), "at its version");
            assertEquals(0, f.deadLetters.count(), "a fatal error is nobody's dead letter");
        }
    }

    @Test
    void anEventThatHealsBeforeItsAttemptsAreSpentIsPublishedAndNothingIsDeadLettered(MongoDatabase db) {
        Fixture f = new Fixture(db);
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay()
                     .sink("audit", failingCalls(f.target, f.calls, Set.of(1, 2)), ONE_CALL).build()) {
            long v = w.save(new Document("_id", "x").append("n", 1)).version();
            assertEquals(0, relay.publishDue(), "attempt 1 fails");
            assertEquals(0, relay.publishDue(), "and the event waits for its backoff");
            f.clock.skip(Duration.ofMinutes(1));
            assertEquals(0, relay.publishDue(), "attempt 2 fails");
            f.clock.skip(Duration.ofMinutes(1));
            assertEquals(1, relay.publishDue(), "attempt 3 of 3 publishes it");
            assertEquals(v, f.target.versionOf("x").orElse(-1), "at its version");
            assertEquals(3, f.calls.get(), "three attempts in all");
            assertEquals(0, f.deadLetters.count(), "an event that healed in time is nobody's dead letter");
            assertEquals(0, f.documentsWithEvents(), "and its failure count left with it");
        }
    }

    @Test
    void attemptsAreCountedPerSinkNotSharedBetweenSinks(MongoDatabase db) {
        Fixture f = new Fixture(db);
        InMemorySink<Document> targetA = new InMemorySink<>();
        InMemorySink<Document> targetB = new InMemorySink<>();
        AtomicInteger callsA = new AtomicInteger();
        AtomicInteger callsB = new AtomicInteger();
        // 3 attempts each: a fails v1 on passes 1 and 2; b has v1 at once, then fails v2 on passes 2 and 3
        // (one count shared by the document would reach 3 on pass 3 and dead-letter v2 at b)
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay()
                     .sink("a", failingCalls(targetA, callsA, Set.of(1, 2)), ONE_CALL)
                     .sink("b", failingCalls(targetB, callsB, Set.of(2, 3)), ONE_CALL).build()) {
            long v1 = w.save(new Document("_id", "x").append("n", 1)).version();
            relay.publishDue();
            long v2 = w.save(new Document("_id", "x").append("n", 2)).version();
            for (int pass = 0; pass < 4; pass++) {
                f.clock.skip(Duration.ofMinutes(1));
                relay.publishDue();
            }
            assertEquals(0, f.deadLetters.count(), "no event spent its own three attempts at any sink: "
                    + f.deadLetters.list(DeadLetterQuery.builder().build()));
            assertEquals(v2, targetA.versionOf("x").orElse(-1), "a has both versions");
            assertEquals(v2, targetB.versionOf("x").orElse(-1), "b has both versions");
            assertEquals(List.of(4, 4), List.of(callsA.get(), callsB.get()), "v1 and v2 at a after two failures of"
                    + " v1; v1 and v2 at b after two failures of v2 (v1 is " + v1 + ")");
            assertEquals(0, f.documentsWithEvents(), "and every event left the document");
        }
    }

    @Test
    void anEventOutOfAttemptsIsDeadLetteredWithItsVersionAndItsFirstAndLastError(MongoDatabase db) {
        Fixture f = new Fixture(db);
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay()
                     .sink("audit", failingCalls(f.target, f.calls, Set.of(1, 2, 3)), ONE_CALL).build()) {
            long v1 = w.save(new Document("_id", "x").append("n", 1)).version();
            long v2 = w.save(new Document("_id", "x").append("n", 2)).version();
            for (int pass = 0; pass < 3; pass++) {
                relay.publishDue();
                f.clock.skip(Duration.ofMinutes(1));
            }
            DeadLetter d = f.deadLetters.get(DeadLetter.idOf("item", "x", "audit")).orElseThrow();
            assertEquals(v1, d.version(), "the event that ran out of attempts is v1");
            assertEquals(3, d.attempts(), "after its three attempts");
            assertEquals(ErrorKind.TRANSIENT, d.kind(), "each of them transient");
            assertTrue(d.firstError().endsWith("blip 1") && d.lastError().endsWith("blip 3"),
                    "the first and the last error are kept: " + d.firstError() + " / " + d.lastError());
            assertEquals(v2, f.target.versionOf("x").orElse(-1), "the relay moved on to v2 in the same pass");
            assertEquals(4, f.calls.get(), "v2 was tried once and published");
        }
    }

    @Test
    void aRelayThatDiesRightAfterStoringADeadLetterDeadLettersTheEventAgainAndLosesNothing(MongoDatabase db) {
        Fixture f = new Fixture(db);
        // the dead letter is durable, then the relay dies before it records that it moved past the event
        CrashingDeadLetterStore dying = new CrashingDeadLetterStore();
        try (DualWriter<Document> w = f.app();
             EmbeddedEventRelay relay = f.relay(dying)
                     .sink("audit", failingCalls(f.target, f.calls, Set.of(1, 2, 3, 4)), ONE_CALL).build()) {
            long v = w.save(new Document("_id", "x").append("n", 1)).version();
            relay.publishDue();
            f.clock.skip(Duration.ofMinutes(1));
            relay.publishDue();
            f.clock.skip(Duration.ofMinutes(1));
            dying.crashAfterNextAdd();
            assertThrows(CrashingDeadLetterStore.SimulatedCrash.class, relay::publishDue,
                    "attempt 3 dead-letters, then the relay dies");
            assertEquals(1, f.documentsWithEvents(), "the event is still in its document");
            f.clock.skip(Duration.ofSeconds(31));
            relay.publishDue();
            DeadLetter d = dying.get(DeadLetter.idOf("item", "x", "audit")).orElseThrow();
            assertEquals(v, d.version(), "the event is dead-lettered at its version");
            assertEquals(4, f.calls.get(), "after one more attempt: its count survived the crash in the document");
            assertEquals(0, f.documentsWithEvents(), "and the relay moved past it");
            assertFalse(f.target.get("x").isPresent(), "the sink never had it; the dead letter stands for it");
        }
    }
}
