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

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two recovery passes of one instance that overlap (a scheduler's pass and an operator's, or a pass that outlived its
 * lease and the next one): each pass ends only the leases it took itself.
 */
class OverlappingRecoveryPassesTest {
    private static final Duration LEASE = Duration.ofSeconds(60);
    private final WriterFixture fx = new WriterFixture();

    /** The first call waits for {@code firstMayEnd} and fails; the second waits for {@code secondMayEnd} and applies. */
    private final class TwoCalls implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch firstStarted = new CountDownLatch(1);
        final CountDownLatch secondStarted = new CountDownLatch(1);
        final CountDownLatch firstMayEnd = new CountDownLatch(1);
        final CountDownLatch secondMayEnd = new CountDownLatch(1);

        @Override
        public ApplyResult apply(Change<Product> change) {
            int n = calls.incrementAndGet();
            (n == 1 ? firstStarted : secondStarted).countDown();
            await(n == 1 ? firstMayEnd : secondMayEnd);
            if (n == 1) {
                throw new SinkException("503 busy", ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "the test's latch was never released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aPassWhoseLeaseRanOutNeverEndsTheLeaseOfTheSameInstancesNextPass() throws Exception {
        TwoCalls sink = new TwoCalls();
        ExecutorService passes = Executors.newFixedThreadPool(2);
        try (DualWriter<Product> w = fx.builder().workerId("worker-1").lease(LEASE).sink("api", sink, WriterFixture.fast()
                .maxAttempts(1).policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true).build()).build()) {
            w.save(new Product("p1", "x", 1));
            fx.clock.advance(Duration.ofSeconds(31)); // past the grace period: recovery's turn

            Future<RecoveryReport> first = passes.submit(() -> w.operations().recoverDue());
            await(sink.firstStarted);
            fx.clock.advance(LEASE.plusSeconds(1)); // the first pass's call outlives its lease
            Future<RecoveryReport> second = passes.submit(() -> w.operations().recoverDue());
            await(sink.secondStarted); // the second pass claimed p1 again and is delivering it

            sink.firstMayEnd.countDown(); // the first pass fails, reschedules and releases what it claimed
            assertEquals(1, first.get(10, TimeUnit.SECONDS).claimed());

            // the second pass still holds p1: no other instance may claim it while its call runs
            List<Snapshot<Product>> other = fx.primary.claimDue(fx.clock.instant(), 10, "worker-2", LEASE);
            assertEquals(List.of(), other.stream().map(Snapshot::id).toList(),
                    "another instance claimed p1 while the second pass of worker-1 was delivering it");

            sink.secondMayEnd.countDown();
            RecoveryReport r = second.get(10, TimeUnit.SECONDS);
            assertEquals(1, r.delivered(), r.toString());
            w.operations().flushAcknowledgements();
            assertEquals(0, w.operations().backlog());
            assertEquals(2, sink.calls.get(), "one call per pass, none from another instance");
        } finally {
            sink.firstMayEnd.countDown();
            sink.secondMayEnd.countDown();
            passes.shutdownNow();
        }
    }
}
