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
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A call started later than half its attempt timeout that then times out is ignored by the breaker, but it is an
 * attempt: a sink that hangs on every call, on a moderately busy pool (each call waits 60% of its timeout for a
 * thread), is still dead-lettered in the end, as bounded retries promise.
 */
@Timeout(90)
class LateStartHangingSinkTest {

    @Test
    void aSinkThatHangsOnEveryCallIsEventuallyCountedOnAModeratelyBusyPool() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink hanging = new HookSink(false) {
            @Override
            void before(Change<Product> change) throws Exception {
                Thread.sleep(5_000); // never answers within its time limit
            }
        };
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(5)).build();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", hanging, WriterFixture.fast()
                .policy(DeliveryPolicy.ASYNC).maxAttempts(1).attemptTimeout(Duration.ofMillis(400))
                .circuitBreaker(cb).build()).build()) {
            w.save(new Product("p", "n", 1));
            for (int pass = 0; pass < 8; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                pool.execute(() -> {
                    try {
                        Thread.sleep(240); // other work holds the only thread for 60% of the attempt timeout
                    } catch (InterruptedException ignored) {
                    }
                });
                w.operations().recoverDue();
                Thread.sleep(50);
            }
            long late = fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "s", "outcome", "executor_late");
            assertTrue(fx.deadLetters.count() > 0 || !"CLOSED".equals(fx.circuitState(w, "s")), "a sink that hung on"
                    + " all " + hanging.calls.get() + " calls it received over 8 recovery passes (recovery maxAttempts 3)"
                    + " was never counted: circuit " + fx.circuitState(w, "s") + ", dead letters "
                    + fx.deadLetters.count() + ", executor_late " + late + ", primary "
                    + fx.primary.read("p").orElse(null));
        } finally {
            pool.shutdownNow();
        }
    }
}
