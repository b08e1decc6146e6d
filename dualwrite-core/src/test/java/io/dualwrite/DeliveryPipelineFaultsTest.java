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

import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The core delivery pipeline under faults: mixed policies and ramps, late applies, breakers and bulkheads, batched
 * acknowledgements racing newer saves and recovery, leases running out, a sink that hangs or throws an Error for one
 * entity of a batch, a full executor or a close racing a save with a REQUIRED sink, and request-key retries.
 */
@Timeout(60)
class DeliveryPipelineFaultsTest {

    /** A guarded in-memory sink behind a programmable hook; not direct unless asked. */
    static class HookSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final Map<String, AtomicInteger> callsById = new ConcurrentHashMap<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile Predicate<Change<Product>> transientFor = c -> false;
        volatile Predicate<Change<Product>> permanentFor = c -> false;
        final boolean direct;

        HookSink(boolean direct) {
            this.direct = direct;
        }

        int calls(String id) {
            AtomicInteger n = callsById.get(id);
            return n == null ? 0 : n.get();
        }

        void before(Change<Product> change) throws Exception {
        }

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            calls.incrementAndGet();
            callsById.computeIfAbsent(change.id(), k -> new AtomicInteger()).incrementAndGet();
            before(change);
            if (permanentFor.test(change)) {
                throw new SinkException("rejected " + change.id(), ErrorKind.PERMANENT, null);
            }
            if (transientFor.test(change)) {
                throw new SinkException("down for " + change.id(), ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        }

        @Override
        public Optional<Duration> callTimeout() {
            return direct ? Optional.of(Duration.ZERO) : Optional.empty();
        }
    }

    private static void drain(DualWriter<Product> w, MutableClock clock) {
        for (int i = 0; i < 50 && w.operations().backlog() > 0; i++) {
            clock.advance(Duration.ofHours(1));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
        }
        w.operations().flushAcknowledgements();
    }

    /** Every one of the sinks holds what the primary holds of {@code id}. */
    private static void assertConverged(WriterFixture fx, String id, HookSink... sinks) {
        for (HookSink sink : sinks) {
            assertConverged(fx, sink.target, id);
        }
    }

    /** @return a writer of two SYNC sinks, {@code s1} and {@code s2}, with the fast settings */
    private static DualWriter<Product> twoSinks(WriterFixture fx, HookSink s1, HookSink s2) {
        return fx.builder().sink("s1", s1, WriterFixture.fast().build()).sink("s2", s2, WriterFixture.fast().build())
                .build();
    }

    private static void assertConverged(WriterFixture fx, InMemorySink<Product> sink, String id) {
        Snapshot<Product> s = fx.primary.read(id).orElseThrow();
        assertEquals(s.version(), sink.versionOf(id).orElse(-1), "sink version of " + id + "; primary pending "
                + s.pending() + ", dead letters " + fx.deadLetters.count());
        if (s.deleted()) {
            assertTrue(sink.isDeleted(id) || sink.get(id).isEmpty(), "sink holds a deleted " + id);
        } else {
            assertEquals(s.state().orElseThrow(), sink.get(id).orElse(null), "sink state of " + id);
        }
    }

    // ---------------------------------------------------------------- delivery policies

    @Test
    void mixedPoliciesOnOneWriterConvergeAndShadowNeverSends() {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(true);
        HookSink sync = new HookSink(true);
        HookSink async = new HookSink(true);
        HookSink shadow = new HookSink(true);
        sync.transientFor = c -> true;
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build())
                .sink("async", async, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build())
                .sink("shadow", shadow, WriterFixture.fast().policy(DeliveryPolicy.SHADOW).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "a", 1));
            assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow());
            assertEquals(SinkOutcome.DEFERRED, r.outcome("sync").orElseThrow());
            assertEquals(SinkOutcome.DEFERRED, r.outcome("async").orElseThrow());
            assertEquals(SinkOutcome.SKIPPED, r.outcome("shadow").orElseThrow());
            assertEquals(0, async.calls.get(), "ASYNC called on the caller's path");
            sync.transientFor = c -> false;
            w.save(new Product("p1", "b", 2));
            drain(w, fx.clock);
            assertConverged(fx, "p1", req, sync, async);
            assertEquals(0, shadow.calls.get(), "SHADOW sink was sent a change");
            assertEquals(0, w.operations().backlog());
        }
    }

    @Test
    void rampBelowHundredSendsOnlyItsShareAndLeavesNoIntentForOthers() {
        WriterFixture fx = new WriterFixture();
        HookSink ramped = new HookSink(true);
        HookSink all = new HookSink(true);
        try (DualWriter<Product> w = fx.builder()
                .sink("ramped", ramped, WriterFixture.fast().rampPercent(30).build())
                .sink("all", all, WriterFixture.fast().build()).build()) {
            int in = 0;
            for (int i = 0; i < 200; i++) {
                WriteResult r = w.save(new Product("id" + i, "n", i));
                if (r.outcome("ramped").orElseThrow() == SinkOutcome.APPLIED) {
                    in++;
                } else {
                    assertEquals(SinkOutcome.SKIPPED, r.outcome("ramped").orElseThrow());
                    assertTrue(ramped.target.versionOf("id" + i).isEmpty());
                }
            }
            w.operations().flushAcknowledgements();
            assertTrue(in > 20 && in < 120, "ramp share " + in);
            assertEquals(0, w.operations().backlog(), "an entity outside the ramp left an intent");
            assertEquals(in, ramped.target.liveVersions().size());
        }
    }

    /** A sink slower than its attempt timeout whose late apply lands after a newer version. */
    @Test
    void lateApplyAfterTimeoutNeverRegressesTheSink() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch landed = new CountDownLatch(1);
        HookSink slow = new HookSink(false) {
            @Override
            void before(Change<Product> change) {
                if (change.state().map(p -> p.getName().equals("slow")).orElse(false)) {
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
                    while (System.nanoTime() < until) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException ignored) {
                            // a client that ignores interrupts: its request lands anyway
                        }
                    }
                    landed.countDown();
                }
            }
        };
        try (DualWriter<Product> w = fx.builder().lease(Duration.ofSeconds(60))
                .sink("s", slow, WriterFixture.fast().maxAttempts(1).attemptTimeout(Duration.ofMillis(100)).build())
                .build()) {
            WriteResult r1 = w.save(new Product("p", "slow", 1));
            assertEquals(SinkOutcome.DEFERRED, r1.outcome("s").orElseThrow());
            WriteResult r2 = w.save(new Product("p", "fast", 2));
            assertEquals(SinkOutcome.APPLIED, r2.outcome("s").orElseThrow());
            assertTrue(landed.await(5, TimeUnit.SECONDS));
            Thread.sleep(50);
            drain(w, fx.clock);
            assertConverged(fx, slow.target, "p");
            assertEquals("fast", slow.target.get("p").orElseThrow().getName());
        }
    }

    @Test
    void circuitOpeningMidRecoveryBatchSpendsNoAttemptOnUncalledAndConverges() {
        WriterFixture fx = new WriterFixture();
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        HookSink sink = new HookSink(true) {
            @Override
            public List<BatchItem> applyAll(List<Change<Product>> changes) {
                if (changes.size() > 1) {
                    // a bulk request refused as a whole (one bad document in it, say): tried change by change
                    throw new SinkException("bulk refused", ErrorKind.PERMANENT, null);
                }
                return super.applyAll(changes);
            }
        };
        try (DualWriter<Product> w = fx.builder().circuitBreakerRegistry(breakers)
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).circuitBreaker(
                        CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofHours(2)).build())
                        .build()).build()) {
            for (int i = 0; i < 5; i++) {
                w.save(new Product("e" + i, "n", i));
            }
            sink.transientFor = c -> true;
            w.operations().recoverDue();
            int attemptsSpent = 0;
            for (int i = 0; i < 5; i++) {
                Intent in = fx.primary.read("e" + i).orElseThrow().pending().get("s");
                attemptsSpent += in.attempts();
                assertTrue(in.attempts() <= 1);
                assertEquals(in.attempts(), Math.min(1, sink.calls("e" + i)), "attempt counted without a call: " + in);
            }
            assertEquals(0, fx.deadLetters.count());
            assertTrue(attemptsSpent < 5, "the breaker never opened mid-batch");
            sink.transientFor = c -> false;
            breakers.circuitBreaker(DualWriter.circuitBreakerName("product", "s")).transitionToClosedState();
            drain(w, fx.clock);
            for (int i = 0; i < 5; i++) {
                assertConverged(fx, sink.target, "e" + i);
            }
        }
    }

    @Test
    void fullBulkheadDefersWithoutCallingAndRecoveryDelivers() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HookSink sink = new HookSink(true) {
            @Override
            void before(Change<Product> change) throws Exception {
                if (change.id().equals("a")) {
                    inside.countDown();
                    release.await(10, TimeUnit.SECONDS);
                }
            }
        };
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().maxConcurrentCalls(1).build()).build()) {
            Thread t = new Thread(() -> w.save(new Product("a", "n", 1)));
            t.start();
            assertTrue(inside.await(5, TimeUnit.SECONDS));
            WriteResult rb = w.save(new Product("b", "n", 1));
            assertEquals(SinkOutcome.DEFERRED, rb.outcome("s").orElseThrow());
            assertEquals(0, sink.calls("b"));
            release.countDown();
            t.join(5000);
            drain(w, fx.clock);
            assertConverged(fx, sink.target, "a");
            assertConverged(fx, sink.target, "b");
            assertEquals(0, fx.deadLetters.count());
        }
    }

    // ---------------------------------------------------------------- acknowledgements

    @Test
    void ackOfOlderVersionNeverRemovesNewerIntent() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().acknowledgements(1000, Duration.ofHours(1))
                .sink("s", sink, WriterFixture.fast().build()).build()) {
            WriteResult r1 = w.save(new Product("p", "one", 1));
            assertEquals(SinkOutcome.APPLIED, r1.outcome("s").orElseThrow());
            sink.transientFor = c -> true;
            WriteResult r2 = w.save(new Product("p", "two", 2));
            assertEquals(SinkOutcome.DEFERRED, r2.outcome("s").orElseThrow());
            w.operations().flushAcknowledgements();
            Intent left = fx.primary.read("p").orElseThrow().pending().get("s");
            assertTrue(left != null && left.version() == r2.version(), "intent of v+1 dropped: " + left);
            sink.transientFor = c -> false;
            drain(w, fx.clock);
            assertConverged(fx, sink.target, "p");
        }
    }

    @Test
    void acknowledgementsRacingNewerSavesAndRecoveryNeverLoseAnIntent() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        sink.transientFor = c -> ThreadLocalRandom.current().nextInt(100) < 30;
        try (DualWriter<Product> w = fx.builder().acknowledgements(3, Duration.ofMillis(1))
                .recoveryRetry(1000, Duration.ofMillis(1), Duration.ofMillis(2))
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(CircuitBreakerConfig.custom()
                        .slidingWindowSize(1000).minimumNumberOfCalls(1000).failureRateThreshold(100).build()).build())
                .sink("a", new HookSink(true), WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread rec = new Thread(() -> {
                while (!stop.get()) {
                    fx.clock.advance(Duration.ofSeconds(31));
                    w.operations().recoverDue();
                }
            });
            rec.start();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int tt = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 150; i++) {
                        w.save(new Product("k" + (i % 3), "t" + tt + "-" + i, i));
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            stop.set(true);
            rec.join();
            sink.transientFor = c -> false;
            w.operations().flushAcknowledgements();
            drain(w, fx.clock);
            for (int i = 0; i < 3; i++) {
                assertConverged(fx, sink.target, "k" + i);
            }
            assertEquals(0, fx.deadLetters.count());
        }
    }

    @Test
    void closeFlushesQueuedAcknowledgements() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        DualWriter<Product> w = fx.builder().acknowledgements(1000, Duration.ofHours(1))
                .sink("s", sink, WriterFixture.fast().build()).build();
        assertEquals(SinkOutcome.APPLIED, w.save(new Product("p", "n", 1)).outcome("s").orElseThrow());
        w.close();
        assertTrue(fx.primary.read("p").orElseThrow().pending().isEmpty(), "ack lost on close");
    }

    @Test
    void closeWhileSaveInFlightLosesNothing() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch inside = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        HookSink s1 = new HookSink(false) {
            @Override
            void before(Change<Product> c) throws Exception {
                inside.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
        };
        HookSink s2 = new HookSink(false) {
            @Override
            void before(Change<Product> c) throws Exception {
                inside.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
        };
        DualWriter<Product> w = fx.builder()
                .sink("s1", s1, WriterFixture.fast().attemptTimeout(Duration.ofSeconds(20)).build())
                .sink("s2", s2, WriterFixture.fast().attemptTimeout(Duration.ofSeconds(20)).build())
                .lease(Duration.ofSeconds(60)).build();
        Thread t = new Thread(() -> {
            try {
                w.save(new Product("p", "n", 1));
            } catch (RuntimeException ignored) {
                // whatever it says, nothing may be lost
            }
        });
        t.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
            }
            release.countDown();
        }).start();
        w.close();
        t.join(10000);
        try (DualWriter<Product> w2 = twoSinks(fx, s1, s2)) {
            drain(w2, fx.clock);
            assertConverged(fx, "p", s1, s2);
        }
    }

    /**
     * A save that has passed the open check and is committing when the writer closes. If it returns
     * normally, its REQUIRED sink must hold the write; otherwise it must be compensated and reported.
     */
    @Test
    void saveInFlightAtCloseNeverReturnsSuccessWithoutItsRequiredSink() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch committing = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        DelegatingStore<Product> gated = new DelegatingStore<>(fx.primary) {
            @Override
            public Committed<Product> commit(PrimaryWrite<Product> write) {
                if (write.id().equals("gated")) {
                    committing.countDown();
                    try {
                        proceed.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return delegate.commit(write);
            }
        };
        HookSink req = new HookSink(true);
        HookSink sync = new HookSink(true);
        DualWriter<Product> w = fx.builder().primary(gated)
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build()).build();
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                outcome.set(w.save(new Product("gated", "n", 1)));
            } catch (RuntimeException e) {
                outcome.set(e);
            }
        });
        t.start();
        assertTrue(committing.await(5, TimeUnit.SECONDS));
        w.close();
        proceed.countDown();
        t.join(10000);
        Object o = outcome.get();
        if (o instanceof WriteResult) {
            WriteResult r = (WriteResult) o;
            assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow(),
                    "save returned normally although its REQUIRED sink does not hold it: " + r
                            + "; req holds " + req.target.versionOf("gated"));
        } else {
            assertTrue(o instanceof RequiredSinkFailedException || o instanceof IllegalStateException,
                    "unexpected outcome " + o);
        }
    }

    /** @return a pool of one thread, busy until {@code busy} opens (at most 10 s), that refuses every other task */
    private static java.util.concurrent.ThreadPoolExecutor fullPool(CountDownLatch busy) {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, 1,
                TimeUnit.MINUTES, new java.util.concurrent.SynchronousQueue<>());
        pool.execute(() -> {
            try {
                busy.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        return pool;
    }

    /**
     * The application's own bounded executor is saturated and rejects the hand-off of a REQUIRED sink's
     * delivery. The REQUIRED sink never took the write: the caller must not get a plain success.
     */
    @Test
    void saturatedExecutorNeverTurnsRequiredSinkIntoSilentDeferral() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch busy = new CountDownLatch(1);
        java.util.concurrent.ThreadPoolExecutor pool = fullPool(busy);
        HookSink req = new HookSink(true);
        HookSink sync = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().executor(pool)
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build()).build()) {
            WriteResult r;
            try {
                r = w.save(new Product("p", "n", 1));
            } catch (RequiredSinkFailedException reported) {
                return; // reported (and compensated): the contract holds
            }
            assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow(),
                    "REQUIRED sink silently deferred: " + r + "; req holds " + req.target.versionOf("p"));
        } finally {
            busy.countDown();
            pool.shutdown();
        }
    }

    /**
     * The application's bounded executor stays full while saves go on. A sink that is not called directly needs it
     * for its time limit, so it is never asked: each delivery is deferred, and the refusals, which say nothing of
     * the sink, must not open its circuit breaker (which would keep a healthy sink from the next saves).
     */
    @Test
    void saturatedExecutorNeverOpensAHealthySinksCircuit() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch busy = new CountDownLatch(1);
        java.util.concurrent.ThreadPoolExecutor pool = fullPool(busy);
        HookSink sink = new HookSink(false);
        CircuitBreakerConfig quick = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(5)).build();
        try (DualWriter<Product> w = fx.builder().executor(pool)
                .sink("s", sink, WriterFixture.fast().circuitBreaker(quick).build()).build()) {
            for (int i = 0; i < 5; i++) {
                WriteResult r = w.save(new Product("p" + i, "n", i));
                assertEquals(SinkOutcome.DEFERRED, r.outcome("s").orElseThrow(), "save " + i + ": " + r);
            }
            assertEquals(0, sink.calls.get(), "the sink was called although the executor refused every call");
            assertEquals("CLOSED", fx.circuitState(w, "s"), "the executor's refusals opened the sink's circuit");
            assertEquals(5, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "s", "outcome", "executor_full"));
            busy.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pool.getActiveCount() > 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            WriteResult after = w.save(new Product("q", "n", 1));
            assertEquals(SinkOutcome.APPLIED, after.outcome("s").orElseThrow(), "after the pool freed up: " + after);
            for (int i = 0; i < 5; i++) {
                assertEquals(0, fx.primary.read("p" + i).orElseThrow().pending().get("s").attempts(),
                        "a call the sink never received spent an attempt of p" + i);
            }
        } finally {
            busy.countDown();
            pool.shutdown();
        }
    }

    /**
     * Something fails unexpectedly after the commit, while delivering (here the meter registry, as the REQUIRED
     * sink's failed delivery is recorded). The REQUIRED sink does not hold the write, so the caller must not get a
     * result that only defers it: the write is compensated and reported.
     */
    @Test
    void unexpectedFailureWhileDeliveringToRequiredSinkIsCompensatedAndReported() {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
            @Override
            public io.micrometer.core.instrument.config.MeterFilterReply accept(io.micrometer.core.instrument.Meter.Id id) {
                if (id.getName().equals(DualWriteMetrics.SINK_APPLY) && "req".equals(id.getTag("sink"))
                        && "transient".equals(id.getTag("outcome"))) {
                    throw new IllegalStateException("meter registry failed");
                }
                return io.micrometer.core.instrument.config.MeterFilterReply.NEUTRAL;
            }
        });
        HookSink req = new HookSink(true);
        req.transientFor = c -> c.operation() == Operation.UPSERT;
        HookSink sync = new HookSink(true);
        // the REQUIRED sink registered last: its delivery runs on the caller's thread, where the failure surfaces
        try (DualWriter<Product> w = fx.builder()
                .sink("sync", sync, WriterFixture.fast().build())
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            RequiredSinkFailedException e = assertThrows(RequiredSinkFailedException.class,
                    () -> w.save(new Product("p", "n", 1)),
                    "a save whose REQUIRED sink does not hold it returned normally");
            assertEquals("req", e.sink());
            assertTrue(e.compensationVersion().isPresent(), "not compensated: " + e);
            Snapshot<Product> s = fx.primary.read("p").orElseThrow();
            assertTrue(s.deleted(), "the primary keeps the write its REQUIRED sink never took: " + s);
            assertTrue(req.target.get("p").isEmpty(), "the REQUIRED sink holds " + req.target.get("p"));
            assertTrue(sync.target.get("p").isEmpty(), "the SYNC sink keeps the undone write: " + sync.target.get("p"));
        }
    }

    // ---------------------------------------------------------------- recovery

    /** A sink, called on the coordinator's threads, whose call for {@code poison} hangs for 10 s. */
    private static HookSink hangingOn(String poison) {
        return new HookSink(false) {
            @Override
            void before(Change<Product> change) throws Exception {
                if (change.id().equals(poison)) {
                    Thread.sleep(10_000);
                }
            }
        };
    }

    /** A writer of one ASYNC sink (every save left to recovery), three recovery attempts with short waits. */
    private static DualWriter<Product> recoveringWriter(InMemoryPrimaryStore<Product> primary, InMemoryDeadLetterStore dlq,
                                                        HookSink sink, Duration lease, Duration attemptTimeout) {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(primary).deadLetterStore(dlq).clock(Clock.systemUTC())
                .gracePeriod(Duration.ZERO).lease(lease).maxClockSkew(Duration.ZERO) // one instance: no other clock
                .recoveryRetry(3, Duration.ofMillis(1), Duration.ofMillis(2))
                .sink("s", sink, SinkSettings.builder().policy(DeliveryPolicy.ASYNC)
                        .attemptTimeout(attemptTimeout).build()).build();
    }

    /**
     * A poison change that hangs (a sink call that never answers) in a recovery batch. Its time-out is an
     * unknown outcome: it must be retried a bounded number of times and then dead-lettered, and the other
     * entities of the batch must flow.
     */
    @Test
    void hangingPoisonInRecoveryBatchBlocksNobodyAndIsEventuallyDeadLettered() {
        InMemoryPrimaryStore<Product> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dlq = new InMemoryDeadLetterStore();
        HookSink sink = hangingOn("a-poison");
        try (DualWriter<Product> w = recoveringWriter(primary, dlq, sink, Duration.ofMillis(500), Duration.ofMillis(200))) {
            w.save(new Product("a-poison", "n", 1));
            w.save(new Product("b", "n", 1));
            w.save(new Product("c", "n", 1));
            for (int pass = 0; pass < 8; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertTrue(sink.target.versionOf("b").isPresent() && sink.target.versionOf("c").isPresent(),
                    "healthy entities blocked behind a hanging poison; poison intent "
                            + primary.read("a-poison").orElseThrow().pending() + ", dead letters " + dlq.count());
            assertEquals(1, dlq.count(), "the hanging poison was never dead-lettered");
        }
    }

    /** The same with the default proportions of lease to attempt timeout (60 s : 5 s), scaled down, and 20 entities. */
    @Test
    void hangingPoisonWithDefaultLeaseRatioNeverStarvesItsBatch() {
        InMemoryPrimaryStore<Product> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dlq = new InMemoryDeadLetterStore();
        HookSink sink = hangingOn("e05");
        try (DualWriter<Product> w = recoveringWriter(primary, dlq, sink, Duration.ofMillis(1200), Duration.ofMillis(100))) {
            for (int i = 0; i < 20; i++) {
                w.save(new Product(String.format("e%02d", i), "n", i));
            }
            for (int pass = 0; pass < 4; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = String.format("e%02d", i);
                if (!id.equals("e05") && primary.read(id).orElseThrow().pending().containsKey("s")) {
                    missing.add(id);
                }
            }
            assertTrue(missing.isEmpty() && dlq.count() == 1, "after 4 passes, still pending: " + missing
                    + "; poison " + primary.read("e05").orElseThrow().pending() + "; dead letters " + dlq.count());
        }
    }

    @Test
    void leaseRunningOutMidBatchSpendsNoAttemptAndNextPassFinishes() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true) {
            @Override
            void before(Change<Product> c) {
                fx.clock.advance(Duration.ofSeconds(1));
            }

            @Override
            public boolean appliesAllInOneCall() {
                return false;
            }
        };
        try (DualWriter<Product> w = fx.builder().lease(Duration.ofSeconds(3)).maxClockSkew(Duration.ZERO)
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC)
                        .attemptTimeout(Duration.ofSeconds(1)).build()).build()) {
            for (int i = 0; i < 5; i++) {
                w.save(new Product("e" + i, "n", i));
            }
            RecoveryReport r = w.operations().recoverDue();
            assertEquals(3, r.delivered());
            for (int i = 0; i < 5; i++) {
                Intent in = fx.primary.read("e" + i).orElseThrow().pending().get("s");
                assertTrue(in == null || in.attempts() == 0, "attempt spent on an unsent change: " + in);
            }
            drain(w, fx.clock);
            for (int i = 0; i < 5; i++) {
                assertConverged(fx, sink.target, "e" + i);
            }
            assertEquals(0, fx.deadLetters.count());
        }
    }

    @Test
    void twoWritersRecoveringAtOnceDeliverEachEntityOnce() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sinkA = new HookSink(true);
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        class Counting extends HookSink {
            Counting() {
                super(true);
            }

            @Override
            public ApplyResult apply(Change<Product> change) {
                deliveries.computeIfAbsent(change.id(), k -> new AtomicInteger()).incrementAndGet();
                return sinkA.target.apply(change);
            }
        }
        DualWriter<Product> w1 = fx.builder().recoveryBatchSize(7).workerId("w1")
                .sink("s", new Counting(), WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build();
        DualWriter<Product> w2 = fx.builder().recoveryBatchSize(7).workerId("w2")
                .sink("s", new Counting(), WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build();
        try (w1; w2) {
            for (int i = 0; i < 300; i++) {
                (i % 2 == 0 ? w1 : w2).save(new Product("e" + i, "n", i));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (DualWriter<Product> w : List.of(w1, w2, w1, w2)) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 200 && w.operations().backlog() > 0; i++) {
                        w.operations().recoverDue();
                    }
                });
                ts.add(t);
                t.start();
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(300, deliveries.size());
            for (Map.Entry<String, AtomicInteger> e : deliveries.entrySet()) {
                assertEquals(1, e.getValue().get(), "double effort on " + e.getKey());
            }
        }
    }

    @Test
    void errorForOneEntityInBatchFailsItAloneAsPermanent() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true) {
            @Override
            void before(Change<Product> c) {
                if (c.id().equals("poison")) {
                    throw new AssertionError("boom for poison");
                }
            }
        };
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            for (String id : List.of("a", "poison", "z")) {
                w.save(new Product(id, "n", 1));
            }
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertConverged(fx, sink.target, "a");
            assertConverged(fx, sink.target, "z");
            DeadLetter dl = fx.deadLetters.get(DeadLetter.idOf("product", "poison", "s")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertEquals(1, sink.calls("poison"));
            assertEquals(0, w.operations().backlog());
        }
    }

    @Test
    void errorThrownForTheWholeBulkCallIsRetriedAloneAndOnlyPoisonFails() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true) {
            @Override
            void before(Change<Product> c) {
                if (c.id().equals("poison")) {
                    throw new StackOverflowError("deep");
                }
            }

            @Override
            public List<BatchItem> applyAll(List<Change<Product>> changes) {
                for (Change<Product> c : changes) {
                    if (c.id().equals("poison")) {
                        throw new NoClassDefFoundError("bulk client broke on poison");
                    }
                }
                return super.applyAll(changes);
            }
        };
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            for (String id : List.of("a", "poison", "z")) {
                w.save(new Product(id, "n", 1));
            }
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertConverged(fx, sink.target, "a");
            assertConverged(fx, sink.target, "z");
            assertTrue(fx.deadLetters.get(DeadLetter.idOf("product", "poison", "s")).isPresent());
            assertEquals(1, fx.deadLetters.count());
        }
    }

    @Test
    void applyAllReturningWrongCountIsRetriedBoundedThenDeadLettered() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true) {
            @Override
            public List<BatchItem> applyAll(List<Change<Product>> changes) {
                calls.incrementAndGet();
                return List.of();
            }
        };
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            w.save(new Product("a", "n", 1));
            w.save(new Product("b", "n", 1));
            drain(w, fx.clock);
            assertEquals(3, sink.calls.get(), "bulk calls made");
            assertEquals(2, fx.deadLetters.count());
            assertEquals(0, w.operations().backlog());
        }
    }

    @Test
    void transientRetriesExhaustExactlyAtMaxAttempts() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        sink.transientFor = c -> true;
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().build()).build()) {
            assertEquals(SinkOutcome.DEFERRED, w.save(new Product("p", "n", 1)).outcome("s").orElseThrow());
            int syncCalls = sink.calls("p");
            assertEquals(3, syncCalls);
            for (int pass = 1; pass <= 2; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                w.operations().recoverDue();
                assertEquals(0, fx.deadLetters.count(), "dead-lettered early at pass " + pass);
                assertEquals(pass, fx.primary.read("p").orElseThrow().pending().get("s").attempts());
            }
            fx.clock.advance(Duration.ofHours(1));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            DeadLetter dl = fx.deadLetters.get(DeadLetter.idOf("product", "p", "s")).orElseThrow();
            assertEquals(3, dl.attempts());
            assertEquals(syncCalls + 3, sink.calls("p"));
            assertEquals(0, w.operations().backlog());
            fx.clock.advance(Duration.ofHours(1));
            w.operations().recoverDue();
            assertEquals(syncCalls + 3, sink.calls("p"), "retried past the bound");
        }
    }

    @Test
    void deadLetterStoreFailingWhileDeadLetteringLosesNothing() {
        WriterFixture fx = new WriterFixture();
        AtomicInteger failNext = new AtomicInteger(2);
        DeadLetterStore flaky = new DeadLetterStore() {
            @Override
            public void add(DeadLetter d) {
                if (failNext.getAndDecrement() > 0) {
                    throw new IllegalStateException("dlq down");
                }
                fx.deadLetters.add(d);
            }

            @Override
            public List<DeadLetter> list(DeadLetterQuery q) {
                return fx.deadLetters.list(q);
            }

            @Override
            public Optional<DeadLetter> get(String id) {
                return fx.deadLetters.get(id);
            }

            @Override
            public boolean remove(String id) {
                return fx.deadLetters.remove(id);
            }

            @Override
            public long count() {
                return fx.deadLetters.count();
            }
        };
        HookSink sink = new HookSink(true);
        sink.permanentFor = c -> c.id().equals("bad");
        try (DualWriter<Product> w = fx.builder().deadLetterStore(flaky)
                .sink("s", sink, WriterFixture.fast().build()).build()) {
            WriteResult r = w.save(new Product("bad", "n", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("s").orElseThrow());
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("bad").orElseThrow().pending().containsKey("s"), "intent lost");
            fx.clock.advance(Duration.ofHours(1));
            w.operations().recoverDue(); // the DLQ fails once more
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("bad").orElseThrow().pending().containsKey("s"), "intent lost");
            drain(w, fx.clock);
            assertEquals(1, fx.deadLetters.count());
            assertEquals(0, w.operations().backlog());
        }
    }

    // ---------------------------------------------------------------- caller-facing

    @Test
    void expectedVersionRaceHasOneWinnerAndSinkHoldsIt() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().sink("s", sink, WriterFixture.fast().build()).build()) {
            long v = w.save(new Product("p", "start", 0)).version();
            int n = 8;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int ii = i;
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        w.save(new Product("p", "t" + ii, ii), WriteOptions.builder().expectedVersion(v).build());
                        wins.incrementAndGet();
                    } catch (VersionConflictException e) {
                        conflicts.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                ts.add(t);
                t.start();
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(1, wins.get());
            assertEquals(n - 1, conflicts.get());
            assertEquals(v + 1, fx.primary.read("p").orElseThrow().version());
            w.operations().flushAcknowledgements();
            assertConverged(fx, sink.target, "p");
        }
    }

    @Test
    void requestKeyRetryAfterLostReplyWritesOnceAndConverges() {
        WriterFixture fx = new WriterFixture();
        AtomicBoolean loseReply = new AtomicBoolean(true);
        DelegatingStore<Product> lossy = new DelegatingStore<>(fx.primary) {
            @Override
            public Committed<Product> commit(PrimaryWrite<Product> write) {
                Committed<Product> c = delegate.commit(write);
                if (loseReply.getAndSet(false)) {
                    throw new IllegalStateException("reply lost");
                }
                return c;
            }
        };
        HookSink sink = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().primary(lossy)
                .sink("s", sink, WriterFixture.fast().build()).build()) {
            WriteOptions o = WriteOptions.builder().requestKey("req-1").build();
            assertThrows(PrimaryWriteException.class, () -> w.save(new Product("p", "n", 1), o));
            long committed = fx.primary.read("p").orElseThrow().version();
            WriteResult again = w.save(new Product("p", "n", 1), o);
            assertTrue(again.duplicate());
            assertEquals(committed, again.version());
            assertEquals(committed, fx.primary.read("p").orElseThrow().version(), "written twice");
            drain(w, fx.clock);
            assertConverged(fx, sink.target, "p");
        }
    }

    @Test
    void requestKeyOfCompensatedWriteRunsAgain() {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(true);
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            w.save(new Product("p", "before", 1));
            req.permanentFor = c -> c.state().map(p -> p.getName().equals("after")).orElse(false);
            WriteOptions o = WriteOptions.builder().requestKey("rk").build();
            RequiredSinkFailedException e = assertThrows(RequiredSinkFailedException.class,
                    () -> w.save(new Product("p", "after", 2), o));
            assertTrue(e.compensationVersion().isPresent());
            w.operations().flushAcknowledgements();
            assertConverged(fx, req.target, "p");
            assertEquals("before", req.target.get("p").orElseThrow().getName());
            req.permanentFor = c -> false;
            WriteResult r = w.save(new Product("p", "after", 2), o);
            assertFalse(r.duplicate(), "retry of a compensated request was swallowed");
            w.operations().flushAcknowledgements();
            assertConverged(fx, req.target, "p");
            assertEquals("after", req.target.get("p").orElseThrow().getName());
        }
    }

    @Test
    void interruptedCallerStillGetsCommittedResultAndSinksConverge() {
        WriterFixture fx = new WriterFixture();
        HookSink s1 = new HookSink(false);
        HookSink s2 = new HookSink(false);
        try (DualWriter<Product> w = twoSinks(fx, s1, s2)) {
            Thread.currentThread().interrupt();
            WriteResult r;
            try {
                r = w.save(new Product("p", "n", 1));
            } finally {
                assertTrue(Thread.interrupted(), "interrupt status swallowed");
            }
            assertEquals(fx.primary.read("p").orElseThrow().version(), r.version());
            drain(w, fx.clock);
            assertConverged(fx, "p", s1, s2);
        }
    }

    @Test
    void interruptedCallerWithRequiredSinkEndsConsistent() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(false);
        HookSink sync = new HookSink(false);
        try (DualWriter<Product> w = fx.builder()
                .sink("sync", sync, WriterFixture.fast().build())
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            w.save(new Product("p", "before", 1));
            Thread.currentThread().interrupt();
            try {
                w.save(new Product("p", "after", 2));
            } catch (RequiredSinkFailedException expectedMaybe) {
                // an interrupt may be taken as the sink's failure; the end state must still be consistent
            } finally {
                Thread.interrupted();
            }
            Thread.sleep(200);
            drain(w, fx.clock);
            assertConverged(fx, "p", req, sync);
        }
    }
}
