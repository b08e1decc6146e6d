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
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A busy executor never costs a healthy sink its circuit or an intent, whether it refuses a call, drops it, or starts
 * it late; and a save returns only once every delivery it handed to the pool has ended, also when its thread is
 * interrupted, so that a compensation never overtakes the write at a sink.
 */
@Timeout(60)
class ExecutorSaturationFaultsTest {

    /**
     * The caller's thread is interrupted (a request timeout, a cancelled task) while it waits for the REQUIRED
     * sink's pooled delivery. deliverSync promises to return or throw "only once every delivery handed to the pool
     * has ended", so that the compensation can never overtake the write at the sink.
     */
    @Test
    void anInterruptedCallerNeverLetsTheUndoOvertakeTheRequiredWrite() throws Exception {
        WriterFixture fx = new WriterFixture();
        CountDownLatch upsertStarted = new CountDownLatch(1);
        CountDownLatch releaseUpsert = new CountDownLatch(1);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        List<String> received = new CopyOnWriteArrayList<>();
        HookSink req = new HookSink(true) {
            @Override
            void before(Change<Product> change) throws Exception {
                int n = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(n, Math::max);
                received.add(change.operation() + "@" + change.version());
                try {
                    if (change.operation() == Operation.UPSERT) {
                        upsertStarted.countDown();
                        // well within the attempt timeout (5 s); ignores interrupts like many clients do
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                        while (releaseUpsert.getCount() > 0 && System.nanoTime() < until) {
                            try {
                                releaseUpsert.await(10, TimeUnit.MILLISECONDS);
                            } catch (InterruptedException ignored) {
                                // keeps going
                            }
                        }
                    }
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        };
        HookSink sync = new HookSink(true);
        try (DualWriter<Product> w = fx.builder()
                .sink("req", req, WriterFixture.fast().maxAttempts(1).policy(DeliveryPolicy.REQUIRED).build())
                .sink("sync", sync, WriterFixture.fast().build()).build()) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicInteger inFlightWhenSaveEnded = new AtomicInteger(-1);
            Thread caller = new Thread(() -> {
                try {
                    outcome.set(w.save(new Product("p", "n", 1)));
                } catch (RuntimeException e) {
                    outcome.set(e);
                } finally {
                    inFlightWhenSaveEnded.set(inFlight.get());
                }
            }, "caller");
            caller.start();
            assertTrue(upsertStarted.await(5, TimeUnit.SECONDS));
            Thread.sleep(100); // the caller is waiting for the REQUIRED sink's delivery
            caller.interrupt();
            caller.join(10_000);
            releaseUpsert.countDown();
            assertEquals(0, inFlightWhenSaveEnded.get(), "save ended (" + outcome.get() + ") while the REQUIRED sink's"
                    + " pooled delivery was still running: deliverSync returned before every pooled delivery ended;"
                    + " REQUIRED sink received " + received);
            assertEquals(1, maxInFlight.get(), "the compensation's undo reached the REQUIRED sink while the write was"
                    + " still on its way: received " + received);
        }
    }

    /**
     * A bounded executor whose rejection policy discards (ThreadPoolExecutor.DiscardPolicy): the pooled delivery is
     * dropped without a RejectedExecutionException. The save must not wait for it forever.
     */
    @Test
    void aDiscardingExecutorNeverHangsTheSave() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink a = new HookSink(true);
        HookSink b = new HookSink(true);
        CountDownLatch busy = new CountDownLatch(1);
        ThreadPoolExecutor pool = busyPool(busy, new SynchronousQueue<>(), new ThreadPoolExecutor.DiscardPolicy());
        try (DualWriter<Product> w = fx.builder().executor(pool)
                .sink("a", a, WriterFixture.fast().build())
                .sink("b", b, WriterFixture.fast().build()).build()) {
            Thread caller = saveOnAnotherThread(w);
            caller.join(8_000);
            boolean hung = caller.isAlive();
            busy.countDown();
            assertTrue(!hung, "save() still waits after 8 s (attempt timeout 5 s): the delivery to 'a' the"
                    + " discarding executor dropped is awaited forever (sink 'a' calls: " + a.calls.get()
                    + ", 'b' calls: " + b.calls.get() + ")");
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * A full queueing executor (a fixed pool) that gets to the sink's call late, with little of the attempt timeout
     * left: the healthy sink (120 ms a call, attempt timeout 200 ms) is cut off by the time the queue used up, which
     * must not open the healthy sink's circuit.
     */
    @Test
    void aQueueingExecutorThatStartsCallsLateNeverOpensAHealthySinksCircuit() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false) {
            @Override
            void before(Change<Product> change) throws Exception {
                Thread.sleep(120);
            }
        };
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(5)).build();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", sink, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(200)).circuitBreaker(cb).build()).build()) {
            for (int i = 0; i < 3; i++) {
                pool.execute(() -> sleep(150)); // the pool is busy for 150 ms of the call's 200
                w.save(new Product("p" + i, "n", i));
                Thread.sleep(300);
            }
            assertEquals("CLOSED", fx.circuitState(w, "s"), "a busy queueing executor opened the circuit of a healthy"
                    + " sink (120 ms a call, attempt timeout 200 ms): calls it started late timed out and counted"
                    + " against the breaker; sink calls " + sink.calls.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The application's registry already holds the sink's breaker (Spring Boot's Resilience4j support creates every
     * configured instance at startup, e.g. resilience4j.circuitbreaker.instances."dualwrite.product.s"), with its own
     * config. A refusing executor then must still not open the healthy sink's circuit (docs: "the sink's circuit
     * breaker does not count it").
     */
    @Test
    void aBreakerTheApplicationConfiguredNeverCountsCallsTheExecutorRefused() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        String name = DualWriter.circuitBreakerName("product", "s");
        CircuitBreaker appBreaker = registry.circuitBreaker(name, CircuitBreakerConfig.custom().slidingWindowSize(2)
                .minimumNumberOfCalls(2).failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(5)).build());
        CountDownLatch busy = new CountDownLatch(1);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new SynchronousQueue<>());
        pool.execute(() -> {
            try {
                busy.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        try (DualWriter<Product> w = fx.builder().executor(pool).circuitBreakerRegistry(registry)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).build()).build()) {
            for (int i = 0; i < 3; i++) {
                w.save(new Product("p" + i, "n", i));
            }
            assertEquals(0, sink.calls.get());
            assertEquals(CircuitBreaker.State.CLOSED, appBreaker.getState(), "calls the executor refused (the sink"
                    + " never asked) opened the circuit of the breaker the application registered under " + name);
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The application shuts its executor down (shutdownNow, as at application shutdown) while a save waits for a
     * delivery still in the executor's queue: shutdownNow drops queued tasks without running or cancelling them, and
     * the save must not wait for it forever.
     */
    @Test
    void aSaveNeverWaitsForeverForADeliveryTheExecutorDroppedAtShutdown() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink a = new HookSink(true);
        HookSink b = new HookSink(true);
        CountDownLatch busy = new CountDownLatch(1);
        ThreadPoolExecutor pool = busyPool(busy, new LinkedBlockingQueue<>(), new ThreadPoolExecutor.AbortPolicy());
        try (DualWriter<Product> w = fx.builder().executor(pool)
                .sink("a", a, WriterFixture.fast().build())
                .sink("b", b, WriterFixture.fast().build()).build()) {
            Thread caller = saveOnAnotherThread(w);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.calls.get() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            Thread.sleep(100); // the caller waits for the delivery to 'a', queued
            int dropped = pool.shutdownNow().size();
            caller.join(10_000);
            assertTrue(!caller.isAlive(), "save() still waits 10 s after the executor was shut down (attempt timeout"
                    + " 5 s); shutdownNow dropped " + dropped + " queued task(s), among them the delivery to 'a' (calls: "
                    + a.calls.get() + ") that save() awaits with no time limit");
        } finally {
            busy.countDown();
            pool.shutdownNow();
        }
    }

    /** @return a pool of one thread, busy until {@code busy} opens (at most 30 s), with the given queue and policy */
    private static ThreadPoolExecutor busyPool(CountDownLatch busy, java.util.concurrent.BlockingQueue<Runnable> queue,
                                               java.util.concurrent.RejectedExecutionHandler policy) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, queue, policy);
        pool.execute(() -> {
            try {
                busy.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        return pool;
    }

    /** @return a daemon thread, started, that saves entity {@code p} through {@code w} */
    private static Thread saveOnAnotherThread(DualWriter<Product> w) {
        Thread caller = new Thread(() -> {
            try {
                w.save(new Product("p", "n", 1));
            } catch (RuntimeException ignored) {
                // what the save returns is not the question here, only that it returns
            }
        }, "caller");
        caller.setDaemon(true);
        caller.start();
        return caller;
    }
}
