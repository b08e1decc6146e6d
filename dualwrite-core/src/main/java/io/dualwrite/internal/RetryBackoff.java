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

import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;
import java.util.Objects;

/**
 * The wait before a failed delivery is tried again by recovery or by a relay: exponential
 * (Resilience4j's {@link IntervalFunction#ofExponentialBackoff}, ×2), spread by a jitter of ±50 %
 * that is derived from the entity, the sink and the attempt rather than drawn at random. Deliveries
 * that failed together still spread out (each entity gets its own factor), and the same failure
 * gets the same due time on every run, so a seeded test replays exactly. Shared by the coordinator's
 * recovery and the MongoDB relays; not part of the API. Thread-safe (immutable).
 */
public final class RetryBackoff {
    private static final double SPREAD = 0.5;

    private final IntervalFunction base;
    private final long maxMillis;

    /**
     * @param initial the wait after the first failure, positive
     * @param max     the longest wait, not below initial
     */
    public RetryBackoff(Duration initial, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        this.base = IntervalFunction.ofExponentialBackoff(initial, 2.0, max);
        this.maxMillis = max.toMillis();
    }

    /**
     * Checks retry settings the one way every builder that takes them does (recovery's and the
     * relays').
     *
     * @param maxAttempts attempts before giving up, at least 1
     * @param initial     the wait after the first failure, positive
     * @param max         the longest wait, not below initial
     * @throws NullPointerException     if initial or max is null
     * @throws IllegalArgumentException if a value is out of range
     */
    public static void check(int maxAttempts, Duration initial, Duration max) {
        Args.atLeast(maxAttempts, 1, "maxAttempts");
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
        }
    }

    /**
     * @param id       the entity id
     * @param sink     the sink name
     * @param attempts the failed attempts so far, at least 1 (a smaller number counts as 1)
     * @return the wait in milliseconds, at least 1 and at most the configured maximum
     */
    public long millis(String id, String sink, int attempts) {
        long wait = base.apply(Math.min(Math.max(attempts, 1), 30));
        double factor = 1 - SPREAD + 2 * SPREAD * StableHash.unit(id + '\u0000' + sink + '\u0000' + attempts);
        return Math.min(maxMillis, Math.max(1, Math.round(wait * factor)));
    }
}
