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
package io.dualwrite.spring.boot.health;

import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.spring.boot.DualWriters;
import io.dualwrite.spring.boot.internal.PropertyChecks;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The health of one entity type's dual writes: its backlog (entities with pending intents), the age of its oldest
 * pending intent, and per sink the state of the circuit breaker and the count of dead letters.
 *
 * <p>Status: {@link DualWriteHealthProperties#getOpenCircuitStatus() open-circuit-status} (DOWN unless set) while a
 * sink's breaker is open, else {@link DualWriteHealthProperties#getThresholdStatus() threshold-status}
 * (OUT_OF_SERVICE unless set) while a threshold is passed, else UP; DOWN with the error when the primary cannot be
 * read. The details say which sink or threshold made it so ({@code reasons}). It turns UP again by itself once the
 * breaker closes (recovery's deliveries probe the sink while it is half-open) and the figures fall back.
 *
 * <p>Each check reads the primary (two indexed queries) and the dead-letter store (one query per sink, counting
 * at most {@value #DEAD_LETTER_COUNT_LIMIT}). Thread-safe.
 */
public final class DualWriteHealthIndicator implements HealthIndicator {
    /** Dead letters counted per sink and check; a count at this figure means at least as many. */
    public static final int DEAD_LETTER_COUNT_LIMIT = 1000;

    private final DualWriter<?> writer;
    private final DualWriters writers;
    private final Settings settings;
    private final Clock clock;

    /**
     * @param writer     the entity type's writer
     * @param writers    the application's writers, which know the sinks' circuit breakers
     * @param properties the thresholds and statuses
     * @param clock      the clock that ages the oldest pending intent
     * @throws IllegalArgumentException naming the property when a threshold or status is invalid
     */
    public DualWriteHealthIndicator(DualWriter<?> writer, DualWriters writers, DualWriteHealthProperties properties,
                                    Clock clock) {
        this.writer = Objects.requireNonNull(writer, "writer");
        this.writers = Objects.requireNonNull(writers, "writers");
        this.settings = Settings.of(Objects.requireNonNull(properties, "properties"));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Health health() {
        try {
            return check();
        } catch (RuntimeException e) {
            return Health.down(e).build();
        }
    }

    private Health check() {
        List<String> reasons = new ArrayList<>();
        Status status = Status.UP;
        long backlog = writer.operations().backlog();
        if (settings.backlog != null && backlog > settings.backlog) {
            reasons.add("backlog " + backlog + " above " + settings.backlog);
            status = settings.thresholdStatus;
        }
        Optional<Instant> oldestDue = writer.operations().oldestDue();
        Duration oldestAge = oldestDue.map(d -> Duration.between(d, clock.instant()))
                .filter(d -> !d.isNegative()).orElse(Duration.ZERO);
        if (settings.oldestAge != null && oldestAge.compareTo(settings.oldestAge) > 0) {
            reasons.add("oldest pending intent due " + oldestAge + " ago, above " + settings.oldestAge);
            status = settings.thresholdStatus;
        }
        Map<String, Object> sinks = new LinkedHashMap<>();
        boolean open = false;
        for (String sink : writer.sinkNames()) {
            Map<String, Object> details = new LinkedHashMap<>();
            Optional<CircuitBreaker> breaker = writers.circuitBreaker(writer, sink);
            CircuitBreaker.State state = breaker.map(CircuitBreaker::getState).orElse(null);
            details.put("circuit", state == null ? "NONE" : state.name());
            if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
                reasons.add("circuit of sink " + sink + " is " + state);
                open = true;
            }
            long deadLetters = writer.deadLetters().list(DeadLetterQuery.builder().sink(sink)
                    .limit(DEAD_LETTER_COUNT_LIMIT).build()).size();
            details.put("deadLetters", deadLetters);
            if (settings.deadLetters != null && deadLetters > settings.deadLetters) {
                reasons.add("sink " + sink + " has " + deadLetters + " dead letters, above " + settings.deadLetters);
                status = settings.thresholdStatus;
            }
            sinks.put(sink, details);
        }
        if (open) {
            status = settings.openCircuitStatus;
        }
        Health.Builder health = Health.status(status)
                .withDetail("backlog", backlog)
                .withDetail("oldestPendingAge", oldestAge.toString())
                .withDetail("sinks", sinks);
        if (!reasons.isEmpty()) {
            health.withDetail("reasons", reasons);
        }
        return health.build();
    }

    private record Settings(Long backlog, Duration oldestAge, Long deadLetters, Status openCircuitStatus,
                            Status thresholdStatus) {
        static Settings of(DualWriteHealthProperties p) {
            String prefix = "dualwrite.health.";
            return new Settings(
                    PropertyChecks.atLeast(prefix + "backlog-threshold",
                            p.getBacklogThreshold(), 0L),
                    PropertyChecks.notNegative(
                            prefix + "oldest-pending-age-threshold", p.getOldestPendingAgeThreshold()),
                    PropertyChecks.atLeast(prefix + "dead-letter-threshold",
                            p.getDeadLetterThreshold(), 0L),
                    status(prefix + "open-circuit-status", p.getOpenCircuitStatus()),
                    status(prefix + "threshold-status", p.getThresholdStatus()));
        }

        private static Status status(String property, String code) {
            if (code == null || code.isBlank()) {
                throw PropertyChecks.bad(property, "must name a health status",
                        "'" + code + "'");
            }
            return new Status(code.trim().toUpperCase(Locale.ROOT));
        }
    }
}
