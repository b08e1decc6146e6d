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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The race between the pool's thread and the time limit: a call the sink received is never reported
 * as not called (executor_full), and one reported not called never reaches the sink, also when the pool gets to the
 * call just as its time limit runs out.
 */
@Timeout(120)
class ExecutorStartRaceTest {

    @Test
    void aCallThatStartsJustAtItsTimeLimitIsReportedAsWhatItWas() throws Exception {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(false);
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom().slidingWindowSize(1000).minimumNumberOfCalls(1000).build();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
        int saves = 150;
        try (DualWriter<Product> w = fx.builder().executor(pool).sink("s", sink, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(40)).circuitBreaker(cb).build()).build()) {
            java.util.Random r = new java.util.Random(7);
            for (int i = 0; i < saves; i++) {
                long busyNanos = TimeUnit.MILLISECONDS.toNanos(37) + r.nextInt(6_000_000);
                pool.execute(() -> {
                    long until = System.nanoTime() + busyNanos;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                });
                w.save(new Product("p" + i, "n", i));
            }
            Thread.sleep(300); // the pool drains
            long notCalled = fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "s", "outcome", "executor_full");
            long total = fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "s");
            assertEquals(saves, total);
            // how the race went depends on the machine's timing; what each report says must match the sink either way
            System.out.println("start race: " + notCalled + " of " + saves + " calls not started in time");
            assertEquals(saves - notCalled, sink.calls.get(), "deliveries reported as not called (executor_full): "
                    + notCalled + " of " + saves + ", but the sink received " + sink.calls.get() + " calls");
        } finally {
            pool.shutdownNow();
        }
    }
}
