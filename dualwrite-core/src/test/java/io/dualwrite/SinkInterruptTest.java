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

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sink whose own call throws InterruptedException on the pool's thread (its client saw its thread interrupted, or
 * simply reports an interrupt) is not the caller being interrupted: the caller's thread must not come back
 * interrupted, and the sink's failure is the sink's.
 */
@Timeout(60)
class SinkInterruptTest {

    /** Pooled (no client timeout): every call throws InterruptedException from the sink's own code. */
    static final class InterruptingSink extends HookSink {
        InterruptingSink() {
            super(false);
        }

        @Override
        void before(Change<Product> change) throws Exception {
            throw new InterruptedException("the sink's client reports an interrupt of its own thread");
        }
    }

    @Test
    void aSinkThrowingInterruptedExceptionNeverLeavesTheCallersThreadInterrupted() throws Exception {
        WriterFixture fx = new WriterFixture();
        InterruptingSink sink = new InterruptingSink();
        try (DualWriter<Product> w = fx.builder().sink("s", sink, WriterFixture.fast().maxAttempts(1).build()).build()) {
            Thread.interrupted(); // the caller starts clean and nobody ever interrupts it
            Object outcome;
            try {
                outcome = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                outcome = e;
            }
            boolean interrupted = Thread.interrupted();
            assertFalse(interrupted, "nobody interrupted the caller, yet save(...) (" + outcome + ") returned with the"
                    + " caller's thread interrupted: the sink's own InterruptedException, thrown on the pool's thread,"
                    + " was re-raised on the caller's thread (its next blocking call, e.g. the next write's Mongo"
                    + " call, will fail)");
        }
    }

    @Test
    void aSinkThatFailsWithInterruptedExceptionCountsAgainstItsBreaker() throws Exception {
        WriterFixture fx = new WriterFixture();
        InterruptingSink sink = new InterruptingSink();
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .minimumNumberOfCalls(5).slidingWindowSize(10).failureRateThreshold(50).build());
        try (DualWriter<Product> w = fx.builder().circuitBreakerRegistry(registry)
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).build()).build()) {
            for (int i = 0; i < 20; i++) {
                try {
                    w.save(new Product("p" + i, "n", 1));
                } catch (RuntimeException ignored) {
                    // whatever the write says
                }
                Thread.interrupted(); // whatever the library left behind
            }
            CircuitBreaker cb = registry.circuitBreaker(DualWriter.circuitBreakerName("product", "s"));
            assertTrue(cb.getMetrics().getNumberOfFailedCalls() > 0, "20 calls, each answered by the sink itself with"
                    + " a failure (InterruptedException from its own code on the pool's thread, the caller never"
                    + " interrupted), counted nothing against its breaker: failed=" + cb.getMetrics()
                    .getNumberOfFailedCalls() + ", state " + cb.getState() + ", sink calls " + sink.calls.get()
                    + "; a sink failing like this is never cut off");
        }
    }
}
