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
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An interrupted caller never breaks order: the last target's delivery runs on the caller's thread and, for a sink
 * without its own client timeout, waits for its pooled sink call under the time limit; an interrupt must not end that
 * wait early, nor count against the sink.
 */
@Timeout(60)
class InterruptedCallerTest {

    /** One sink, REQUIRED, no client timeout (its calls go through the executor); each call takes 500 ms. */
    static final class SlowSink extends HookSink {
        final List<String> log = new CopyOnWriteArrayList<>();
        volatile long firstEndedAt;

        SlowSink() {
            super(false);
        }

        @Override
        void before(Change<Product> change) {
            log.add("start v" + change.version());
            long until = System.nanoTime() + 500_000_000L;
            while (System.nanoTime() < until) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ignored) {
                    // a client that finishes its request whatever happens
                }
            }
            if (firstEndedAt == 0) {
                firstEndedAt = System.nanoTime();
            }
            log.add("end v" + change.version());
        }
    }

    static volatile long returnedAt;

    static Object saveInterruptedAfter100ms(DualWriter<Product> w, Product p) throws Exception {
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
            }
            caller.interrupt();
        });
        interrupter.start();
        Object outcome;
        try {
            outcome = w.save(p);
        } catch (RuntimeException e) {
            outcome = e;
        }
        returnedAt = System.nanoTime();
        interrupter.join();
        Thread.interrupted(); // clear
        return outcome;
    }

    @Test
    void anInterruptedCallerNeverReturnsNorCompensatesBeforeItsRequiredSinksPooledCallEnds() throws Exception {
        WriterFixture fx = new WriterFixture();
        SlowSink sink = new SlowSink();
        try (DualWriter<Product> w = fx.builder().sink("req", sink, WriterFixture.fast().maxAttempts(1)
                .policy(DeliveryPolicy.REQUIRED).build()).build()) {
            Object outcome = saveInterruptedAfter100ms(w, new Product("p", "n", 1));
            Thread.sleep(1500); // every call ends
            List<String> log = List.copyOf(sink.log);
            assertTrue(sink.firstEndedAt != 0 && returnedAt >= sink.firstEndedAt, "an interrupt made the save return"
                    + " (" + outcome + ") " + (sink.firstEndedAt - returnedAt) / 1_000_000 + " ms before its REQUIRED"
                    + " sink's call, handed to the executor, ended; the sink took the write all the same: " + log
                    + "; primary now " + fx.primary.read("p").orElse(null));
        }
    }

    @Test
    void anInterruptOfTheCallerNeverCountsAgainstTheSinksBreaker() throws Exception {
        WriterFixture fx = new WriterFixture();
        SlowSink sink = new SlowSink();
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        try (DualWriter<Product> w = fx.builder().circuitBreakerRegistry(registry)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).build()).build()) {
            Object outcome = saveInterruptedAfter100ms(w, new Product("p", "n", 1));
            Thread.sleep(700);
            CircuitBreaker cb = registry.circuitBreaker(DualWriter.circuitBreakerName("product", "s"));
            assertEquals(0, cb.getMetrics().getNumberOfFailedCalls(), "the caller's interrupt was recorded as a failure"
                    + " of a healthy sink (which took the change: " + sink.log + "); the save ended with " + outcome);
        }
    }

    /**
     * A recovery pass on an interrupted thread (a worker being stopped) starts no sink call: it would otherwise wait
     * out every call's time limit before it could stop. Nothing is spent: the intents stay for the next pass.
     */
    @Test
    void anInterruptedRecoveryPassStartsNoSinkCallAndSpendsNothing() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        try (DualWriter<Product> w = fx.builder().sink("s", sink, WriterFixture.fast()
                .policy(DeliveryPolicy.ASYNC).build()).build()) {
            for (int i = 0; i < 3; i++) {
                w.save(new Product("p" + i, "n", i));
            }
            fx.clock.advance(java.time.Duration.ofHours(1));
            Thread.currentThread().interrupt();
            try {
                w.operations().recoverDue();
            } finally {
                Thread.interrupted();
            }
            assertEquals(0, sink.calls.get(), "an interrupted recovery pass started sink calls");
            for (int i = 0; i < 3; i++) {
                assertEquals(0, fx.primary.read("p" + i).orElseThrow().pending().get("s").attempts(),
                        "an interrupted pass spent an attempt of p" + i);
            }
            assertEquals(0, fx.deadLetters.count());
            fx.clock.advance(java.time.Duration.ofHours(1));
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertEquals(0, w.operations().backlog(), "the next pass delivers them");
        }
    }
}
