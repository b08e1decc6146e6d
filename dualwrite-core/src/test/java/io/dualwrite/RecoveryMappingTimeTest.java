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
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A recovery batch whose mapping eats the time its call needs is sent in part, not left unsent pass after pass: the
 * changes mapped while the call still fits go, the others wait for the next claim.
 */
@Timeout(60)
class RecoveryMappingTimeTest {
    final WriterFixture fx = new WriterFixture();

    /** A one-request bulk API whose mapping takes 500 ms (by the writer's clock) per change. */
    private class SlowMappingBulk implements MappingSink<Product, String> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public boolean appliesAllInOneCall() {
            return true;
        }

        @Override
        public String map(Change<Product> change) {
            fx.clock.advance(Duration.ofMillis(500));
            return change.id();
        }

        @Override
        public ApplyResult send(Change<Product> change, String request) {
            calls.incrementAndGet();
            fx.clock.advance(Duration.ofSeconds(1));
            return target.apply(change);
        }

        @Override
        public List<BatchItem> sendAll(List<Mapped<Product, String>> mapped) {
            calls.incrementAndGet();
            fx.clock.advance(Duration.ofSeconds(1));
            List<BatchItem> out = new ArrayList<>();
            for (Mapped<Product, String> m : mapped) {
                out.add(BatchItem.of(target.apply(m.change())));
            }
            return out;
        }
    }

    @Test
    void aBatchWhoseMappingEatsTheMarginIsNeverStarvedForever() {
        SlowMappingBulk sink = new SlowMappingBulk();
        try (DualWriter<Product> w = fx.builder().lease(Duration.ofSeconds(5)).maxClockSkew(Duration.ofSeconds(2))
                .recoveryBatchSize(10)
                .sink("api", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).clientEnforcesTimeout(true)
                        .attemptTimeout(Duration.ofSeconds(1)).build()).build()) {
            for (int i = 0; i < 5; i++) {
                w.save(new Product("p" + i, "x", i));
            }
            List<String> passes = new ArrayList<>();
            for (int pass = 0; pass < 20 && w.operations().backlog() > 0; pass++) {
                fx.clock.advance(Duration.ofHours(1));
                passes.add(w.operations().recoverDue().toString());
                w.operations().flushAcknowledgements();
            }
            // each change alone: 0.5 s mapping + 1 s call fits the 3 s (lease 5 s less skew 2 s) many times over
            assertEquals(0, w.operations().backlog(), "after 20 recovery passes (one hour apart) the 5 entities were"
                    + " never delivered: each pass sized the batch before mapping, mapping 5 x 500 ms ate the margin,"
                    + " and deliverAll then sent none of them; sink calls " + sink.calls.get() + ", dead letters "
                    + fx.deadLetters.count() + ", first pass " + passes.get(0) + ", last " + passes.get(passes.size() - 1));
        }
    }
}
