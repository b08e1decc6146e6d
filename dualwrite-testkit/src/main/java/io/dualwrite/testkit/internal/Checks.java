package io.dualwrite.testkit.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the testkit's builders. Thread-safe (stateless). */
public final class Checks {
    private Checks() {
    }

    /**
     * @param d    a duration
     * @param name its name, for the message
     * @return d
     * @throws NullPointerException     if d is null
     * @throws IllegalArgumentException if d is zero or negative
     */
    public static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
        return d;
    }

    /**
     * @param value a number
     * @param min   its smallest allowed value
     * @param name  its name, for the message
     * @return value
     * @throws IllegalArgumentException if value is below min
     */
    public static int atLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
        }
        return value;
    }
}
