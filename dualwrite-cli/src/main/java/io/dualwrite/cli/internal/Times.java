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
package io.dualwrite.cli.internal;

import picocli.CommandLine;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes the durations and times of the command line. Thread-safe (stateless). */
final class Times {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Times() {
    }

    /**
     * @param text {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 7d} or ISO-8601 ({@code PT30S})
     * @return the duration, 0 or more
     * @throws CommandLine.TypeConversionException when it is neither, or negative
     */
    static Duration duration(String text) {
        Duration d = parseDuration(text);
        if (d.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + text + "' is negative: a duration is 0 or more");
        }
        return d;
    }

    private static Duration parseDuration(String text) {
        Matcher m = SHORT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a duration (500ms, 30s, 15m, 2h, 7d)");
        }
    }

    /**
     * @param text an ISO-8601 instant ({@code 2026-12-06T15:00:00Z}) or a duration before now ({@code 15m})
     * @param now  the time a duration counts back from
     * @return the instant
     * @throws CommandLine.TypeConversionException when it is neither
     */
    static Instant instant(String text, Instant now) {
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException notAnInstant) {
            try {
                return now.minus(duration(text));
            } catch (CommandLine.TypeConversionException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is neither a time (2026-12-06T15:00:00Z)"
                        + " nor a duration before now (15m, 2h, 7d)");
            }
        }
    }

    /**
     * Waits between two reads of something that is followed (the tool's only waiting: for another process).
     *
     * @param poll how long
     * @return false when the thread was interrupted (its flag is set again): stop following
     */
    static boolean pause(Duration poll) {
        try {
            Thread.sleep(poll.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * @param d a duration
     * @return it for a person: {@code 45s}, {@code 3m07s}, {@code 2h05m}, {@code 3d04h}, {@code -12s} when negative
     */
    static String human(Duration d) {
        if (d.isNegative()) {
            return "-" + human(d.negated());
        }
        long s = d.getSeconds();
        if (s < 60) {
            return s == 0 && d.toMillis() > 0 ? d.toMillis() + "ms" : s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, (s % 86400) / 3600);
    }

    /** Converts option values with {@link #duration}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return duration(value);
        }
    }

    /** Converts option values with {@link #instant}, counting back from the time of conversion. */
    static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            return instant(value, Instant.now());
        }
    }
}
