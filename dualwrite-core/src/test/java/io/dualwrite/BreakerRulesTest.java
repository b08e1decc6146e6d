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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The circuit breaker's slow-call rules see only the sink: the time a call waited for one of the executor's threads is
 * not the sink's, and one entity's slow rejection is no failure of the sink.
 */
@Timeout(60)
class BreakerRulesTest {

    /**
     * Slow-call thresholds: the breaker's call duration is measured from acquirePermission, so it includes the time the
     * call waited in a busy executor's queue. A healthy, instant sink whose calls wait 350 ms for a thread (well under
     * half the 1 s attempt timeout) is counted as slow, and its circuit opens.
     */
    @Test
    void timeSpentWaitingForAnExecutorThreadNeverCountsAsASlowCallOfAHealthySink() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false); // instant
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(100).slowCallDurationThreshold(Duration.ofMillis(200)).slowCallRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(5)).build();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", sink, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofSeconds(1)).circuitBreaker(cb).build()).build()) {
            for (int i = 0; i < 2; i++) {
                pool.execute(() -> sleep(350)); // the only thread is busy for 350 ms
                WriteResult r = w.save(new Product("p" + i, "n", i));
                assertEquals(SinkOutcome.APPLIED, r.outcome("s").orElseThrow(), "save " + i + ": " + r);
            }
            WriteResult third = w.save(new Product("p2", "n", 2));
            assertEquals("CLOSED", fx.circuitState(w, "s"), "a healthy sink that answered every call at once had its"
                    + " circuit opened as slow: the executor's queue time was recorded as the sink's call duration;"
                    + " the next save got " + third.outcome("s").orElse(null));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Guarantee 5: "a poison entity ... never opens a circuit breaker". breakered() records a PERMANENT rejection with
     * onSuccess(duration): with slow-call thresholds, a poison entity the sink takes 300 ms to reject is a slow call.
     */
    @Test
    void aSlowlyRejectedPoisonEntityNeverOpensTheCircuitThroughSlowCallThresholds() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true) {
            @Override
            void before(Change<Product> change) throws Exception {
                if (change.id().startsWith("poison")) {
                    Thread.sleep(300); // validating a large document before refusing it
                }
            }
        };
        sink.permanentFor = c -> c.id().startsWith("poison");
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(100).slowCallDurationThreshold(Duration.ofMillis(200)).slowCallRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMinutes(5)).build();
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(cb).build()).build()) {
            w.save(new Product("poison1", "n", 1));
            w.save(new Product("poison2", "n", 2));
            WriteResult healthy = w.save(new Product("ok", "n", 3));
            assertEquals(SinkOutcome.APPLIED, healthy.outcome("s").orElseThrow(), "two slowly rejected poison entities"
                    + " opened the circuit (state " + fx.circuitState(w, "s") + "); the healthy entity was not delivered");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
