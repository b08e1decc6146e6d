package io.dualwrite.testkit.internal;

import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock of the testkit's: UTC only, its time given by {@link #instant()}. Subclasses say how
 * their time moves and how thread-safe they are.
 */
public abstract class UtcClock extends Clock {

    @Override
    public final ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public final Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the testkit's clocks are UTC only");
    }

    @Override
    public final long millis() {
        return instant().toEpochMilli();
    }
}
