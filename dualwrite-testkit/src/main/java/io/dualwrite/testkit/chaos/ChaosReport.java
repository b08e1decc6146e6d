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
package io.dualwrite.testkit.chaos;

import io.dualwrite.RecoveryReport;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.fault.Fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The figures and verdict of one {@link ChaosRunner} run: what was done, which faults were
 * injected, how recovery went, and whether the promises held (zero lost, zero phantom, zero
 * divergent, every effect at most once, nothing left pending, no unexpected write error).
 * Immutable and thread-safe.
 */
public final class ChaosReport extends Verdict {
    private final int threads;
    private final long saves;
    private final long updates;
    private final long deletes;
    private final long conflicts;
    private final long compensations;
    private final List<String> writeErrors;
    private final long writeErrorCount;
    private final Map<Fault, Long> faults;
    private final long retries;
    private final RecoveryReport recovery;
    private final long deadLetters;
    private final long backlogAfterRecovery;
    private final Duration chaosDuration;
    private final Duration timeToConverge;
    private final ConvergenceReport convergence;
    private final List<String> repeatedEffects;

    ChaosReport(long seed, int threads, long saves, long updates, long deletes, long conflicts, long compensations,
                List<String> writeErrors,
                long writeErrorCount, Map<Fault, Long> faults, long retries, RecoveryReport recovery, long deadLetters,
                long backlogAfterRecovery, Duration chaosDuration, Duration timeToConverge,
                ConvergenceReport convergence, List<String> repeatedEffects, List<String> violations) {
        super("chaos run", seed, violations);
        this.threads = threads;
        this.saves = saves;
        this.updates = updates;
        this.deletes = deletes;
        this.conflicts = conflicts;
        this.compensations = compensations;
        this.writeErrors = List.copyOf(writeErrors);
        this.writeErrorCount = writeErrorCount;
        this.faults = Collections.unmodifiableMap(new EnumMap<>(faults));
        this.retries = retries;
        this.recovery = Objects.requireNonNull(recovery, "recovery");
        this.deadLetters = deadLetters;
        this.backlogAfterRecovery = backlogAfterRecovery;
        this.chaosDuration = chaosDuration;
        this.timeToConverge = timeToConverge;
        this.convergence = Objects.requireNonNull(convergence, "convergence");
        this.repeatedEffects = List.copyOf(repeatedEffects);
    }

    /** @return writer threads */
    public int threads() {
        return threads;
    }

    /** @return operations attempted: saves, updates and deletes */
    public long operations() {
        return saves + updates + deletes;
    }

    /** @return blind saves attempted */
    public long saves() {
        return saves;
    }

    /** @return read-modify-write updates attempted (with an expected version) */
    public long updates() {
        return updates;
    }

    /** @return deletes attempted */
    public long deletes() {
        return deletes;
    }

    /** @return updates refused because another thread wrote first (expected, not a failure) */
    public long conflicts() {
        return conflicts;
    }

    /** @return writes undone because a REQUIRED sink failed (expected when a sink is REQUIRED) */
    public long compensations() {
        return compensations;
    }

    /** @return unexpected exceptions from the coordinator's write methods (the first few, described) */
    public List<String> writeErrors() {
        return writeErrors;
    }

    /** @return how many unexpected exceptions the write methods threw */
    public long writeErrorCount() {
        return writeErrorCount;
    }

    /** @return faults injected per kind (in the order of {@link Fault}), all sinks together */
    public Map<Fault, Long> faults() {
        return faults;
    }

    /** @return faults injected, all kinds and sinks together */
    public long faultsInjected() {
        return faults.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return retries on the caller's path (the coordinator's retry counter) */
    public long retries() {
        return retries;
    }

    /** @return recovery figures summed over every pass, during and after the faults */
    public RecoveryReport recovery() {
        return recovery;
    }

    /** @return dead letters at the end */
    public long deadLetters() {
        return deadLetters;
    }

    /** @return entities still pending after recovery (0 when recovery finished) */
    public long backlogAfterRecovery() {
        return backlogAfterRecovery;
    }

    /** @return how long the faulty phase took */
    public Duration chaosDuration() {
        return chaosDuration;
    }

    /** @return from healing the faults until recovery left nothing pending */
    public Duration timeToConverge() {
        return timeToConverge;
    }

    /** @return the primary-versus-sinks comparison at the end */
    public ConvergenceReport convergence() {
        return convergence;
    }

    /** @return versions that changed a destination more than once ({@code sink: id@v applied N times}) */
    public List<String> repeatedEffects() {
        return repeatedEffects;
    }

    /** @return the figures on a few lines; on failure followed by the violations and the diff */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("chaos seed=%d threads=%d: %d operations (%d saves, %d updates, %d deletes; %d conflicts,"
                        + " %d compensations, %d write errors) in %d ms", seed(), threads, operations(), saves, updates,
                deletes, conflicts, compensations, writeErrorCount, chaosDuration.toMillis()));
        lines.add("  faults injected=" + faultsInjected() + " " + faults + ", caller-path retries=" + retries);
        lines.add(String.format("  recovery: claimed=%d delivered=%d deferred=%d dead-lettered=%d; dead letters=%d,"
                        + " backlog after=%d, time to converge=%d ms", recovery.claimed(), recovery.delivered(),
                recovery.deferred(), recovery.deadLettered(), deadLetters, backlogAfterRecovery,
                timeToConverge.toMillis()));
        lines.add("  " + convergence.summary());
        if (!promisesKept()) {
            lines.add("  VIOLATIONS (seed " + seed() + "):");
            for (String v : violations()) {
                lines.add("    " + v.replace("\n", "\n    "));
            }
        }
        return String.join("\n", lines);
    }
}
