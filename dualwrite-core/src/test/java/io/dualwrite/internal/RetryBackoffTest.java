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
package io.dualwrite.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryBackoffTest {
    private final RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(10));

    @Test
    void theSameFailureGetsTheSameWaitOnEveryRun() {
        RetryBackoff other = new RetryBackoff(Duration.ofSeconds(1), Duration.ofMinutes(10));
        for (int attempt = 1; attempt <= 12; attempt++) {
            assertEquals(backoff.millis("p-1", "search", attempt), other.millis("p-1", "search", attempt),
                    "attempt " + attempt);
        }
    }

    @Test
    void waitsGrowExponentiallyWithinHalfAndOneAndAHalfTimesTheBaseAndNeverPassTheMaximum() {
        for (int attempt = 1; attempt <= 40; attempt++) {
            long base = Math.min(600_000L, 1000L << Math.min(attempt - 1, 20));
            long wait = backoff.millis("p-" + attempt, "cache", attempt);
            assertTrue(wait >= base / 2 && wait <= Math.min(600_000L, base * 3 / 2),
                    "attempt " + attempt + " waited " + wait + " ms against a base of " + base);
        }
    }

    @Test
    void entitiesThatFailedTogetherSpreadOut() {
        Set<Long> waits = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            waits.add(backoff.millis("p-" + i, "search", 3));
        }
        assertTrue(waits.size() > 80, "100 entities failing together got only " + waits.size() + " distinct waits");
    }
}
