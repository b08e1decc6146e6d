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
import io.dualwrite.spi.MappingSink;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recovery clock-skew margin: a pass starts a call only if it can end maxClockSkew before its lease ends, also
 * when mapping the changes took time. Time is the writer's clock, which the sinks move.
 */
class RecoveryClockSkewTest {
    private final WriterFixture fx = new WriterFixture();

    /**
     * A bulk API that sends a batch as one request (appliesAllInOneCall) and whose mapping takes time (a header
     * supplier fetching a token, a large document): the pass decides that the call fits before it maps the batch.
     */
    private class SlowMappingBulk implements MappingSink<Product, String> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final List<Instant> started = new CopyOnWriteArrayList<>();
        final Duration mapping;
        final Duration call;

        SlowMappingBulk(Duration mapping, Duration call) {
            this.mapping = mapping;
            this.call = call;
        }

        @Override
        public boolean appliesAllInOneCall() {
            return true;
        }

        @Override
        public String map(Change<Product> change) {
            fx.clock.advance(mapping);
            return change.id();
        }

        @Override
        public ApplyResult send(Change<Product> change, String request) {
            started.add(fx.clock.instant());
            fx.clock.advance(call);
            return target.apply(change);
        }

        @Override
        public List<BatchItem> sendAll(List<Mapped<Product, String>> mapped) {
            started.add(fx.clock.instant());
            fx.clock.advance(call);
            List<BatchItem> out = new ArrayList<>();
            for (Mapped<Product, String> m : mapped) {
                out.add(BatchItem.of(target.apply(m.change())));
            }
            return out;
        }
    }

    @Test
    void aRecoveryCallNeverStartsTooLateForTheSkewMarginBecauseMappingTookTime() {
        Duration lease = Duration.ofSeconds(5);
        Duration skew = Duration.ofSeconds(2);
        Duration attempt = Duration.ofSeconds(1);
        SlowMappingBulk sink = new SlowMappingBulk(Duration.ofMillis(500), attempt);
        try (DualWriter<Product> w = fx.builder().lease(lease).maxClockSkew(skew).recoveryBatchSize(10)
                .sink("api", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true)
                        .attemptTimeout(attempt).build()).build()) {
            for (int i = 0; i < 5; i++) {
                w.save(new Product("p" + i, "x", i));
            }
            sink.started.clear();
            Instant claimedAt = fx.clock.instant();
            RecoveryReport pass = w.operations().recoverDue();
            assertEquals(5, pass.claimed(), pass.toString());
            Instant mustEndBy = claimedAt.plus(lease).minus(skew);
            for (Instant s : sink.started) {
                assertTrue(!s.plus(attempt).isAfter(mustEndBy), "a bulk call started at " + s + " (its changes mapped"
                        + " after the pass judged it fits) could end at " + s.plus(attempt) + ", after " + mustEndBy
                        + " = lease end " + claimedAt.plus(lease) + " less maxClockSkew " + skew + "; an instance"
                        + " whose clock is ahead by less than the skew may claim the entities meanwhile; calls started"
                        + " at " + sink.started);
            }
        }
    }

    /**
     * Two instances, the second with a clock 1.5 s ahead (within the 2 s skew), a one-request bulk sink without a
     * version guard whose mapping takes time. The second instance runs a pass while the first's call is out: no entity
     * may be delivered twice at once.
     */
    @Test
    void aSecondInstanceAheadWithinTheSkewNeverDeliversWhileTheFirstsSlowlyMappedBulkCallIsOut() {
        Duration lease = Duration.ofSeconds(5);
        Duration attempt = Duration.ofSeconds(1);
        java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        DualWriter<Product>[] second = new DualWriter[1];
        java.util.concurrent.atomic.AtomicBoolean insideSecond = new java.util.concurrent.atomic.AtomicBoolean();
        class Unguarded extends SlowMappingBulk {
            final boolean first;

            Unguarded(boolean first) {
                super(Duration.ofMillis(600), Duration.ofMillis(900));
                this.first = first;
            }

            @Override
            public List<BatchItem> sendAll(List<Mapped<Product, String>> mapped) {
                for (Mapped<Product, String> m : mapped) {
                    if (!inFlight.add(m.change().id())) {
                        overlaps.add(m.change().id() + " at " + fx.clock.instant());
                    }
                }
                try {
                    fx.clock.advance(call);
                    if (first && insideSecond.compareAndSet(false, true)) {
                        try {
                            second[0].operations().recoverDue();
                        } finally {
                            insideSecond.set(false);
                        }
                    }
                    List<BatchItem> out = new ArrayList<>();
                    for (Mapped<Product, String> m : mapped) {
                        out.add(BatchItem.of(target.apply(m.change())));
                    }
                    return out;
                } finally {
                    mapped.forEach(m -> inFlight.remove(m.change().id()));
                }
            }
        }
        SinkSettings settings = WriterFixture.fast().policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true)
                .attemptTimeout(attempt).build();
        java.time.Clock aheadClock = java.time.Clock.offset(fx.clock, Duration.ofMillis(1500));
        try (DualWriter<Product> first = fx.builder().lease(lease).recoveryBatchSize(10)
                .sink("api", new Unguarded(true), settings).build();
             DualWriter<Product> other = fx.builder().clock(aheadClock).lease(lease).recoveryBatchSize(10)
                     .sink("api", new Unguarded(false), settings).build()) {
            second[0] = other;
            for (int i = 0; i < 5; i++) {
                first.save(new Product("p" + i, "x", i));
            }
            first.operations().recoverDue();
            assertTrue(overlaps.isEmpty(), "the instance 1.5 s ahead delivered entities the first still delivered"
                    + " (its bulk call started after mapping 5 changes for 3 s): " + overlaps);
        }
    }
}
