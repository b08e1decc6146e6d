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

import io.dualwrite.DeliveryPipelineFaultsTest.HookSink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A sink call the writer's executor never ran (refused, or left waiting in its queue past the time limit) is neither
 * a failure nor a success of the sink: it never moves the circuit breaker, spends no attempt and dead-letters
 * nothing. An unexpected failure while delivering never hides a REQUIRED sink that does not hold the write, never
 * undoes a write a REQUIRED sink took, and never lets the undo overtake the write at a sink.
 */
@Timeout(60)
class ExecutorAndCatchAllFaultsTest {

    /** A pool of three threads and no queue, that can be filled (refuses every task) and freed on demand. */
    private static final class Pool implements AutoCloseable {
        final ThreadPoolExecutor exec = new ThreadPoolExecutor(3, 3, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
        volatile CountDownLatch busy = new CountDownLatch(0);

        void fill() throws InterruptedException {
            busy = new CountDownLatch(1);
            CountDownLatch b = busy;
            for (int i = 0; i < 3; i++) {
                exec.execute(() -> {
                    try {
                        b.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException ignored) {
                    }
                });
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (exec.getActiveCount() < 3 && System.nanoTime() < until) {
                Thread.sleep(2);
            }
        }

        void free() throws InterruptedException {
            busy.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (exec.getActiveCount() > 0 && System.nanoTime() < until) {
                Thread.sleep(2);
            }
            Thread.sleep(50); // the workers are back waiting for tasks
        }

        @Override
        public void close() {
            busy.countDown();
            exec.shutdownNow();
        }
    }

    private static CircuitBreakerConfig.Builder breaker(int window, int minimumCalls, float failureRate, Duration open) {
        return CircuitBreakerConfig.custom().slidingWindowSize(window).minimumNumberOfCalls(minimumCalls)
                .failureRateThreshold(failureRate).waitDurationInOpenState(open);
    }

    /** @return a pool of one thread, busy until {@code busy} opens (at most 20 s), that queues every other task */
    private static ThreadPoolExecutor busyQueueingPool(CountDownLatch busy) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        pool.execute(() -> {
            try {
                busy.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        return pool;
    }

    private static MeterFilter throwingFor(Predicate<Meter.Id> when) {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if (when.test(id)) {
                    throw new IllegalStateException("meter registry failed for " + id.getName() + " " + id.getTags());
                }
                return MeterFilterReply.NEUTRAL;
            }
        };
    }

    // ------------------------------------------------------------------ calls the executor never ran, and the breaker

    /**
     * The sink is down and its circuit opens. When the open wait ends, the executor is full: the HALF_OPEN trial calls
     * are all refused by the executor and the sink is never asked. Refusals say nothing of the sink's health, so they
     * must not close the circuit of a sink that is still down.
     */
    @Test
    void refusedTrialCallsNeverCloseTheCircuitOfASinkThatIsStillDown() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        sink.transientFor = c -> true; // down, for good
        CircuitBreakerConfig cb = breaker(2, 2, 50, Duration.ofMillis(200))
                .permittedNumberOfCallsInHalfOpenState(2).build();
        try (Pool pool = new Pool(); DualWriter<Product> w = fx.builder().executor(pool.exec)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(cb).build()).build()) {
            w.save(new Product("p0", "n", 0));
            w.save(new Product("p1", "n", 1));
            assertEquals("OPEN", fx.circuitState(w, "s"), "two failed calls of two open the circuit");
            int callsBefore = sink.calls.get();
            Thread.sleep(400); // the open wait is over: the next calls are the HALF_OPEN trials
            pool.fill();
            for (int i = 0; i < 4; i++) {
                WriteResult r = w.save(new Product("q" + i, "n", i));
                assertEquals(SinkOutcome.DEFERRED, r.outcome("s").orElseThrow());
            }
            assertEquals(callsBefore, sink.calls.get(), "the sink was called although the executor refused every call");
            assertNotEquals("CLOSED", fx.circuitState(w, "s"), "the executor's refusals closed the circuit of a sink"
                    + " that is still down (refusals were recorded as successful trial calls; the sink was never asked)");
        }
    }

    /**
     * The sink fails every call it receives. Calls alternate between refused by a full executor and received. The
     * refusals must not count with the breaker at all (Resilience4j counts an exception it does not record as a
     * success), or they dilute the failure rate and the circuit of a sink that failed 100% of its calls stays closed.
     */
    @Test
    void refusalsNeverDiluteTheFailureRateOfASinkThatFailsEveryCall() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        sink.transientFor = c -> true;
        CircuitBreakerConfig cb = breaker(4, 2, 60, Duration.ofMinutes(5)).build();
        try (Pool pool = new Pool(); DualWriter<Product> w = fx.builder().executor(pool.exec)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(cb).build()).build()) {
            for (int i = 0; i < 2; i++) {
                pool.fill();
                w.save(new Product("r" + i, "n", i)); // refused: the sink is not asked
                pool.free();
                w.save(new Product("f" + i, "n", i)); // received: fails
            }
            assertEquals(2, sink.calls.get(), "calls the sink received");
            assertEquals(2, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "s", "outcome", "executor_full"));
            assertEquals("OPEN", fx.circuitState(w, "s"), "the sink failed both calls it received (2 calls, 100% >"
                    + " 60%), but the 2 executor refusals counted as successes and kept its circuit closed");
        }
    }

    /**
     * A full executor that queues instead of refusing (Executors.newFixedThreadPool's shape): the sink's calls wait in
     * the queue, time out and are cancelled before they run. The sink is healthy and never called, so the timeouts
     * must not count against its breaker.
     */
    @Test
    void aFullQueueingExecutorNeverOpensAHealthySinksCircuit() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        CircuitBreakerConfig cb = breaker(2, 2, 50, Duration.ofMinutes(5)).build();
        CountDownLatch busy = new CountDownLatch(1);
        ThreadPoolExecutor pool = busyQueueingPool(busy);
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", sink, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(100)).circuitBreaker(cb).build()).build()) {
            for (int i = 0; i < 3; i++) {
                w.save(new Product("p" + i, "n", i));
            }
            busy.countDown();
            Thread.sleep(200);
            assertEquals(0, sink.calls.get(), "the sink was never called: its calls were cancelled in the queue");
            assertEquals("CLOSED", fx.circuitState(w, "s"), "a full (queueing) executor opened the circuit of a healthy"
                    + " sink that was never called");
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * Recovery with a full executor that queues: each call waits in the queue, times out and is cancelled before the
     * sink is asked. No attempt may be spent, and no intent of a healthy sink that was never called dead-lettered.
     */
    @Test
    void aFullQueueingExecutorNeverDeadLettersAnIntentOfAHealthySink() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(100).minimumNumberOfCalls(100)
                .build(); // keep the breaker out of it
        CountDownLatch busy = new CountDownLatch(1);
        ThreadPoolExecutor pool = busyQueueingPool(busy);
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", sink, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(100)).circuitBreaker(cb).build()).build()) {
            w.save(new Product("p", "n", 1));
            for (int pass = 0; pass < 5; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            busy.countDown();
            Thread.sleep(200);
            assertEquals(0, sink.calls.get(), "the sink was never called: its calls were cancelled in the queue");
            assertEquals(0, fx.deadLetters.count(), "an intent of a healthy sink that was never called was"
                    + " dead-lettered: " + fx.deadLetters.list(DeadLetterQuery.ALL));
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }

    /** Recovery with the executor refusing every call: no attempt is spent, nothing is dead-lettered, the circuit stays closed. */
    @Test
    void refusalsOnRecoveryNeverSpendAttemptsNorDeadLetter() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        CircuitBreakerConfig cb = breaker(2, 2, 50, Duration.ofMinutes(5)).build();
        try (Pool pool = new Pool(); DualWriter<Product> w = fx.builder().executor(pool.exec)
                .sink("s", sink, WriterFixture.fast().circuitBreaker(cb).build()).build()) {
            pool.fill();
            for (int i = 0; i < 3; i++) {
                w.save(new Product("p" + i, "n", i));
            }
            for (int pass = 0; pass < 10; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(0, fx.deadLetters.count(), "refused recovery calls dead-lettered intents");
            for (int i = 0; i < 3; i++) {
                assertEquals(0, fx.primary.read("p" + i).orElseThrow().pending().get("s").attempts(),
                        "a refused recovery call spent an attempt of p" + i);
            }
            assertEquals("CLOSED", fx.circuitState(w, "s"));
            assertEquals(0, sink.calls.get());
            pool.free();
            for (int pass = 0; pass < 3 && w.operations().backlog() > 0; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(0, w.operations().backlog(), "recovery delivers once the pool frees up");
        }
    }

    // ------------------------------------------------------------------ the catch-all after the commit

    /**
     * The REQUIRED sink fails; compensating, the compensations counter throws (the meter registry fails). The write
     * must still be undone and the caller get RequiredSinkFailedException, not the meter registry's exception.
     */
    @Test
    void aFailureInsideTheCompensationStillEndsInACompensatedRequiredSinkFailure() {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(throwingFor(id -> id.getName().equals(DualWriteMetrics.COMPENSATIONS)));
        HookSink req = new HookSink(true);
        req.transientFor = c -> c.operation() == Operation.UPSERT;
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            try {
                WriteResult r = w.save(new Product("p", "n", 1));
                fail("a save whose REQUIRED sink refused it returned normally: " + r);
            } catch (RequiredSinkFailedException expected) {
                assertEquals("req", expected.sink());
            } catch (RuntimeException other) {
                Snapshot<Product> s = fx.primary.read("p").orElseThrow();
                fail("the REQUIRED sink refused the write, yet the caller got " + other + " instead of"
                        + " RequiredSinkFailedException; the primary keeps the write (deleted=" + s.deleted()
                        + ", version " + s.version() + ", pending " + s.pending().keySet() + ")");
            }
            Snapshot<Product> s = fx.primary.read("p").orElseThrow();
            assertTrue(s.deleted(), "the primary keeps the write its REQUIRED sink refused: " + s);
        }
    }

    /**
     * The REQUIRED sink APPLIED the write; a SYNC sink rejected it for good and its dead letter was stored, but the
     * dead-letter counter throws. A SYNC sink's rejection is never the business operation's failure: the write must
     * not be undone nor reported as a failure of the REQUIRED sink that took it.
     */
    @Test
    void aRequiredSinkThatAppliedTheWriteIsNeverReportedAsFailed() {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(throwingFor(id -> id.getName().equals(DualWriteMetrics.DEAD_LETTERS)));
        HookSink req = new HookSink(true);
        HookSink sync = new HookSink(true);
        sync.permanentFor = c -> c.operation() == Operation.UPSERT;
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build()).build()) {
            try {
                WriteResult r = w.save(new Product("p", "n", 1));
                assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow());
            } catch (RequiredSinkFailedException e) {
                fail("REQUIRED sink '" + e.sink() + "' applied the write on its first call (calls: " + req.calls("p")
                        + ", the second is the undo), yet the write was undone and reported as '" + e.sink()
                        + "' failing (" + e.kind() + ", " + e.getCause() + "); compensation version "
                        + e.compensationVersion() + "; SYNC sink's rejection stored as dead letter: "
                        + fx.deadLetters.count());
            }
        }
    }

    /** A sink that guards no version (as an HTTP API without preconditions): the last change it receives wins. */
    private static final class LastWriteWinsSink implements Sink<Product> {
        final Map<String, io.dualwrite.Change<Product>> last = new ConcurrentHashMap<>();
        final CountDownLatch deleteSeen = new CountDownLatch(1);
        final CountDownLatch upsertDone = new CountDownLatch(1);
        final java.util.List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public ApplyResult apply(io.dualwrite.Change<Product> change) throws Exception {
            received.add(change.operation() + "@" + change.version() + " on " + Thread.currentThread().getName());
            if (change.operation() == Operation.UPSERT) {
                // a call well within its time budget (5 s): it lands once the compensation's delete has
                deleteSeen.await(2, TimeUnit.SECONDS);
                last.put(change.id(), change);
                upsertDone.countDown();
            } else {
                last.put(change.id(), change);
                deleteSeen.countDown();
            }
            return ApplyResult.APPLIED;
        }

        @Override
        public Optional<Duration> callTimeout() {
            return Optional.of(Duration.ZERO);
        }
    }

    /**
     * An unexpected failure surfaces on the caller's thread (in the last sink's delivery) while the REQUIRED sink's
     * delivery still runs on another thread. Whatever the write path does next (a compensation, or a result), a
     * REQUIRED sink without a version guard, whose calls all end well within their time budget, must end up holding
     * what the primary holds: an undo sent at once would overtake the write, and its acknowledgement would leave
     * nothing for recovery to fix.
     */
    @Test
    void aRequiredSinkWithoutVersionGuardEndsHoldingWhatThePrimaryHolds() throws Exception {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(throwingFor(id -> id.getName().equals(DualWriteMetrics.SINK_APPLY)
                && "sync".equals(id.getTag("sink")) && "sync".equals(id.getTag("path"))
                && "transient".equals(id.getTag("outcome"))));
        LastWriteWinsSink req = new LastWriteWinsSink();
        HookSink sync = new HookSink(true);
        sync.transientFor = c -> c.operation() == Operation.UPSERT;
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build()).build()) {
            try {
                w.save(new Product("p", "n", 1));
            } catch (RequiredSinkFailedException expected) {
                // the catch-all compensated
            }
            assertTrue(req.upsertDone.await(5, TimeUnit.SECONDS), "the original delivery ended");
            // the acknowledgements are written off the caller's path within moments; recovery comes after the grace
            w.operations().flushAcknowledgements();
            for (int i = 0; i < 10; i++) {
                fx.clock.advance(Duration.ofHours(1));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            Snapshot<Product> s = fx.primary.read("p").orElseThrow();
            io.dualwrite.Change<Product> held = req.last.get("p");
            assertEquals(s.deleted() ? Operation.DELETE : Operation.UPSERT, held.operation(), "the REQUIRED sink holds "
                    + held.operation() + " version " + held.version() + " while the primary holds version "
                    + s.version() + (s.deleted() ? " (deleted)" : "") + ", pending " + s.pending() + "; received "
                    + req.received);
            assertEquals(s.version(), held.version(), "received " + req.received);
        }
    }

    /**
     * The REQUIRED sink takes the write (its call returns APPLIED); recording the sink.apply timer for it throws (a
     * failing meter registry). The sink holds the write: the business operation must not be undone and reported as
     * the REQUIRED sink's failure because of a meter.
     */
    @Test
    void aRequiredSinkThatReturnedAppliedIsNeverUndoneBecauseItsTimerFailed() {
        WriterFixture fx = new WriterFixture();
        fx.meters.config().meterFilter(throwingFor(id -> id.getName().equals(DualWriteMetrics.SINK_APPLY)
                && "req".equals(id.getTag("sink")) && "applied".equals(id.getTag("outcome"))));
        HookSink req = new HookSink(true);
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            try {
                WriteResult r = w.save(new Product("p", "n", 1));
                assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow(), r.toString());
            } catch (RequiredSinkFailedException e) {
                Snapshot<Product> s = fx.primary.read("p").orElseThrow();
                fail("REQUIRED sink 'req' returned APPLIED on its first call (calls: " + req.calls("p") + ", the second"
                        + " is the undo), yet a failing meter made the write be undone (primary deleted=" + s.deleted()
                        + ") and reported as '" + e.sink() + "' failing (" + e.kind() + ", " + e.getCause() + ")");
            }
            assertFalse(fx.primary.read("p").orElseThrow().deleted());
        }
    }
}
