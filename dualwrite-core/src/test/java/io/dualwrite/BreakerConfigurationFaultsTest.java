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
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever circuit-breaker configuration the application gives a sink, only the sink's failures worth retrying count
 * against it; and the time limit holds on an executor of another kind.
 */
@Timeout(60)
class BreakerConfigurationFaultsTest {

    /**
     * A user's CircuitBreakerConfig that lists the exceptions to record by class (recordExceptions(...), a common
     * Resilience4j setting). docs/configuration.md: "Permanent failures of single entities never count ... so a
     * poison entity cannot open it."
     */
    @Test
    void aUsersRecordExceptionsListNeverLetsAPoisonEntityOpenTheCircuit() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        sink.permanentFor = c -> c.id().startsWith("poison");
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(5))
                .recordExceptions(SinkException.class).build();
        try (DualWriter<Product> w = fx.builder()
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(cb).build()).build()) {
            w.save(new Product("poison1", "n", 1));
            w.save(new Product("poison2", "n", 2));
            WriteResult healthy = w.save(new Product("ok", "n", 3));
            assertEquals("CLOSED", fx.circuitState(w, "s"), "two PERMANENT rejections of poison entities opened the"
                    + " circuit (the user's recordExceptions(SinkException.class) is OR'd with the library's predicate);"
                    + " the healthy entity's save got " + healthy.outcome("s").orElse(null));
        }
    }

    /**
     * The writer's executor is a ForkJoinPool. With two sinks, one delivery runs on a pool worker, which hands the
     * sink call to the same pool and waits for it under the time limit. A hanging sink must still be cut off at the
     * attempt timeout (200 ms), so that a save (and a recovery pass within its lease) is bounded.
     */
    @Test
    void aForkJoinPoolExecutorStillBoundsEachSinkCallByItsAttemptTimeout() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink hanging = new HookSink(false) {
            @Override
            void before(Change<Product> change) throws Exception {
                long until = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < until) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ignored) {
                        // a client that does not stop on interrupt
                    }
                }
            }
        };
        HookSink other = new HookSink(true);
        ForkJoinPool pool = new ForkJoinPool(1);
        try (DualWriter<Product> w = fx.builder().executor(pool)
                .sink("hanging", hanging, WriterFixture.fast().maxAttempts(1).attemptTimeout(Duration.ofMillis(200)).build())
                .sink("other", other, WriterFixture.fast().build()).build()) {
            long start = System.nanoTime();
            WriteResult r = w.save(new Product("p", "n", 1));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 1500, "save took " + tookMs + " ms with a 200 ms attempt timeout: the ForkJoinPool"
                    + " worker ran the sink call itself while waiting for it, beyond its time limit; result " + r);
        } finally {
            pool.shutdownNow();
        }
    }
}
