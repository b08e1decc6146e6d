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
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import io.dualwrite.mongo.events.RelayTestKit.Landed;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dualwrite.mongo.events.RelayTestKit.ONE_CALL_5S;
import static io.dualwrite.mongo.events.RelayTestKit.app;
import static io.dualwrite.mongo.events.RelayTestKit.items;
import static io.dualwrite.mongo.events.RelayTestKit.recording;
import static io.dualwrite.mongo.events.RelayTestKit.relay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded-event relay when relays stop, race, disagree on the time or meet a sink's Error (patterns.md §3, the
 * relay's javadoc, guarantees.md promises 3-5): every committed event published, in version order per entity,
 * duplicates only with the same idempotency key, a poison event never blocks others, two relays never publish one
 * entity at once; and a writer's dead-letter replay racing a new save.
 */
@ExtendWith(MongoExtension.class)
class EventRelayInterleavingsTest {
    /**
     * Interleaving: the relay process stops (a fatal {@code OutOfMemoryError} out of the sink, standing in for a kill)
     * after publishing v1 and v2 of an entity and before recording its progress; a second relay takes the document
     * once the lease has run out.
     *
     * <p>Promise (patterns.md "exactly once in effect"): every committed event is published, duplicates only with
     * the same idempotency key, and once duplicates are dropped the consumer sees the versions in order.
     *
     */
    @Test
    void aRelayStoppedBetweenPublishingAndRecordingItsProgressLosesNothingAndDuplicatesKeepTheirKeys(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_crash");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean crashAtV3 = new AtomicBoolean(true);
        List<Long> versions = new ArrayList<>();
        SteppingClock clockA = new SteppingClock();
        SteppingClock clockB = new SteppingClock();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store)) {
            for (int i = 1; i <= 3; i++) {
                versions.add(w.save(new Document("_id", "x").append("n", i)).version());
            }
            Sink<Document> sinkA = change -> {
                if (change.version() == versions.get(2) && crashAtV3.get()) {
                    throw new OutOfMemoryError("injected: the process dies here");
                }
                log.add(Landed.of("A", change));
                return ApplyResult.APPLIED;
            };
            Sink<Document> sinkB = recording("B", log);
            try (EmbeddedEventRelay a = relay(c, "A", clockA, deadLetters, Duration.ofSeconds(30), sinkA);
                 EmbeddedEventRelay b = relay(c, "B", clockB, deadLetters, Duration.ofSeconds(30), sinkB)) {
                Throwable died = null;
                try {
                    a.publishDue();
                } catch (OutOfMemoryError e) {
                    died = e;
                }
                assertTrue(died != null, "the fatal error propagates out of A's pass");
                assertEquals(0, b.publishDue(), "while A's lease holds, B leaves the document alone");
                clockB.skip(Duration.ofSeconds(31));
                b.drain(5);
            }
        }
        Map<Long, String> keyOf = new LinkedHashMap<>();
        long highest = Long.MIN_VALUE;
        List<Long> deduped = new ArrayList<>();
        for (Landed l : log) {
            String first = keyOf.putIfAbsent(l.version(), l.key());
            if (first != null) {
                assertEquals(first, l.key(), "a duplicate carries the same idempotency key: " + log);
                continue;
            }
            assertTrue(l.version() > highest, "after dropping duplicates the versions are in order: " + log);
            highest = l.version();
            deduped.add(l.version());
        }
        assertEquals(versions, deduped, "every committed event is published: " + log);
        assertTrue(deadLetters.count() == 0, "nothing was dead-lettered");
    }

    /**
     * Two relays whose clocks disagree by 1 s (B ahead), a 10 s lease and a sink whose longest delivery is 5 s (one
     * call, 5 s limit). A's delivery of v1 takes 4.9 s: 5.1 s of its lease are left, room for one more delivery by
     * A's clock but not for a delivery and the relays' clock skew (2 s by default), so A leaves v2 and v3 for the
     * next claim. B leaves the document alone while A's lease lives by B's clock, then claims it and publishes v2
     * and v3: one relay at a time, in version order (patterns.md §3: two relays never publish one entity at once).
     */
    @Test
    void aRelayWhoseLeaseHasNoRoomForTheClockSkewLeavesTheRestForTheNextClaim(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_skew");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        SteppingClock clockA = new SteppingClock();
        SteppingClock clockB = new SteppingClock();
        clockB.skip(Duration.ofSeconds(1));
        List<Long> versions = new ArrayList<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store)) {
            for (int i = 1; i <= 3; i++) {
                versions.add(w.save(new Document("_id", "x").append("n", i)).version());
            }
            Sink<Document> sinkA = change -> {
                if (change.version() == versions.get(0)) {
                    clockA.skip(Duration.ofMillis(4900));
                    clockB.skip(Duration.ofMillis(4900));
                }
                log.add(Landed.of("A", change));
                return ApplyResult.APPLIED;
            };
            Sink<Document> sinkB = recording("B", log);
            try (EmbeddedEventRelay a = relay(c, "A", clockA, deadLetters, Duration.ofSeconds(10), sinkA);
                 EmbeddedEventRelay b = relay(c, "B", clockB, deadLetters, Duration.ofSeconds(10), sinkB)) {
                assertEquals(1, a.publishDue(), "A publishes v1, then stops short of the skew: " + log);
                clockA.skip(Duration.ofSeconds(3));
                clockB.skip(Duration.ofSeconds(3));
                // B's clock reads 8.9 s past A's claim, A's 7.9 s; A released the document when it stopped
                assertEquals(2, b.publishDue(), "B publishes the rest: " + log);
            }
        }
        assertEquals(List.of(Landed.at("A", "x", versions.get(0)),
                Landed.at("B", "x", versions.get(1)),
                Landed.at("B", "x", versions.get(2))), log);
    }

    /** A lease that cannot hold the longest delivery and the clock skew is refused when the relay is built. */
    @Test
    void aLeaseWithoutRoomForTheLongestDeliveryAndTheClockSkewIsRefused(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_room");
        // two attempts of 100 ms with up to 3 s between them (a sink's Retry-After is waited for up to maxBackoff)
        SinkSettings settings = SinkSettings.builder().maxAttempts(2).attemptTimeout(Duration.ofMillis(100))
                .backoff(Duration.ofMillis(10), 2.0, Duration.ofSeconds(3)).jitter(0).build();
        Sink<Document> sink = change -> ApplyResult.APPLIED;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedEventRelay.builder(c)
                .entityType("item").deadLetterStore(new InMemoryDeadLetterStore()).lease(Duration.ofSeconds(4))
                .sink("audit", sink, settings).build());
        assertTrue(e.getMessage().contains("audit") && e.getMessage().contains("PT3.2S"), e.getMessage());
        // 3.2 s, a skew of 0.5 s and the second the claim is given fit in 5 s
        EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(new InMemoryDeadLetterStore())
                .lease(Duration.ofSeconds(5)).maxClockSkew(Duration.ofMillis(500)).sink("audit", sink, settings).build()
                .close();
        assertThrows(IllegalArgumentException.class, () -> EmbeddedEventRelay.builder(c).maxClockSkew(Duration.ofSeconds(-1)));
    }


    /**
     * Interleaving: a started relay (its polling thread) meets a fatal {@code Error} ({@code OutOfMemoryError}) from a
     * sink once; the sink is healthy afterwards; the lease (4 s) runs out.
     *
     * <p>Promise (EmbeddedEventRelay javadoc and patterns.md §3): "only the JVM's fatal errors propagate, and the
     * document waits for its lease to run out", i.e. it is published once the lease has run out; and convergence
     * (promise 2) for every other entity: the polling thread outlives the error and goes on with its passes.
     */
    @Test
    void aStartedRelayKeepsPublishingAfterAFatalErrorFromASink(MongoDatabase db) throws Exception {
        MongoCollection<Document> c = items(db, "relay_fatal");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean once = new AtomicBoolean(true);
        Sink<Document> sink = change -> {
            if (once.getAndSet(false)) {
                throw new OutOfMemoryError("injected: one huge payload");
            }
            log.add(Landed.of("R", change));
            return ApplyResult.APPLIED;
        };
        SinkSettings quick = SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofMillis(200)).build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .lease(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50)).sink("audit", sink, quick)
                     .build()) {
            long vx = w.save(new Document("_id", "x").append("n", 1)).version();
            relay.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (once.get() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(once.get(), "the sink met its fatal error");
            long vy = w.save(new Document("_id", "y").append("n", 1)).version();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (System.nanoTime() < deadline && log.size() < 2) {
                Thread.sleep(50);
            }
            List<Landed> landed;
            synchronized (log) {
                landed = new ArrayList<>(log);
            }
            assertTrue(landed.contains(new Landed("R", "y", vy, "item/y@" + vy)),
                    "another entity saved after the error is published: " + landed + ", backlog " + relay.backlog());
            assertTrue(landed.contains(new Landed("R", "x", vx, "item/x@" + vx)),
                    "the entity whose delivery met the error is published once its lease ran out: " + landed);
        }
    }

    /**
     * Interleaving: a save of the same entity commits while the relay is publishing it (between its claim and its
     * conditional {@code finish}), so the revision the relay claimed is gone when it records its progress.
     *
     * <p>Promise: every committed event published, in order, none lost to the relay's cleanup.
     */
    @Test
    void aSaveWhileTheRelayPublishesTheEntityIsPublishedNextAndNothingIsLost(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_race");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        List<Long> versions = Collections.synchronizedList(new ArrayList<>());
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = app(store)) {
            AtomicInteger racingSaves = new AtomicInteger(2);
            Sink<Document> sink = change -> {
                if (racingSaves.getAndDecrement() > 0) {
                    // the caller's write lands while the relay holds the document
                    versions.add(w.save(new Document("_id", "x").append("n", 100 + versions.size())).version());
                }
                log.add(Landed.of("R", change));
                return ApplyResult.APPLIED;
            };
            versions.add(w.save(new Document("_id", "x").append("n", 1)).version());
            try (EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item")
                    .deadLetterStore(deadLetters).sink("audit", sink, ONE_CALL_5S).build()) {
                relay.drain(10);
                assertEquals(0, relay.backlog(), "nothing left behind");
            }
        }
        List<Long> seen = new ArrayList<>();
        for (Landed l : log) {
            if (!seen.contains(l.version())) {
                seen.add(l.version());
            }
        }
        List<Long> sorted = new ArrayList<>(versions);
        Collections.sort(sorted);
        assertEquals(sorted, seen, "every committed version published once, in order: " + log);
    }

    /**
     * Interleaving: two event sinks, "slow" then "flaky". "flaky" fails v1 of entity x transiently on every call
     * (relay retry budget: 3 attempts). On every other pass a new save gives "slow" an event whose delivery takes
     * 9.5 s of the 10 s lease, so the relay's lease check stops before "flaky" is tried in that pass.
     *
     * <p>Promise 5 and the relay's javadoc: "Attempts are counted per event and sink and kept in the document, so
     * they survive a restart"; transient failures are retried "a bounded number of times", then dead-lettered. A
     * pass that does not reach "flaky" keeps its count, so v1 is dead-lettered once the budget is spent.
     */
    @Test
    void aSinkSkippedByTheLeaseCheckKeepsItsFailedAttemptCount(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_attempts");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        SteppingClock clock = new SteppingClock();
        AtomicInteger flakyCalls = new AtomicInteger();
        AtomicBoolean slowNext = new AtomicBoolean(false);
        Sink<Document> slow = change -> {
            if (slowNext.getAndSet(false)) {
                clock.skip(Duration.ofMillis(9500));
            }
            return ApplyResult.APPLIED;
        };
        Sink<Document> flaky = change -> {
            flakyCalls.incrementAndGet();
            throw new io.dualwrite.spi.SinkException("503", io.dualwrite.ErrorKind.TRANSIENT, null);
        };
        SinkSettings oneSecond = SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(1)).build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        String id = DeadLetter.idOf("item", "x", "flaky");
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).lease(Duration.ofSeconds(10)).retry(3, Duration.ofSeconds(1), Duration.ofSeconds(1))
                     .sink("slow", slow, oneSecond).sink("flaky", flaky, oneSecond).build()) {
            w.save(new Document("_id", "x").append("n", 0));
            for (int pass = 0; pass < 12 && flakyCalls.get() < 6 && deadLetters.get(id).isEmpty(); pass++) {
                if (pass % 2 == 1) {
                    w.save(new Document("_id", "x").append("n", pass));
                    slowNext.set(true);
                }
                relay.publishDue();
                clock.skip(Duration.ofMinutes(1));
            }
            assertTrue(flakyCalls.get() > 3, "flaky was called more often than its budget: " + flakyCalls.get());
            assertTrue(deadLetters.get(id).isPresent(), "after " + flakyCalls.get() + " failed calls to flaky"
                    + " (budget 3), v1 is still not dead-lettered: its attempt count was reset");
        }
    }

    /**
     * Two relays on one clock (no skew) with a 3 s lease, and a sink whose settings allow 2 attempts of 100 ms with up
     * to 1.5 s between them. A's delivery of v1 takes 1.5 s; the sink then answers A's first call for v2 with a
     * transient failure carrying Retry-After 1.5 s, which the pipeline honours (it is within the maximum backoff).
     * A delivery that waits that long would outlive A's lease, so A starts v2 only with room for the wait: it leaves
     * v2 for the next claim, and B, polling all along, publishes it. Promise (patterns.md §3): two relays never
     * publish one entity at once, and events land in version order.
     */
    @Test
    void aRetryAfterWaitIsInTheBudgetSoTwoRelaysNeverPublishOneEntityAtOnce(MongoDatabase db) throws Exception {
        MongoCollection<Document> c = items(db, "relay_retryafter");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicBoolean throttleOnce = new AtomicBoolean(true);
        SinkSettings settings = SinkSettings.builder().maxAttempts(2).attemptTimeout(Duration.ofMillis(100))
                .backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(1500)).jitter(0).build();
        List<Long> versions = new ArrayList<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (DualWriter<Document> w = app(store)) {
            for (int i = 1; i <= 3; i++) {
                versions.add(w.save(new Document("_id", "x").append("n", i)).version());
            }
            Sink<Document> sinkA = change -> {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    if (change.version() == versions.get(0)) {
                        Thread.sleep(1500);
                    } else if (change.version() == versions.get(1) && throttleOnce.getAndSet(false)) {
                        throw new io.dualwrite.spi.SinkException("429 Too Many Requests", io.dualwrite.ErrorKind.TRANSIENT,
                                Duration.ofMillis(1500), null);
                    }
                    log.add(Landed.of("A", change));
                    return ApplyResult.APPLIED;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } finally {
                    inFlight.decrementAndGet();
                }
            };
            Sink<Document> sinkB = change -> {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    log.add(Landed.of("B", change));
                    return ApplyResult.APPLIED;
                } finally {
                    inFlight.decrementAndGet();
                }
            };
            try (EmbeddedEventRelay a = EmbeddedEventRelay.builder(c).entityType("item").owner("A")
                    .deadLetterStore(deadLetters).lease(Duration.ofSeconds(3)).maxClockSkew(Duration.ZERO)
                    .sink("audit", sinkA, settings).build();
                 EmbeddedEventRelay b = EmbeddedEventRelay.builder(c).entityType("item").owner("B")
                         .deadLetterStore(deadLetters).lease(Duration.ofSeconds(3)).maxClockSkew(Duration.ZERO)
                         .sink("audit", sinkB, settings).build()) {
                Future<Integer> passA = pool.submit(a::publishDue);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (System.nanoTime() < deadline && (!passA.isDone() || log.size() < 3)) {
                    b.publishDue();
                    Thread.sleep(50);
                }
                passA.get(10, TimeUnit.SECONDS);
                b.drain(3);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Landed> landed;
        synchronized (log) {
            landed = new ArrayList<>(log);
        }
        assertEquals(1, maxInFlight.get(), "two relays published x at the same time: " + landed);
        long highest = Long.MIN_VALUE;
        for (Landed l : landed) {
            assertTrue(l.version() >= highest, "an older version landed after a newer one: " + landed);
            highest = l.version();
        }
        assertEquals(versions, landed.stream().map(Landed::version).distinct().toList(), "every event is published");
    }


    /**
     * Interleaving: one entity's event record is malformed (its {@code corr} field is missing: an older writer, a
     * hand edit), another entity is healthy; the relay passes over both, several times, with its lease running out
     * in between.
     *
     * <p>Promise 5 / 2: "a poison entity blocks no other entity" and ends in the dead-letter store (without a
     * correlation id, which it lacks); no pass fails.
     */
    @Test
    void aMalformedEventRecordIsDeadLetteredAndDoesNotFailThePass(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_malformed");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).eventRecorder(EmbeddedEvents.builder().build())
                .build();
        List<Landed> log = Collections.synchronizedList(new ArrayList<>());
        Sink<Document> sink = recording("R", log);
        SteppingClock clock = new SteppingClock();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        List<Throwable> failures = new ArrayList<>();
        try (DualWriter<Document> w = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(c).entityType("item").deadLetterStore(deadLetters)
                     .clock(clock).sink("audit", sink, ONE_CALL_5S).build()) {
            w.save(new Document("_id", "bad").append("n", 1));
            long vOk = w.save(new Document("_id", "ok").append("n", 1)).version();
            c.updateOne(new Document("_id", "bad"), new Document("$unset", new Document("_dw.ev.list.0.corr", ""))
                    .append("$inc", new Document("_dw.rev", 1L)));
            for (int pass = 0; pass < 4; pass++) {
                try {
                    relay.publishDue();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
                clock.skip(Duration.ofMinutes(1));
            }
            assertTrue(deadLetters.get(DeadLetter.idOf("item", "bad", "audit")).isPresent(), "the malformed event is"
                    + " dead-lettered; instead " + failures.size() + " of 4 passes failed: " + failures);
            assertTrue(failures.isEmpty(), "no pass fails: " + failures);
            // passes spaced past the lease (as here, or a poll interval at least the lease) meet the poison first
            // each time (it is due earliest) and end there
            assertTrue(log.stream().anyMatch(l -> l.id().equals("ok") && l.version() == vOk), "the healthy entity"
                    + " is published: " + log);
        }
    }

    /**
     * Interleaving (state sink, writer's dead-letter replay): v1 of x was dead-lettered at sink "search"; while the
     * replay's delivery of v1 is in the sink, a new save of x (v2) commits and its delivery fails permanently (merged
     * into the same dead letter, now at v2); then the replay's delivery of v1 returns applied; then a second
     * operator's replay and a purge (discard) follow.
     *
     * <p>Promise: dead letters are never lost; a replay never removes the dead letter of a newer version it did not
     * deliver, and never delivers an older version over a newer one.
     */
    @Test
    void aReplayRacingANewSaveWhoseDeliveryFailsKeepsTheNewerDeadLetter(MongoDatabase db) {
        MongoCollection<Document> c = items(db, "relay_replayrace");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).build();
        io.dualwrite.memory.InMemorySink<Document> target = new io.dualwrite.memory.InMemorySink<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        AtomicBoolean reject = new AtomicBoolean(true);
        List<Runnable> duringReplay = Collections.synchronizedList(new ArrayList<>());
        Sink<Document> search = change -> {
            if (!duringReplay.isEmpty()) {
                duringReplay.remove(0).run();
            }
            if (reject.get() || Boolean.TRUE.equals(change.requireState().get("poison"))) {
                throw new io.dualwrite.spi.SinkException("400 mapping", io.dualwrite.ErrorKind.PERMANENT, null);
            }
            return target.apply(change);
        };
        String id = DeadLetter.idOf("item", "x", "search");
        try (DualWriter<Document> w = DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id"))
                .primary(store).deadLetterStore(deadLetters).meterRegistry(new SimpleMeterRegistry())
                .sink("search", search, SinkSettings.builder().maxAttempts(1).build()).build()) {
            long v1 = w.save(new Document("_id", "x").append("n", 1)).version();
            assertEquals(v1, deadLetters.get(id).orElseThrow().version());
            reject.set(false);
            long[] v2 = new long[1];
            duringReplay.add(() -> v2[0] = w.save(new Document("_id", "x").append("n", 2).append("poison", true))
                    .version());
            w.deadLetters().replay(id);
            assertTrue(v2[0] > v1, "the racing save committed");
            assertEquals(v2[0], deadLetters.get(id).map(DeadLetter::version).orElse(-1L),
                    "the newer version's dead letter stays after the replay of the older one");
            assertEquals(v1, target.versionOf("x").orElse(-1), "the sink holds what the replay delivered");
            // a second operator replays at once: the poison v2 is dead-lettered again, nothing older lands
            w.deadLetters().replay(id);
            assertTrue(deadLetters.get(id).isPresent(), "v2 still cannot be delivered: its dead letter stays");
            assertEquals(v1, target.versionOf("x").orElse(-1));
            // purge the dead letter, then save again: the new version flows
            w.deadLetters().discard(id);
            long v3 = w.save(new Document("_id", "x").append("n", 3)).version();
            assertEquals(v3, target.versionOf("x").orElse(-1));
            assertTrue(deadLetters.get(id).isEmpty());
        }
    }
}
