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
package io.dualwrite;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every road a change takes to a sink (the caller's path, a recovery pass, a redelivery, a dead letter's replay)
 * goes through the one delivery pipeline: the same sink faults (transient failures, a permanent one, a poison entity,
 * a call slower than its time limit, an open circuit) meet the same time limit, classification and breaker, end the
 * same way (delivered, or a dead letter, never a loop) and show in the same meters. The embedded-event relay's road
 * is {@code EventRelayFaultsTest} in dualwrite-mongo.
 */
class EveryRoadMeetsTheSameFaultsTest {
    private static final String SINK = "s";

    enum Road { CALLER, RECOVERY, REDELIVERY, DEAD_LETTER_REPLAY }

    enum Fault { TRANSIENT_TWICE, PERMANENT, POISON, SLOW, OPEN_CIRCUIT }

    static Stream<Arguments> roadsAndFaults() {
        List<Arguments> out = new ArrayList<>();
        for (Road r : Road.values()) {
            for (Fault f : Fault.values()) {
                out.add(Arguments.of(r, f));
            }
        }
        return out.stream();
    }

    private final WriterFixture fx = new WriterFixture();
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();

    /** A sink that meets the fault once armed: per id, how many calls fail and how. */
    private static final class Faulty implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        volatile Fault fault;
        /** Before the road runs: every call is refused permanently (to make the dead letters a replay starts from). */
        volatile boolean refuseAll;

        int calls(String id) {
            return calls.getOrDefault(id, new AtomicInteger()).get();
        }

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            if (refuseAll) {
                throw new SinkException("not yet", ErrorKind.PERMANENT, null);
            }
            int n = calls.computeIfAbsent(change.id(), k -> new AtomicInteger()).incrementAndGet();
            if (fault == Fault.TRANSIENT_TWICE && n <= 2) {
                throw new SinkException("503 try again", ErrorKind.TRANSIENT, null);
            }
            if (fault == Fault.PERMANENT) {
                throw new SinkException("400 refused", ErrorKind.PERMANENT, null);
            }
            if (fault == Fault.POISON && change.id().equals("poison")) {
                throw new AssertionError("the client cannot take this entity");
            }
            if (fault == Fault.SLOW && n == 1) {
                Thread.sleep(2_000);
            }
            return target.apply(change);
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("roadsAndFaults")
    void everyRoadMeetsTheSameFaultsTheSameWay(Road road, Fault fault) {
        Faulty sink = new Faulty();
        DeliveryPolicy policy = road == Road.CALLER || road == Road.DEAD_LETTER_REPLAY ? DeliveryPolicy.SYNC
                : DeliveryPolicy.ASYNC;
        SinkSettings settings = WriterFixture.fast().policy(policy).attemptTimeout(Duration.ofMillis(300))
                .clientEnforcesTimeout(false).circuitBreaker(CircuitBreakerConfig.custom().clock(fx.clock)
                        .waitDurationInOpenState(Duration.ofMinutes(5)).build()).build();
        List<String> ids = fault == Fault.POISON ? List.of("poison", "fine") : List.of("a");
        try (DualWriter<Product> w = fx.builder().circuitBreakerRegistry(breakers).recoveryRetry(5,
                Duration.ofSeconds(1), Duration.ofSeconds(8)).sink(SINK, sink, settings).build()) {
            if (road == Road.DEAD_LETTER_REPLAY) {
                sink.refuseAll = true; // a replay starts from dead letters
                ids.forEach(id -> w.save(new Product(id, "x", 1)));
                assertEquals(ids.size(), w.deadLetters().count());
                sink.refuseAll = false;
            }
            sink.fault = fault;
            var breaker = breakers.circuitBreaker(DualWriter.circuitBreakerName("product", SINK));
            if (fault == Fault.OPEN_CIRCUIT) {
                breaker.transitionToForcedOpenState();
            }
            Map<String, Redelivery> earlier = new HashMap<>();
            for (int round = 0; round < 6; round++) {
                travel(road, w, ids, round, earlier);
                fx.clock.advance(Duration.ofMinutes(1));
            }
            String path = road == Road.CALLER || road == Road.DEAD_LETTER_REPLAY ? "sync" : "recovery";
            switch (fault) {
                case TRANSIENT_TWICE, SLOW -> {
                    assertTrue(sink.target.get("a").isPresent(), "delivered in the end");
                    assertEquals(0, w.deadLetters().count(), "a transient fault is never a dead letter");
                    String outcome = fault == Fault.SLOW ? "unknown_outcome" : "transient";
                    assertTrue(fx.timerCount(DualWriteMetrics.SINK_APPLY, "path", path, "outcome", outcome)
                            + (long) fx.counter(DualWriteMetrics.SINK_RETRIES, "sink", SINK) > 0,
                            "the fault is measured: " + outcome);
                }
                case PERMANENT -> {
                    assertTrue(sink.target.get("a").isEmpty());
                    assertEquals(ErrorKind.PERMANENT, w.deadLetters().inspect(DeadLetter.idOf("product", "a", SINK))
                            .orElseThrow().kind());
                    assertEquals(1, sink.calls("a"), "a permanent failure is never retried");
                    assertTrue(fx.timerCount(DualWriteMetrics.SINK_APPLY, "path", path, "outcome", "permanent") > 0);
                }
                case POISON -> {
                    assertTrue(sink.target.get("fine").isPresent(), "the poison entity holds back no other");
                    assertEquals(ErrorKind.PERMANENT, w.deadLetters().inspect(DeadLetter.idOf("product", "poison", SINK))
                            .orElseThrow().kind(), "an Error is the entity's own permanent failure");
                    assertTrue(w.deadLetters().inspect(DeadLetter.idOf("product", "fine", SINK)).isEmpty());
                    assertEquals("CLOSED", breaker.getState().name(), "a poison entity never opens the circuit");
                }
                case OPEN_CIRCUIT -> {
                    assertEquals(0, sink.calls("a"), "the open circuit kept the sink uncalled");
                    assertTrue(fx.timerCount(DualWriteMetrics.SINK_APPLY, "outcome", "circuit_open") > 0,
                            "measured as not called");
                    if (road == Road.DEAD_LETTER_REPLAY) {
                        assertEquals(1, w.deadLetters().count(), "the dead letter stays, never replayed into nothing");
                    } else {
                        assertEquals(0, w.deadLetters().count(), "changes the sink never saw are not dead letters");
                        Intent pending = fx.primary.read("a").orElseThrow().pending().get(SINK);
                        assertTrue(pending != null && pending.attempts() == 0, "no attempt was spent: " + pending);
                    }
                    breaker.transitionToClosedState();
                    for (int round = 0; round < 3; round++) {
                        travel(road, w, ids, road == Road.DEAD_LETTER_REPLAY ? round : round + 1, earlier);
                        fx.clock.advance(Duration.ofMinutes(1));
                    }
                    assertTrue(sink.target.get("a").isPresent(), "once the circuit closes, the change is delivered");
                }
            }
        }
    }

    /** One round of the road: its first round starts the change on its way, later ones take it further. */
    private void travel(Road road, DualWriter<Product> w, List<String> ids, int round,
                        Map<String, Redelivery> earlier) {
        switch (road) {
            case CALLER -> {
                if (round == 0) {
                    ids.forEach(id -> w.save(new Product(id, "x", 1)));
                } else {
                    w.operations().recoverDue(); // what the caller's path left: recovery's turn
                }
            }
            case RECOVERY -> {
                if (round == 0) {
                    ids.forEach(id -> w.save(new Product(id, "x", 1)));
                } else {
                    w.operations().recoverDue();
                }
            }
            case REDELIVERY -> {
                if (round == 0) {
                    ids.forEach(id -> w.save(new Product(id, "x", 1)));
                }
                List<String> open = ids.stream().filter(id -> earlier.get(id) == null
                        || earlier.get(id).outcome() == SinkOutcome.DEFERRED).toList();
                if (!open.isEmpty()) {
                    earlier.putAll(w.operations().redeliver(SINK, open, earlier, 5));
                }
            }
            case DEAD_LETTER_REPLAY -> {
                // an operator's one replay of each dead letter: what it leaves is recovery's
                for (String id : round > 0 ? List.<String>of() : ids) {
                    String dl = DeadLetter.idOf("product", id, SINK);
                    if (w.deadLetters().inspect(dl).isPresent()) {
                        w.deadLetters().replay(dl);
                    }
                }
                w.operations().recoverDue();
            }
        }
        w.operations().flushAcknowledgements();
    }
}
