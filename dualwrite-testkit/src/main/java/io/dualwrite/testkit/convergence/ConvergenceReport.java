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
package io.dualwrite.testkit.convergence;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of a convergence check: every discrepancy between the primary and each sink, split
 * into issues (broken promises) and those a dead letter explains (the entity waits in the
 * dead-letter store with its reason, which the promises allow), with counts. It never throws by
 * itself; {@link #assertConverged()} does. Immutable and thread-safe.
 */
public final class ConvergenceReport {
    /** Diff lines printed at most by {@link #toString()} and {@link #assertConverged()}. */
    public static final int MAX_LINES = 200;

    private final List<Discrepancy> issues;
    private final List<Discrepancy> explained;
    private final int entities;
    private final List<String> sinks;
    private final long deadLetters;
    private final long pending;

    /**
     * @param issues      discrepancies no dead letter explains
     * @param explained   discrepancies a dead letter of the same entity and sink explains
     * @param entities    entities the primary holds (tombstones included)
     * @param sinks       the sinks checked, by name
     * @param deadLetters dead letters seen
     * @param pending     entities of the primary that still have pending intents
     */
    public ConvergenceReport(List<Discrepancy> issues, List<Discrepancy> explained, int entities, List<String> sinks,
                             long deadLetters, long pending) {
        this.issues = List.copyOf(Objects.requireNonNull(issues, "issues"));
        this.explained = List.copyOf(Objects.requireNonNull(explained, "explained"));
        this.entities = entities;
        this.sinks = List.copyOf(Objects.requireNonNull(sinks, "sinks"));
        this.deadLetters = deadLetters;
        this.pending = pending;
    }

    /** @return true when no sink differs from the primary in a way a dead letter does not explain */
    public boolean converged() {
        return issues.isEmpty();
    }

    /** @return the discrepancies no dead letter explains, ordered by sink, kind and id */
    public List<Discrepancy> issues() {
        return issues;
    }

    /** @return the discrepancies a dead letter explains */
    public List<Discrepancy> explainedByDeadLetters() {
        return explained;
    }

    /**
     * @param kind a discrepancy kind
     * @return how many issues of that kind, all sinks together
     */
    public long count(Discrepancy.Kind kind) {
        return issues.stream().filter(d -> d.kind() == kind).count();
    }

    /**
     * @param sink a sink name
     * @param kind a discrepancy kind
     * @return how many issues of that kind at that sink
     */
    public long count(String sink, Discrepancy.Kind kind) {
        return issues.stream().filter(d -> d.kind() == kind && d.sink().equals(sink)).count();
    }

    /** @return issues per kind (every kind present, 0 when none) */
    public Map<Discrepancy.Kind, Long> counts() {
        Map<Discrepancy.Kind, Long> out = new EnumMap<>(Discrepancy.Kind.class);
        for (Discrepancy.Kind k : Discrepancy.Kind.values()) {
            out.put(k, count(k));
        }
        return Collections.unmodifiableMap(out);
    }

    /** @return entities the primary holds, tombstones included */
    public int entities() {
        return entities;
    }

    /** @return the sinks checked */
    public List<String> sinks() {
        return sinks;
    }

    /** @return dead letters seen */
    public long deadLetters() {
        return deadLetters;
    }

    /** @return entities that still have pending intents */
    public long pending() {
        return pending;
    }

    /** @return a one-line summary with the counts */
    public String summary() {
        StringBuilder sb = new StringBuilder(converged() ? "converged" : "NOT converged");
        sb.append(": ").append(entities).append(" entities, sinks ").append(sinks);
        counts().forEach((k, n) -> sb.append(", ").append(k.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(n));
        sb.append(", explained by dead letters=").append(explained.size()).append(", dead letters=").append(deadLetters)
                .append(", pending=").append(pending);
        return sb.toString();
    }

    /**
     * @throws AssertionError with the summary and the diff when some sink has not converged
     */
    public void assertConverged() {
        if (!converged()) {
            throw new AssertionError(toString());
        }
    }

    /** @return the summary and one diff line per issue (at most {@value #MAX_LINES}) */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        lines.add(summary());
        int shown = 0;
        for (Discrepancy d : issues) {
            if (shown++ == MAX_LINES) {
                lines.add("  … " + (issues.size() - MAX_LINES) + " more");
                break;
            }
            lines.add("  " + d);
        }
        return String.join("\n", lines);
    }
}
