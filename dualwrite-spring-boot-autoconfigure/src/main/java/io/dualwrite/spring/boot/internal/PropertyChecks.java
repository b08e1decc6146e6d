package io.dualwrite.spring.boot.internal;

import java.time.Duration;

/**
 * Checks of {@code dualwrite.*} values at start, each failing with the property's full name, the rule and the value
 * given. Values left unset (null) pass. Stateless.
 */
public final class PropertyChecks {
    private PropertyChecks() {
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @param min      the smallest value allowed
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is below {@code min}
     */
    public static Long atLeast(String property, Long value, long min) {
        if (value != null && value < min) {
            throw bad(property, "must be at least " + min, value);
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @param min      the smallest value allowed
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is below {@code min}
     */
    public static Integer atLeast(String property, Integer value, int min) {
        if (value != null && value < min) {
            throw bad(property, "must be at least " + min, value);
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @param min      the smallest value allowed
     * @param max      the largest value allowed
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is outside {@code [min, max]} or not a number
     */
    public static Double between(String property, Double value, double min, double max) {
        if (value != null && !(value >= min && value <= max)) {
            throw bad(property, "must be between " + min + " and " + max, value);
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is negative
     */
    public static Duration notNegative(String property, Duration value) {
        if (value != null && value.isNegative()) {
            throw bad(property, "must not be negative", value);
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is zero or negative
     */
    public static Duration positive(String property, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw bad(property, "must be positive", value);
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param value    its value, or null when unset
     * @return the value
     * @throws IllegalArgumentException naming the property when the value is blank
     */
    public static String notBlank(String property, String value) {
        if (value != null && value.isBlank()) {
            throw bad(property, "must not be blank", "'" + value + "'");
        }
        return value;
    }

    /**
     * @param property the property's full name
     * @param rule     what the value must be
     * @param value    the value given
     * @return the exception to throw
     */
    public static IllegalArgumentException bad(String property, String rule, Object value) {
        return new IllegalArgumentException(property + " " + rule + ", was " + value);
    }
}
