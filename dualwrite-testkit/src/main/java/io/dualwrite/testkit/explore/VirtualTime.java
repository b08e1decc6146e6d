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
package io.dualwrite.testkit.explore;

import io.dualwrite.testkit.internal.UtcClock;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The schedule's time: it moves only when the schedule moves it (a millisecond per step, and the
 * jumps of the time actor), so timers, leases, grace periods and backoffs fall due at the same
 * step on every replay. Each instance reads it through its own {@link NodeClock}, which may run
 * ahead or behind. Thread-safe.
 */
final class VirtualTime {
    /** Where every schedule's time starts. */
    static final Instant START = Instant.parse("2031-03-01T00:00:00Z");

    private final AtomicLong elapsedMillis = new AtomicLong();

    void advance(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("the schedule's time only moves forward");
        }
        elapsedMillis.addAndGet(millis);
    }

    Instant now() {
        return START.plusMillis(elapsedMillis.get());
    }

    long elapsedMillis() {
        return elapsedMillis.get();
    }

    /** One instance's clock: the schedule's time plus its skew, which may change (a clock stepping back). */
    static final class NodeClock extends UtcClock {
        private final VirtualTime time;
        private final AtomicLong skewMillis;

        NodeClock(VirtualTime time, long skewMillis) {
            this.time = time;
            this.skewMillis = new AtomicLong(skewMillis);
        }

        void shift(long millis) {
            skewMillis.addAndGet(millis);
        }

        long skewMillis() {
            return skewMillis.get();
        }

        @Override
        public Instant instant() {
            return time.now().plusMillis(skewMillis.get());
        }
    }
}
