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

import java.time.Duration;
import java.util.Objects;

/**
 * The argument checks every builder and value type of the library shares, with one wording of their messages
 * ({@code <name> must be at least 1, was 0}). Thread-safe (stateless).
 */
public final class Args {
    private Args() {
    }

    /**
     * @param value a number
     * @param min   its smallest allowed value
     * @param name  its name, for the message
     * @return value
     * @throws IllegalArgumentException if value is below min
     */
    public static int atLeast(int value, int min, String name) {
        return (int) atLeast((long) value, min, name);
    }

    /**
     * @param value a number
     * @param min   its smallest allowed value
     * @param name  its name, for the message
     * @return value
     * @throws IllegalArgumentException if value is below min
     */
    public static long atLeast(long value, long min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + (min == 0 ? " must not be negative" : " must be at least " + min)
                    + ", was " + value);
        }
        return value;
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
     * @param d    a duration
     * @param name its name, for the message
     * @return d
     * @throws NullPointerException     if d is null
     * @throws IllegalArgumentException if d is negative
     */
    public static Duration notNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + d);
        }
        return d;
    }

    /**
     * @param s    a string
     * @param name its name, for the message
     * @return s
     * @throws NullPointerException     if s is null
     * @throws IllegalArgumentException if s is empty or only white space
     */
    public static String notBlank(String s, String name) {
        Objects.requireNonNull(s, name);
        if (s.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return s;
    }

    /**
     * The check every sink built for one entity type makes before it maps a change.
     *
     * @param sink   what the sink is and where it writes, for the message (e.g. "Redis sink")
     * @param bound  the entity type the sink was built for
     * @param change the change to map
     * @throws IllegalArgumentException if the change is of another entity type
     */
    public static void sameEntityType(String sink, String bound, io.dualwrite.Change<?> change) {
        if (!bound.equals(change.entityType())) {
            throw new IllegalArgumentException("this " + sink + " was built for entity type '" + bound + "', not '"
                    + change.entityType() + "': " + change.idempotencyKey());
        }
    }
}
