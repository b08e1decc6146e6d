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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A meter registry that registers fine but whose meters fail when used (increment, record): the registry's failure
 * never changes what a write or a delivery does, nor hides it.
 */
@Timeout(60)
class MeterFailuresTest {

    /** Registers every meter; counters / timers with the given names throw when used. */
    static final class FailingOnUse extends SimpleMeterRegistry {
        final Set<String> failing;

        FailingOnUse(String... failing) {
            this.failing = Set.of(failing);
        }

        @Override
        protected Counter newCounter(Meter.Id id) {
            Counter real = super.newCounter(id);
            return failing.contains(id.getName()) ? proxy(Counter.class, real, "increment") : real;
        }

        @Override
        protected Timer newTimer(Meter.Id id, DistributionStatisticConfig cfg, PauseDetector pause) {
            Timer real = super.newTimer(id, cfg, pause);
            return failing.contains(id.getName()) ? proxy(Timer.class, real, "record") : real;
        }

        @SuppressWarnings("unchecked")
        private static <M> M proxy(Class<M> type, M real, String failingMethod) {
            return (M) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
                if (m.getName().equals(failingMethod)) {
                    throw new IllegalStateException("meter backend down: " + m.getName());
                }
                try {
                    return m.invoke(real, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        }
    }

    /**
     * A REQUIRED sink fails; the compensations counter's increment() throws. The write must still be undone and the
     * caller get RequiredSinkFailedException.
     */
    @Test
    void aCompensationCounterThatThrowsOnIncrementNeverKeepsTheWriteFromBeingUndone() {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(true);
        req.transientFor = c -> true;
        try (DualWriter<Product> w = fx.builder().meterRegistry(new FailingOnUse(DualWriteMetrics.COMPENSATIONS))
                .sink("req", req, WriterFixture.fast().maxAttempts(1).policy(DeliveryPolicy.REQUIRED).build()).build()) {
            try {
                w.save(new Product("p", "n", 1));
                fail("the REQUIRED sink failed, but the save did not report it");
            } catch (RequiredSinkFailedException e) {
                assertTrue(e.compensationVersion().isPresent(), "no compensation version: " + e);
            } catch (RuntimeException e) {
                fail("the compensations counter's increment() failure escaped the save instead of a"
                        + " RequiredSinkFailedException with the write undone: " + e + "; primary now "
                        + fx.primary.read("p").orElse(null));
            }
            assertTrue(fx.primary.read("p").orElseThrow().deleted(), "the write the REQUIRED sink lacks was not undone: "
                    + fx.primary.read("p").orElse(null));
        }
    }

    /** A healthy REQUIRED sink; the sink.apply timer's record() throws. The delivery succeeded: APPLIED. */
    @Test
    void aSinkApplyTimerThatThrowsOnRecordNeverChangesAHealthyRequiredSinksOutcome() {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().meterRegistry(new FailingOnUse(DualWriteMetrics.SINK_APPLY))
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build()).build()) {
            WriteResult r;
            try {
                r = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                fail("a timer's record() failure made the save of a healthy REQUIRED sink fail: " + e
                        + "; primary now " + fx.primary.read("p").orElse(null) + ", sink calls " + req.calls.get());
                return;
            }
            assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow(), "result " + r);
        }
    }

    /** The same with a pooled delivery (two sinks: the first one runs on the executor). */
    @Test
    void aSinkApplyTimerThatThrowsOnRecordNeverChangesAPooledRequiredSinksOutcome() {
        WriterFixture fx = new WriterFixture();
        HookSink req = new HookSink(true);
        HookSink other = new HookSink(true);
        try (DualWriter<Product> w = fx.builder().meterRegistry(new FailingOnUse(DualWriteMetrics.SINK_APPLY))
                .sink("req", req, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("other", other, WriterFixture.fast().build()).build()) {
            WriteResult r;
            try {
                r = w.save(new Product("p", "n", 1));
            } catch (RuntimeException e) {
                fail("a timer's record() failure made the save of a healthy pooled REQUIRED sink fail: " + e
                        + "; primary now " + fx.primary.read("p").orElse(null) + ", sink calls " + req.calls.get());
                return;
            }
            assertEquals(SinkOutcome.APPLIED, r.outcome("req").orElseThrow(), "result " + r);
            assertEquals(SinkOutcome.APPLIED, r.outcome("other").orElseThrow(), "result " + r);
        }
    }

    /** The retries counter's increment() throws (it runs in Resilience4j's retry event consumer). */
    @Test
    void aRetriesCounterThatThrowsOnIncrementNeverStopsARetryThatWouldSucceed() {
        WriterFixture fx = new WriterFixture();
        AtomicInteger n = new AtomicInteger();
        HookSink sink = new HookSink(true);
        sink.transientFor = c -> n.incrementAndGet() == 1; // fails once, then takes it
        try (DualWriter<Product> w = fx.builder().meterRegistry(new FailingOnUse(DualWriteMetrics.SINK_RETRIES))
                .sink("s", sink, WriterFixture.fast().maxAttempts(3).build()).build()) {
            WriteResult r = w.save(new Product("p", "n", 1));
            assertEquals(SinkOutcome.APPLIED, r.outcome("s").orElseThrow(), "the retries counter's failure changed"
                    + " the delivery: sink calls " + sink.calls.get() + ", result " + r);
        }
    }

    /**
     * Recovery: the recovery.deliveries counter's increment() throws. A sink that fails every change transiently must
     * still have its intent's attempts counted and be dead-lettered after recovery's maxAttempts (3), as guarantee 5
     * promises ("retried ... a bounded number of times").
     */
    @Test
    void aRecoveryDeliveriesCounterThatThrowsOnIncrementNeverKeepsAFailingIntentLoopingForever() {
        WriterFixture fx = new WriterFixture();
        HookSink sink = new HookSink(true);
        sink.transientFor = c -> true;
        try (DualWriter<Product> w = fx.builder().meterRegistry(new FailingOnUse(DualWriteMetrics.RECOVERY_DELIVERIES))
                .sink("s", sink, WriterFixture.fast().maxAttempts(1).policy(DeliveryPolicy.ASYNC).build()).build()) {
            w.save(new Product("p", "n", 1));
            String last = null;
            for (int pass = 0; pass < 10; pass++) {
                fx.clock.advance(java.time.Duration.ofHours(1));
                try {
                    last = w.operations().recoverDue().toString();
                } catch (RuntimeException e) {
                    last = e.toString();
                }
            }
            assertEquals(1, fx.deadLetters.count(), "after 10 recovery passes (maxAttempts 3) the intent of a sink that"
                    + " failed all " + sink.calls.get() + " calls is still pending, never dead-lettered: the failing"
                    + " counter aborted each pass before its attempt was recorded; primary "
                    + fx.primary.read("p").orElse(null) + ", last pass " + last);
        }
    }
}
