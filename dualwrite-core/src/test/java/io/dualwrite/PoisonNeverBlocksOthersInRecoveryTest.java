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
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise 5: "a poison entity never blocks any other entity" (and the explorer's "only poison is
 * dead-lettered"). Recovery sends a sink one batch call for every claimed entity, under one time
 * limit for the whole call; when one entity's delivery hangs, the call times out as a whole and
 * every entity in it is charged an attempt (an unknown outcome), delivered or not. Only a batch
 * refused as PERMANENT is retried change by change.
 */
class PoisonNeverBlocksOthersInRecoveryTest {
    private final WriterFixture fx = new WriterFixture();

    @Test
    void anEntityWhoseDeliveryHangsNeverSendsAHealthyEntityToTheDeadLetterStore() {
        InMemorySink<Product> target = new InMemorySink<>();
        Sink<Product> api = change -> {
            if (change.id().equals("z-poison")) {
                Thread.sleep(5_000); // this one payload makes the API hang
            }
            return target.apply(change);
        };
        try (DualWriter<Product> w = fx.builder().recoveryRetry(2, Duration.ofSeconds(1), Duration.ofSeconds(1))
                .sink("api", api, WriterFixture.fast().policy(DeliveryPolicy.ASYNC)
                        .attemptTimeout(Duration.ofMillis(200)).build()).build()) {
            w.save(new Product("a-healthy", "fine", 1));
            w.save(new Product("z-poison", "hangs", 2));
            for (int pass = 0; pass < 3; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
                fx.clock.advance(Duration.ofSeconds(5));
            }
            assertTrue(fx.deadLetters.get(DeadLetter.idOf("product", "a-healthy", "api")).isEmpty(),
                    "the healthy entity, which the sink applied at once, was dead-lettered alongside the poison: "
                            + fx.deadLetters.get(DeadLetter.idOf("product", "a-healthy", "api")).orElse(null));
        }
    }
}
