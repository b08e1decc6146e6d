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

import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * guarantees.md, "Caller idempotency": a request key returns the first result within the window
 * (24 h by default) and while it is among the entity's most recent keys (32 for the in-memory
 * store, {@code maxRequestKeys} for MongoDB); the document stays bounded, so the oldest key goes
 * first, and a retry of it is written again.
 */
class CallerIdempotencyWindowTest {
    private static final int KEPT = InMemoryPrimaryStore.MAX_REQUEST_KEYS_PER_ENTITY;
    private final WriterFixture fx = new WriterFixture();

    private static WriteOptions key(int i) {
        return WriteOptions.builder().requestKey("req-" + i).build();
    }

    @Test
    void aRetryIsADuplicateWhileItsKeyIsAmongTheEntitysMostRecentAndWrittenAgainAfter() {
        try (DualWriter<Product> w = fx.builder().sink("search", new InMemorySink<>(), WriterFixture.fast().build())
                .build()) {
            WriteResult first = w.save(new Product("p1", "order-0", 0), key(0));
            for (int i = 1; i < KEPT; i++) {
                fx.clock.advance(Duration.ofMinutes(1));
                w.save(new Product("p1", "order-" + i, i), key(i));
            }
            fx.clock.advance(Duration.ofMinutes(1));
            WriteResult retry = w.save(new Product("p1", "order-0", 0), key(0));
            assertTrue(retry.duplicate(), "req-0 is the oldest of the entity's " + KEPT + " keys: a duplicate");
            assertEquals(first.version(), retry.version(), "the first result");

            w.save(new Product("p1", "order-" + KEPT, KEPT), key(KEPT));
            WriteResult late = w.save(new Product("p1", "order-0", 0), key(0));
            assertFalse(late.duplicate(), "req-0 went when the entity's " + (KEPT + 1) + "th key came: as documented,"
                    + " its retry is written again");
            assertTrue(late.version() > first.version());
        }
    }
}
