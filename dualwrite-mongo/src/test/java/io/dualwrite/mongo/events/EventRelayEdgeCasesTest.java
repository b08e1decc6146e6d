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

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import io.dualwrite.mongo.events.RelayTestKit.Landed;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dualwrite.mongo.events.RelayTestKit.ONE_CALL_5S;
import static io.dualwrite.mongo.events.RelayTestKit.app;
import static io.dualwrite.mongo.events.RelayTestKit.items;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded-event relay at its edges: event records damaged by hand, a dead-letter store that is down, clocks that
 * disagree by exactly the skew it allows, and the shortest lease its builder accepts.
 */
@ExtendWith(MongoExtension.class)
class EventRelayEdgeCasesTest {
    /**
     * An event record whose {@code v} is missing (a hand-damaged record). Promise (patterns.md §3: "An event whose
     * record cannot be read (its state does not decode, a field is missing) is dead-lettered the same way, at once"):
     * the record is dead-lettered and the entity's later, healthy event is published; the entity is never stuck
     * behind it (its backlog would grow until writes are refused with EventBacklogFullException).
     */
    @Test
    void aRecordWithoutItsVersionIsDeadLetteredAndDoesNotBlockTheEntitysLaterEvents(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "edge_nov");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        Sink<Document> sink = change -> {
            log.add(Landed.of("audit", change));
            return ApplyResult.APPLIED;
        };
        SteppingClock clock = new SteppingClock();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).sink("audit", sink, ONE_CALL_5S).build()) {
            w.save(new Document("_id", "bad").append("n", 1));
            c.updateOne(new Document("_id", "bad"), new Document("$unset", new Document("_dw.ev.list.0.v", ""))
                    .append("$inc", new Document("_dw.rev", 1L)));
            long v2 = w.save(new Document("_id", "bad").append("n", 2)).version();
            List<Throwable> failures = new ArrayList<>();
            for (int pass = 0; pass < 4; pass++) {
                try {
                    relay.publishDue();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
                clock.skip(Duration.ofMinutes(1)); // past the lease (30 s) and any backoff
            }
            boolean deadLettered = deadLetters.get(DeadLetter.idOf("item", "bad", "audit")).isPresent();
            boolean laterPublished = log.contains(Landed.at("audit", "bad", v2));
            assertTrue(deadLettered && laterPublished, "after 4 passes the record without a version is not"
                    + " dead-lettered, or the entity's next event (v" + v2 + ") is not published; published: " + log
                    + "; pass failures: " + failures + "; the document's events now: "
                    + c.find(new Document("_id", "bad")).first().get("_dw", Document.class).get("ev"));
            assertTrue(failures.isEmpty(), "no pass fails: " + failures);
        }
    }

    /**
     * One sink, relay retry budget of 2 attempts per event; v1 fails transiently at the sink on every call; v2's
     * record lacks its {@code at} (a malformed record, as above). Promise (patterns.md §3: a transient failure stops
     * the sink at the event and retries it with backoff; "a transient one whose attempts are spent, is
     * dead-lettered"; an unreadable record is dead-lettered at once): v1 is tried at most twice, then dead-lettered;
     * the damaged record behind it never keeps the pass from recording its attempts.
     */
    @Test
    void aRecordWithoutItsTimeBehindAFailingEventLetsThatEventSpendItsAttempts(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "edge_noat");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        AtomicInteger calls = new AtomicInteger();
        Sink<Document> sink = change -> {
            calls.incrementAndGet();
            throw new SinkException("injected: the destination is unavailable", ErrorKind.TRANSIENT, null);
        };
        SteppingClock clock = new SteppingClock();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .retry(2, Duration.ofSeconds(1), Duration.ofSeconds(1))
                     .clock(clock).sink("audit", sink, ONE_CALL_5S).build()) {
            w.save(new Document("_id", "x").append("n", 1));
            w.save(new Document("_id", "x").append("n", 2));
            c.updateOne(new Document("_id", "x"), new Document("$unset", new Document("_dw.ev.list.1.at", ""))
                    .append("$inc", new Document("_dw.rev", 1L)));
            List<Throwable> failures = new ArrayList<>();
            for (int pass = 0; pass < 6; pass++) {
                try {
                    relay.publishDue();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
                clock.skip(Duration.ofMinutes(10)); // past the lease and every backoff
            }
            Document ev = c.find(new Document("_id", "x")).first().get("_dw", Document.class).get("ev", Document.class);
            assertTrue(deadLetters.count() > 0 && calls.get() <= 2, "the relay allows 2 attempts per event; after 6"
                    + " passes the sink was called " + calls.get() + " times and " + deadLetters.count()
                    + " dead letters exist; failed attempts recorded: " + (ev == null ? null : ev.get("failed"))
                    + "; pass failures: " + failures);
        }
    }

    /** A dead-letter store on MongoDB behind the application's own wrapper, which wraps the driver's exception. */
    static final class WrappingDeadLetterStore implements DeadLetterStore {
        private final InMemoryDeadLetterStore inner = new InMemoryDeadLetterStore();
        volatile boolean down;

        @Override
        public void add(DeadLetter d) {
            if (down) {
                throw new IllegalStateException("dead-letter store unreachable",
                        new MongoSocketReadException("injected: connection reset", new ServerAddress()));
            }
            inner.add(d);
        }

        @Override
        public List<DeadLetter> list(DeadLetterQuery query) {
            return inner.list(query);
        }

        @Override
        public Optional<DeadLetter> get(String id) {
            return inner.get(id);
        }

        @Override
        public boolean remove(String id) {
            return inner.remove(id);
        }

        @Override
        public long count() {
            return inner.count();
        }
    }

    /**
     * Two sinks, "ok" (healthy) and "strict" (refuses everything PERMANENTly), and a dead-letter store that is down
     * (its failure wraps the driver's MongoSocketReadException, as an application's repository wrapper does).
     * Promise: the pass ends and the caller of publishDue learns that the dead-letter store failed (the documents
     * claimed come back when their lease runs out), rather than a pass that goes on publishing what it cannot record.
     */
    @Test
    void aDeadLetterStoreOutageWrappingTheDriversExceptionEndsThePassAndReachesTheCaller(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "edge_dlq");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        Sink<Document> ok = change -> {
            log.add(Landed.of("ok", change));
            return ApplyResult.APPLIED;
        };
        Sink<Document> strict = change -> {
            throw new SinkException("injected: refused", ErrorKind.PERMANENT, null);
        };
        SteppingClock clock = new SteppingClock();
        WrappingDeadLetterStore deadLetters = new WrappingDeadLetterStore();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).sink("ok", ok, ONE_CALL_5S).sink("strict", strict, ONE_CALL_5S).build()) {
            for (int i = 1; i <= 3; i++) {
                w.save(new Document("_id", "e" + i).append("n", i));
            }
            deadLetters.down = true;
            RuntimeException thrown = null;
            int published = -1;
            try {
                published = relay.publishDue();
            } catch (RuntimeException e) {
                thrown = e;
            }
            assertTrue(thrown != null, "the dead-letter store was down, yet publishDue returned " + published
                    + " without failing; events handed to 'ok' and not recorded: " + log);
        }
    }

    /** A clock that moves only when told. */
    static final class FrozenClock extends java.time.Clock {
        private final java.util.concurrent.atomic.AtomicReference<java.time.Instant> now;

        FrozenClock(java.time.Instant start) {
            now = new java.util.concurrent.atomic.AtomicReference<>(start);
        }

        void skip(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now.get();
        }
    }

    /**
     * Two relays whose clocks disagree by exactly maxClockSkew (2 s, the default; B ahead), a 10 s lease, a sink
     * whose longest delivery is 5 s. A publishes v1 in 3 s: 7 s of its lease are left, exactly the longest delivery
     * plus the skew. Had A started v2 and let it take its whole 5 s time limit, B's clock would read A's lease end at
     * its last instant, and B's claim ({@code until <= now}) would take the document while A's apply is in the sink.
     * Promise (patterns.md §3: "two relays whose clocks agree to within maxClockSkew never publish the same entity at
     * once"): a delivery starts only with more room than that, so B publishes nothing while A's may still run.
     */
    @Test
    void twoRelaysWhoseClocksDisagreeByExactlyTheSkewNeverPublishOneEntityAtOnce(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "edge_skew");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        java.time.Instant t0 = java.time.Instant.now().plus(Duration.ofMinutes(1));
        FrozenClock clockA = new FrozenClock(t0);
        FrozenClock clockB = new FrozenClock(t0.plus(EmbeddedEventRelay.DEFAULT_MAX_CLOCK_SKEW));
        List<Long> versions = new ArrayList<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        EmbeddedEventRelay[] relayB = new EmbeddedEventRelay[1];
        List<Integer> publishedByBMidDelivery = Collections.synchronizedList(new ArrayList<>());
        try (DualWriter<Document> w = app(store)) {
            for (int i = 1; i <= 3; i++) {
                versions.add(w.save(new Document("_id", "x").append("n", i)).version());
            }
            Sink<Document> sinkA = change -> {
                if (change.version() == versions.get(0)) {
                    clockA.skip(Duration.ofSeconds(3));
                    clockB.skip(Duration.ofSeconds(3));
                } else if (change.version() == versions.get(1)) {
                    // the apply runs for its whole time limit; at its last instant, B passes
                    clockA.skip(Duration.ofSeconds(5));
                    clockB.skip(Duration.ofSeconds(5));
                    publishedByBMidDelivery.add(relayB[0].publishDue());
                }
                log.add(Landed.of("A", change));
                return ApplyResult.APPLIED;
            };
            Sink<Document> sinkB = change -> {
                log.add(Landed.of("B", change));
                return ApplyResult.APPLIED;
            };
            try (EmbeddedEventRelay a = EmbeddedEventRelay.builder(c).entityType("item").owner("A").clock(clockA)
                    .deadLetterStore(deadLetters).lease(Duration.ofSeconds(10)).sink("audit", sinkA, ONE_CALL_5S).build();
                 EmbeddedEventRelay b = EmbeddedEventRelay.builder(c).entityType("item").owner("B").clock(clockB)
                         .deadLetterStore(deadLetters).lease(Duration.ofSeconds(10)).sink("audit", sinkB, ONE_CALL_5S)
                         .build()) {
                relayB[0] = b;
                assertEquals(1, a.publishDue(), "A leaves v2 for the next claim: " + log);
                assertEquals(2, b.publishDue(), "B publishes the rest once A released the document: " + log);
            }
        }
        assertEquals(List.of(), publishedByBMidDelivery, "A started no delivery without room for it and the skew");
        assertEquals(List.of(Landed.at("A", "x", versions.get(0)), Landed.at("B", "x", versions.get(1)),
                Landed.at("B", "x", versions.get(2))), log, "one relay at a time, in version order");
    }

    /**
     * The shortest lease build() accepts: the sink's longest delivery, the skew and {@code LEASE_HEADROOM}. The
     * lease is counted from before the pass's query and claim, and publish() judges the room with a fresh reading,
     * so without the headroom a lease a hair longer than the delivery and the skew would be accepted and never hold
     * one. Promise (patterns.md §3): a relay that build() accepts publishes.
     */
    @Test
    void aLeaseThatBuildAcceptsHoldsADelivery(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "edge_tight");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        Sink<Document> sink = change -> {
            log.add(Landed.of("audit", change));
            return ApplyResult.APPLIED;
        };
        Duration lease = Duration.ofSeconds(5).plus(EmbeddedEventRelay.DEFAULT_MAX_CLOCK_SKEW)
                .plus(EmbeddedEventRelay.LEASE_HEADROOM);
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item")
                     .deadLetterStore(new InMemoryDeadLetterStore()).lease(lease).sink("audit", sink, ONE_CALL_5S)
                     .build()) {
            w.save(new Document("_id", "x").append("n", 1));
            long published = 0;
            for (int pass = 0; pass < 20; pass++) {
                published += relay.publishDue(); // each pass claims, starts nothing, releases: the document is due again
            }
            assertTrue(published == 1 && log.size() == 1, "a relay built with a lease of " + lease + " published "
                    + published + " events in 20 passes; backlog " + relay.backlog());
        }
    }
}
