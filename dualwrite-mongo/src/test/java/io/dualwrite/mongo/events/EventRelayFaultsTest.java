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
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded-event relay's road to a sink is the delivery pipeline every other road takes: the same faults (a call
 * slower than its time limit, transient failures, a permanent one, a poison entity, an open circuit) meet the same
 * time limit, retries, classification, breaker and meters ({@code dualwrite.sink.apply} with {@code path=events},
 * {@code dualwrite.sink.retries}); what is left after them counts one of the relay's attempts, except a call that was
 * never made.
 */
@ExtendWith(MongoExtension.class)
class EventRelayFaultsTest {
    private static final AtomicInteger N = new AtomicInteger();
    private final SteppingClock clock = new SteppingClock();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private MongoCollection<Document> items;
    private DualWriter<Document> app;

    @BeforeEach
    void setUp(MongoDatabase db) {
        items = db.getCollection("faults_" + N.incrementAndGet());
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items)
                .eventRecorder(EmbeddedEvents.builder().build()).build();
        app = DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    private EmbeddedEventRelay relay(Sink<Document> sink, SinkSettings settings) {
        return EmbeddedEventRelay.builder(items).entityType("item").deadLetterStore(deadLetters).clock(clock)
                .retry(3, Duration.ofSeconds(1), Duration.ofSeconds(1)).lease(Duration.ofSeconds(30))
                .meterRegistry(meters).circuitBreakerRegistry(breakers).sink("audit", sink, settings).build();
    }

    private static SinkSettings.Builder settings() {
        return SinkSettings.builder().backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).jitter(0);
    }

    private long applies(String outcome) {
        var t = meters.find("dualwrite.sink.apply").tag("sink", "audit").tag("path", "events").tag("outcome", outcome)
                .timer();
        return t == null ? 0 : t.count();
    }

    /** Fails the first {@code failures} calls with {@code kind}, then applies. */
    private static final class Failing implements Sink<Document> {
        final InMemorySink<Document> target = new InMemorySink<>();
        final AtomicInteger calls = new AtomicInteger();
        final int failures;
        final ErrorKind kind;

        Failing(int failures, ErrorKind kind) {
            this.failures = failures;
            this.kind = kind;
        }

        @Override
        public ApplyResult apply(Change<Document> change) {
            if (calls.incrementAndGet() <= failures) {
                throw new SinkException("injected " + kind, kind, null);
            }
            return target.apply(change);
        }
    }

    @Test
    void transientFailuresAreRetriedWithinThePassAndCounted() {
        Failing sink = new Failing(2, ErrorKind.TRANSIENT);
        try (EmbeddedEventRelay relay = relay(sink, settings().maxAttempts(3).build())) {
            app.save(new Document("_id", "a").append("n", 1));
            assertEquals(1, relay.publishDue(), "published in the pass that met the failures");
            assertEquals(3, sink.calls.get());
            assertEquals(2.0, meters.get("dualwrite.sink.retries").tag("sink", "audit").counter().count());
            assertEquals(1, applies("applied"));
            assertEquals(0, deadLetters.count());
        }
    }

    @Test
    void aPermanentFailureIsDeadLetteredAtOnce() {
        Failing sink = new Failing(1, ErrorKind.PERMANENT);
        try (EmbeddedEventRelay relay = relay(sink, settings().maxAttempts(3).build())) {
            app.save(new Document("_id", "a").append("n", 1));
            relay.drain(3);
            assertEquals(1, sink.calls.get(), "a permanent failure is not retried");
            DeadLetter dl = deadLetters.get(DeadLetter.idOf("item", "a", "audit")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertEquals(1, applies("permanent"));
            assertEquals(0, relay.backlog(), "the sink moved past it");
        }
    }

    @Test
    void aPoisonEntityIsDeadLetteredAndTheOthersPublished() {
        InMemorySink<Document> target = new InMemorySink<>();
        Sink<Document> poisoned = change -> {
            if (change.id().equals("poison")) {
                throw new AssertionError("the sink's client cannot take this entity");
            }
            return target.apply(change);
        };
        try (EmbeddedEventRelay relay = relay(poisoned, settings().maxAttempts(3).build())) {
            app.save(new Document("_id", "poison").append("n", 1));
            app.save(new Document("_id", "fine").append("n", 2));
            relay.drain(3);
            assertTrue(target.get("fine").isPresent(), "the other entity is published");
            DeadLetter dl = deadLetters.get(DeadLetter.idOf("item", "poison", "audit")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind(), "an Error in the sink is the entity's own permanent failure");
            assertEquals(1, applies("permanent"));
            assertEquals(0, relay.backlog());
        }
    }

    @Test
    void aCallSlowerThanItsTimeLimitIsCutOffAndCountsOneAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        InMemorySink<Document> target = new InMemorySink<>();
        Sink<Document> slowOnce = change -> {
            if (calls.incrementAndGet() == 1) {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SinkException("interrupted", ErrorKind.TRANSIENT, e);
                }
            }
            return target.apply(change);
        };
        try (EmbeddedEventRelay relay = relay(slowOnce, settings().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(200)).clientEnforcesTimeout(false).build())) {
            app.save(new Document("_id", "a").append("n", 1));
            long started = System.nanoTime();
            assertEquals(0, relay.publishDue(), "the slow call is cut off at its time limit");
            assertTrue(System.nanoTime() - started < 4_000_000_000L, "the pass did not wait for the slow call");
            assertEquals(1, applies("unknown_outcome") + applies("transient"), "measured as a failed delivery");
            assertEquals(0, deadLetters.count(), "one attempt of three is spent");
            clock.skip(Duration.ofSeconds(2));
            assertEquals(1, relay.publishDue(), "the next attempt publishes it");
            assertTrue(target.get("a").isPresent());
        }
    }

    @Test
    void anOpenCircuitLeavesTheSinkUncalledAndSpendsNoAttempt() {
        Failing sink = new Failing(0, ErrorKind.TRANSIENT);
        SinkSettings s = settings().maxAttempts(1).circuitBreaker(CircuitBreakerConfig.custom().clock(clock)
                .waitDurationInOpenState(Duration.ofSeconds(60)).build()).build();
        try (EmbeddedEventRelay relay = relay(sink, s)) {
            breakers.circuitBreaker("dualwrite.item.events.audit").transitionToForcedOpenState();
            app.save(new Document("_id", "a").append("n", 1));
            for (int pass = 0; pass < 5; pass++) { // more passes than the relay's attempts
                relay.publishDue();
                clock.skip(Duration.ofMinutes(2));
            }
            assertEquals(0, sink.calls.get(), "the open circuit kept the sink uncalled");
            assertEquals(0, deadLetters.count(), "events the sink was never asked about are not dead letters");
            assertTrue(applies("circuit_open") > 0, "measured as not called");
            breakers.circuitBreaker("dualwrite.item.events.audit").transitionToClosedState();
            relay.drain(3);
            assertTrue(sink.target.get("a").isPresent(), "once the circuit closes, the event is published");
            assertEquals(0, relay.backlog());
        }
    }
}
