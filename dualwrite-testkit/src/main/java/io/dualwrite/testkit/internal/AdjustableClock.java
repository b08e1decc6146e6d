package io.dualwrite.testkit.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The system clock plus an offset that only grows, so a test can jump over backoff waits
 * instead of sleeping. Thread-safe.
 */
public final class AdjustableClock extends UtcClock {
    private final AtomicLong offsetNanos = new AtomicLong();

    /** @param by how far to move the clock forward, not negative */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock only moves forward, was " + by);
        }
        offsetNanos.addAndGet(by.toNanos());
    }

    /** @return how far the clock runs ahead of the system clock */
    public Duration offset() {
        return Duration.ofNanos(offsetNanos.get());
    }

    @Override
    public Instant instant() {
        return Instant.now().plusNanos(offsetNanos.get());
    }
}
