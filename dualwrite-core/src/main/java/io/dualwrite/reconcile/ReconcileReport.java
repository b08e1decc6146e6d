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
package io.dualwrite.reconcile;

import io.dualwrite.reconcile.internal.ReconcileJson;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The audit record of one run: when, what, what was found, what was done, what failed. Stored
 * in the {@link io.dualwrite.spi.ReconcileStore} at the end of every run (and, as part of the
 * checkpoint, after every chunk of an applied run). Immutable.
 *
 * @param runId        the run's id (a resumed run keeps it)
 * @param entityType   the entity type
 * @param mode         dry run or apply
 * @param scope        the scope's description
 * @param sinks        the sinks compared, sorted
 * @param status       where the run stands
 * @param startedAt    when the run started (the first time, for a resumed run)
 * @param endedAt      when it ended; null while running
 * @param durationMillis the time spent, resumed parts added up
 * @param resumes      how many times it was resumed from a checkpoint
 * @param chunks       chunks finished, all sinks together
 * @param idsCovered   ids covered: compared one by one or found equal through digests
 * @param idsCompared  ids whose versions were compared one by one
 * @param contentCompared ids at equal versions whose content was compared (content comparison on)
 * @param sinkCalls    calls to sinks to read them (versions, id listings, digests, content digests)
 * @param digestCalls  of those, digest calls
 * @param counts       per sink, ids by drift class
 * @param actions      per sink, planned repairs by outcome (applied runs only)
 * @param errors       errors met (ids and messages, no payloads): at most {@value #MAX_ERRORS} lines, the
 *                     last two of which, when a run met more, count those not listed and say why a failed run
 *                     stopped
 * @param samples      the first plan entries of each sink (up to the reconciler's sample size)
 */
public record ReconcileReport(String runId, String entityType, ReconcileMode mode, String scope, List<String> sinks,
                              RunStatus status, Instant startedAt, Instant endedAt, long durationMillis, int resumes,
                              long chunks, long idsCovered, long idsCompared, long contentCompared,
                              long sinkCalls, long digestCalls,
                              Map<String, Map<DriftClass, Long>> counts, Map<String, Map<RepairOutcome, Long>> actions,
                              List<String> errors, List<PlanEntry> samples) {
    /**
     * The most error lines a run's report holds: beyond two fewer, a line counts the errors not listed, and a failed
     * run's last line says why it stopped.
     */
    public static final int MAX_ERRORS = 100;

    /**
     * Checks and copies the components.
     *
     * @param runId the run's id (a resumed run keeps it)
     * @param entityType the entity type
     * @param mode dry run or apply
     * @param scope the scope's description
     * @param sinks the sinks compared, sorted
     * @param status where the run stands
     * @param startedAt when the run started (the first time, for a resumed run)
     * @param endedAt when it ended; null while running
     * @param durationMillis the time spent, resumed parts added up
     * @param resumes how many times it was resumed from a checkpoint
     * @param chunks chunks finished, all sinks together
     * @param idsCovered ids covered: compared one by one or found equal through digests
     * @param idsCompared ids whose versions were compared one by one
     * @param contentCompared ids at equal versions whose content was compared (content comparison on)
     * @param sinkCalls calls to sinks to read them (versions, id listings, digests, content digests)
     * @param digestCalls of those, digest calls
     * @param counts per sink, ids by drift class
     * @param actions per sink, planned repairs by outcome (applied runs only)
     * @param errors errors met (ids and messages, no payloads), at most {@value #MAX_ERRORS} lines
     * @param samples the first plan entries of each sink (up to the reconciler's sample size)
     * @throws NullPointerException if runId, entityType, mode, scope, status or startedAt is null
     */
    public ReconcileReport {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(startedAt, "startedAt");
        sinks = sinks == null ? List.of() : List.copyOf(sinks);
        counts = ReconcileJson.copyCounts(counts, DriftClass.class);
        actions = ReconcileJson.copyCounts(actions, RepairOutcome.class);
        errors = errors == null ? List.of() : List.copyOf(errors);
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    /**
     * @param drift a drift class
     * @return ids of every sink found in it
     */
    public long count(DriftClass drift) {
        return counts.values().stream().mapToLong(m -> m.getOrDefault(drift, 0L)).sum();
    }

    /**
     * @param sink  a sink name
     * @param drift a drift class
     * @return ids of that sink found in it
     */
    public long count(String sink, DriftClass drift) {
        Map<DriftClass, Long> m = counts.get(sink);
        return m == null ? 0 : m.getOrDefault(drift, 0L);
    }

    /**
     * @param outcome a repair outcome
     * @return planned repairs of every sink that ended so
     */
    public long actions(RepairOutcome outcome) {
        return actions.values().stream().mapToLong(m -> m.getOrDefault(outcome, 0L)).sum();
    }

    /** @return ids out of sync by drift class, every sink together, in the classes' order; classes with none left out */
    public Map<DriftClass, Long> driftByClass() {
        Map<DriftClass, Long> out = new EnumMap<>(DriftClass.class);
        for (DriftClass c : DriftClass.values()) {
            if (c != DriftClass.IN_SYNC && count(c) > 0) {
                out.put(c, count(c));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** @return ids out of sync, every sink and class together */
    public long drift() {
        return count(DriftClass.MISSING) + count(DriftClass.STALE) + count(DriftClass.AHEAD) + count(DriftClass.ORPHAN)
                + count(DriftClass.CONTENT_MISMATCH);
    }

    /** @return repairs delivered (republished, orphans deleted and rewritten) */
    public long repaired() {
        return actions(RepairOutcome.REPUBLISHED) + actions(RepairOutcome.ORPHAN_DELETED)
                + actions(RepairOutcome.REWRITTEN);
    }

    /** @return the time spent */
    public Duration duration() {
        return Duration.ofMillis(durationMillis);
    }

    /** @return the one-line summary the reconciler logs at INFO */
    public String summary() {
        return "reconciliation " + runId + " " + mode + " of " + entityType + " " + scope + " " + sinks + ": " + status
                + " in " + durationMillis + " ms; covered " + idsCovered + " ids (" + idsCompared + " compared one by one, "
                + contentCompared + " by content, " + sinkCalls + " sink calls); in sync " + count(DriftClass.IN_SYNC)
                + ", missing " + count(DriftClass.MISSING) + ", stale " + count(DriftClass.STALE) + ", orphan "
                + count(DriftClass.ORPHAN) + ", ahead " + count(DriftClass.AHEAD) + ", content mismatch "
                + count(DriftClass.CONTENT_MISMATCH) + "; republished " + actions(RepairOutcome.REPUBLISHED)
                + ", orphans deleted " + actions(RepairOutcome.ORPHAN_DELETED) + ", rewritten "
                + actions(RepairOutcome.REWRITTEN) + ", superseded " + actions(RepairOutcome.SUPERSEDED) + ", dead-lettered "
                + actions(RepairOutcome.DEAD_LETTERED) + ", deferred " + actions(RepairOutcome.DEFERRED) + "; errors "
                + errors.size() + (resumes > 0 ? "; resumed " + resumes + " time(s)" : "");
    }

    /**
     * @param execution the execution of the run the report is to be of: its number of resumes
     * @return this report as that execution of the run (a store numbering executions uses it)
     */
    public ReconcileReport asExecution(int execution) {
        return new ReconcileReport(runId, entityType, mode, scope, sinks, status, startedAt, endedAt, durationMillis,
                execution, chunks, idsCovered, idsCompared, contentCompared, sinkCalls, digestCalls, counts, actions,
                errors, samples);
    }

    /** @return the report as compact JSON */
    public String toJson() {
        return ReconcileJson.write(this);
    }

    /**
     * @param json JSON from {@link #toJson()}
     * @return the report
     * @throws IllegalArgumentException if the JSON is not a report
     */
    public static ReconcileReport fromJson(String json) {
        return ReconcileJson.read(Objects.requireNonNull(json, "json"), ReconcileReport.class);
    }
}
