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
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What bounds a recovery pass: its lease, and the sink calls it actually makes. Time is the
 * writer's clock, which the sinks here move, so nothing sleeps.
 */
class RecoveryBoundsTest {
    private final WriterFixture fx = new WriterFixture();

    /** A sink whose every call takes {@code took} of the writer's clock, recording when each call started. */
    private class SlowSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final List<Instant> started = new CopyOnWriteArrayList<>();
        final Duration took;

        SlowSink(Duration took) {
            this.took = took;
        }

        @Override
        public ApplyResult apply(Change<Product> change) {
            started.add(fx.clock.instant());
            fx.clock.advance(took);
            return target.apply(change);
        }
    }

    /** A bulk API: a bulk request is refused as a whole (413, a malformed item) after half its time budget. */
    private final class BulkApi extends SlowSink {
        BulkApi(Duration perChange) {
            super(perChange);
        }

        @Override
        public List<BatchItem> applyAll(List<Change<Product>> changes) {
            started.add(fx.clock.instant());
            fx.clock.advance(took.multipliedBy(changes.size()).dividedBy(2));
            throw new SinkException("413 the bulk request is too large", ErrorKind.PERMANENT, null);
        }
    }

    /** A bulk API whose batch is one request: it takes one call's time, whatever it carries. */
    private final class OneRequestBulk extends SlowSink {
        final List<Integer> sizes = new CopyOnWriteArrayList<>();

        OneRequestBulk(Duration took) {
            super(took);
        }

        @Override
        public boolean appliesAllInOneCall() {
            return true;
        }

        @Override
        public List<BatchItem> applyAll(List<Change<Product>> changes) {
            started.add(fx.clock.instant());
            sizes.add(changes.size());
            fx.clock.advance(took);
            List<BatchItem> out = new ArrayList<>();
            for (Change<Product> c : changes) {
                out.add(BatchItem.of(target.apply(c)));
            }
            return out;
        }
    }

    private static final Duration LEASE = Duration.ofSeconds(60);

    /** A writer whose ASYNC sink's calls are bounded by the sink's own time per call, under a 60 s lease. */
    private DualWriter<Product> writer(SlowSink sink) {
        return fx.builder().lease(LEASE).recoveryBatchSize(10).sink("api", sink, WriterFixture.fast()
                .policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true).attemptTimeout(sink.took).build()).build();
    }

    /** Saves n entities, runs one recovery pass and checks that no sink call it started could end after its lease. */
    private RecoveryReport recoverWithinLease(DualWriter<Product> w, SlowSink sink, int n) {
        for (int i = 0; i < n; i++) {
            w.save(new Product("p" + i, "x", i));
        }
        Instant claimedAt = fx.clock.instant();
        RecoveryReport pass = w.operations().recoverDue();
        assertEquals(n, pass.claimed(), pass.toString());
        Instant leaseEnds = claimedAt.plus(LEASE);
        for (Instant s : sink.started) {
            assertTrue(!s.plus(sink.took).isAfter(leaseEnds), "a call started at " + s + " could end after the lease"
                    + " held since " + claimedAt + " ran out at " + leaseEnds + "; calls started at " + sink.started);
        }
        return pass;
    }

    @Test
    void aRecoveryBatchNeverStartsASinkCallThatCouldOutliveItsLease() {
        SlowSink sink = new SlowSink(Duration.ofSeconds(10));
        try (DualWriter<Product> w = writer(sink)) {
            RecoveryReport first = recoverWithinLease(w, sink, 10);
            assertTrue(first.delivered() < 10, "the rest waits for the next claim: " + first);
            for (int pass = 0; pass < 5 && w.operations().backlog() > 0; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(0, w.operations().backlog(), "the next passes deliver the rest");
            assertEquals(10, sink.target.liveVersions().size());
        }
    }

    @Test
    void aSinkThatSendsABatchInOneRequestGetsTheWholeBatchInOneCallWithinTheLease() {
        OneRequestBulk sink = new OneRequestBulk(Duration.ofSeconds(10));
        try (DualWriter<Product> w = writer(sink)) {
            RecoveryReport pass = recoverWithinLease(w, sink, 10);
            assertEquals(10, pass.delivered(), "one call took the whole batch: " + pass);
            assertEquals(List.of(10), sink.sizes, "the sizes of the calls made");
            assertEquals(10, sink.target.liveVersions().size());
        }
    }

    /**
     * Two instances recover the same entities, the second with a clock 1.5 s ahead, within the default
     * {@code maxClockSkew} (2 s). The sink does not guard versions: it must never see two calls for one entity at
     * once. While each call of the first instance is in flight, the second runs a pass; by its clock the first's
     * lease may have run out, and it claims the entities. The first must have ended its calls before that.
     */
    @Test
    void aSecondInstanceWhoseClockIsAheadNeverDeliversAnEntityWhileTheFirstStillDoes() {
        Duration took = Duration.ofMillis(900);
        Duration lease = Duration.ofSeconds(5);
        java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        InMemorySink<Product> target = new InMemorySink<>();
        DualWriter<Product>[] second = new DualWriter[1];
        java.util.concurrent.atomic.AtomicBoolean insideSecond = new java.util.concurrent.atomic.AtomicBoolean();
        class Unguarded implements Sink<Product> {
            final boolean first;

            Unguarded(boolean first) {
                this.first = first;
            }

            @Override
            public ApplyResult apply(Change<Product> change) {
                if (!inFlight.add(change.id())) {
                    overlaps.add(change.id() + " at " + fx.clock.instant());
                }
                try {
                    fx.clock.advance(took);
                    if (first && insideSecond.compareAndSet(false, true)) {
                        try {
                            second[0].operations().recoverDue(); // the other instance's pass, while this call is out
                        } finally {
                            insideSecond.set(false);
                        }
                    }
                    return target.apply(change);
                } finally {
                    inFlight.remove(change.id());
                }
            }
        }
        SinkSettings settings = WriterFixture.fast().policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true)
                .attemptTimeout(Duration.ofSeconds(1)).build();
        Duration ahead = Duration.ofMillis(1500);
        java.time.Clock aheadClock = java.time.Clock.offset(fx.clock, ahead);
        try (DualWriter<Product> first = fx.builder().lease(lease).recoveryBatchSize(10)
                .sink("api", new Unguarded(true), settings).build();
             DualWriter<Product> other = fx.builder().clock(aheadClock).lease(lease).recoveryBatchSize(10)
                     .sink("api", new Unguarded(false), settings).build()) {
            second[0] = other;
            for (int i = 0; i < 10; i++) {
                first.save(new Product("p" + i, "x", i));
            }
            RecoveryReport pass = first.operations().recoverDue();
            assertTrue(pass.delivered() > 0, pass.toString());
            assertEquals(List.of(), overlaps, "the sink saw two calls for one entity at once; first pass " + pass);
        }
    }

    @Test
    void aLeaseShorterThanASinksAttemptTimeoutIsRefusedAtBuild() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> fx.builder()
                .lease(Duration.ofSeconds(4)).sink("api", new InMemorySink<>(),
                        WriterFixture.fast().attemptTimeout(Duration.ofSeconds(5)).build()).build());
        assertTrue(e.getMessage().contains("api"), e.getMessage());
    }

    @Test
    void aLongOutageNeverTurnsPendingIntentsIntoDeadLettersWhileTheOpenCircuitKeepsTheSinkUncalled() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(30)).clock(fx.clock).build();
        try (DualWriter<Product> w = fx.builder().recoveryRetry(3, Duration.ofSeconds(1), Duration.ofSeconds(8))
                .sink("search", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(breaker).build()).build()) {
            for (int i = 0; i < 4; i++) {
                w.save(new Product("p" + i, "x", i)); // the first two calls fail and open the circuit
            }
            int callsWhileOpen = sink.calls.get();
            // a long outage: recovery keeps coming back while the circuit stays open
            for (int pass = 0; pass < 12; pass++) {
                fx.clock.advance(Duration.ofMinutes(1));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(callsWhileOpen, sink.calls.get(), "the open circuit kept the sink uncalled");
            assertEquals(0, w.deadLetters().count(), "intents the sink was never asked about are not dead letters");
            for (int i = 0; i < 4; i++) {
                Intent intent = fx.primary.read("p" + i).orElseThrow().pending().get("search");
                assertTrue(intent != null && intent.attempts() == 0, "no attempt was spent on p" + i + ": " + intent);
            }
            sink.heal();
            fx.clock.advance(Duration.ofMinutes(31));
            for (int pass = 0; pass < 5 && w.operations().backlog() > 0; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
                fx.clock.advance(Duration.ofMinutes(1));
            }
            assertEquals(0, w.operations().backlog(), "once the sink and its circuit heal, recovery delivers everything");
            assertEquals(4, sink.target.liveVersions().size());
        }
    }

    /** A batch refused as a whole is tried again change by change, and those calls are bounded by the lease too. */
    @Test
    void theChangeByChangeRetryOfARefusedBatchNeverStartsACallThatCouldOutliveTheLease() {
        BulkApi api = new BulkApi(Duration.ofSeconds(10));
        try (DualWriter<Product> w = writer(api)) {
            recoverWithinLease(w, api, 6);
        }
    }
}
