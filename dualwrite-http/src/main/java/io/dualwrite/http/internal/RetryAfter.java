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
package io.dualwrite.http.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads an HTTP {@code Retry-After} value: delta-seconds ({@code 120}) or an HTTP-date
 * ({@code Wed, 21 Oct 2015 07:28:00 GMT}, or one of its two obsolete forms). Thread-safe (stateless).
 */
public final class RetryAfter {
    /** RFC 850's form; its two-digit year is read as one from 1970 to 2069. */
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("EEEE, dd-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, 1970)
            .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US);
    /** asctime's form, its runs of spaces made single first. */
    private static final DateTimeFormatter ASCTIME = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("EEE MMM d HH:mm:ss yyyy").toFormatter(Locale.US);

    private RetryAfter() {
    }

    /**
     * @param value the header's value, may be null
     * @param clock the clock an HTTP-date is compared with
     * @return the wait, never negative; empty when absent or unreadable
     */
    public static Optional<Duration> parse(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.strip();
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            } catch (NumberFormatException tooLarge) {
                return Optional.empty();
            }
        }
        Instant at = httpDate(v);
        if (at == null) {
            return Optional.empty();
        }
        Duration wait = Duration.between(clock.instant(), at);
        return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
    }

    /**
     * @return the instant of an HTTP-date in any of the three forms a recipient must accept (RFC 9110, 5.6.7): the
     *         preferred {@code Sun, 06 Nov 1994 08:49:37 GMT}, the obsolete RFC 850 {@code Sunday, 06-Nov-94 08:49:37
     *         GMT} (its two-digit year read as one from 1970 to 2069) and asctime's
     *         {@code Sun Nov  6 08:49:37 1994}; null when it is none of them
     */
    private static Instant httpDate(String v) {
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException notPreferred) {
            // one of the obsolete forms
        }
        try {
            return LocalDateTime.parse(v, RFC_850).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException notRfc850) {
            // asctime, then
        }
        try {
            return LocalDateTime.parse(v.replaceAll(" +", " "), ASCTIME).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException notAsctime) {
            return null;
        }
    }
}
