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
package io.dualwrite.spring.boot.internal;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.Consumer;

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
     * Hands a property's value to the builder setting it, so that the builder's own checks apply, and names the
     * property when the builder refuses the value.
     *
     * @param property the property's full name
     * @param value    its value, or null when unset (then nothing happens)
     * @param setter   the builder call
     * @param <V>      the value's type
     * @throws IllegalArgumentException naming the property, the builder's reason and the value when it is refused
     */
    public static <V> void apply(String property, V value, Consumer<? super V> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(property + " is invalid (" + e.getMessage() + "), was " + value, e);
        }
    }

    /**
     * Hands several properties' values to one builder call that takes them together (a backoff's initial wait,
     * multiplier and longest wait), and names the properties given when the builder refuses them.
     *
     * @param given  the properties given, by full name; unset ones (null values) are left out of the message
     * @param setter the builder call, with defaults in place of the unset values
     * @throws IllegalArgumentException naming the properties given, their values and the builder's reason
     */
    public static void applyTogether(Map<String, ?> given, Runnable setter) {
        if (given.values().stream().allMatch(Objects::isNull)) {
            return;
        }
        try {
            setter.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            StringJoiner values = new StringJoiner(", ");
            given.forEach((k, v) -> {
                if (v != null) {
                    values.add(k + "=" + v);
                }
            });
            throw new IllegalArgumentException(values + ": invalid (" + e.getMessage() + ")", e);
        }
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
