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
package io.dualwrite.reconcile.internal;

import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of one run as it goes, carried across a resume through the checkpoint's report.
 * Not thread-safe (one run's thread).
 */
final class RunState {
    /** Errors listed one by one: the report keeps one line for those beyond, and one for why a run stopped. */
    static final int LISTED = ReconcileReport.MAX_ERRORS - 2;
    static final String UNLISTED_PREFIX = "... and ";
    static final String UNLISTED_SUFFIX = " more error(s) not listed";

    final String runId;
    final String entityType;
    final ReconcileMode mode;
    final String scope;
    final List<String> sinks;
    final Instant startedAt;
    final int resumes;
    final long durationBefore;
    final int sampleSize;
    long chunks;
    long idsCovered;
    long idsCompared;
    long contentCompared;
    long sinkCalls;
    long digestCalls;
    final Map<String, Map<DriftClass, Long>> counts = new TreeMap<>();
    final Map<String, Map<RepairOutcome, Long>> actions = new TreeMap<>();
    /** The errors listed, at most {@link #LISTED} of them. */
    final List<String> errors = new ArrayList<>();
    /** Errors met beyond those listed: counted in one line of the report. */
    long unlisted;
    /** Why the run stopped, when it failed: the report's last error, whatever came before. */
    String stopReason;
    final Map<String, List<PlanEntry>> samples = new TreeMap<>();

    RunState(String runId, String entityType, ReconcileMode mode, String scope, List<String> sinks, Instant startedAt,
             int sampleSize) {
        this(runId, entityType, mode, scope, sinks, startedAt, 0, 0, sampleSize);
        for (String sink : sinks) {
            Map<DriftClass, Long> c = new EnumMap<>(DriftClass.class);
            for (DriftClass d : DriftClass.values()) {
                c.put(d, 0L);
            }
            counts.put(sink, c);
            if (mode == ReconcileMode.APPLY) {
                Map<RepairOutcome, Long> a = new EnumMap<>(RepairOutcome.class);
                for (RepairOutcome o : RepairOutcome.values()) {
                    a.put(o, 0L);
                }
                actions.put(sink, a);
            }
        }
    }

    private RunState(String runId, String entityType, ReconcileMode mode, String scope, List<String> sinks,
                     Instant startedAt, int resumes, long durationBefore, int sampleSize) {
        this.runId = runId;
        this.entityType = entityType;
        this.mode = mode;
        this.scope = scope;
        this.sinks = List.copyOf(sinks);
        this.startedAt = startedAt;
        this.resumes = resumes;
        this.durationBefore = durationBefore;
        this.sampleSize = sampleSize;
    }

    /** Continues the run a checkpoint describes, as the execution numbered {@code execution} (its resumes). */
    static RunState resume(ReconcileReport r, int execution, int sampleSize) {
        RunState s = new RunState(r.runId(), r.entityType(), r.mode(), r.scope(), r.sinks(), r.startedAt(),
                execution, r.durationMillis(), sampleSize);
        s.chunks = r.chunks();
        s.idsCovered = r.idsCovered();
        s.idsCompared = r.idsCompared();
        s.contentCompared = r.contentCompared();
        s.sinkCalls = r.sinkCalls();
        s.digestCalls = r.digestCalls();
        r.counts().forEach((k, v) -> {
            Map<DriftClass, Long> m = new EnumMap<>(DriftClass.class);
            m.putAll(v);
            s.counts.put(k, m);
        });
        r.actions().forEach((k, v) -> {
            Map<RepairOutcome, Long> m = new EnumMap<>(RepairOutcome.class);
            m.putAll(v);
            s.actions.put(k, m);
        });
        for (String e : r.errors()) {
            if (e.startsWith(UNLISTED_PREFIX) && e.endsWith(UNLISTED_SUFFIX)) {
                s.unlisted += Long.parseLong(e.substring(UNLISTED_PREFIX.length(), e.length() - UNLISTED_SUFFIX.length()));
            } else {
                s.error(e);
            }
        }
        for (PlanEntry e : r.samples()) {
            s.samples.computeIfAbsent(e.sink(), k -> new ArrayList<>()).add(e);
        }
        return s;
    }

    void count(String sink, DriftClass drift, long n) {
        counts.get(sink).merge(drift, n, Long::sum);
    }

    void action(String sink, RepairOutcome outcome) {
        actions.get(sink).merge(outcome, 1L, Long::sum);
    }

    void sample(PlanEntry e) {
        List<PlanEntry> l = samples.computeIfAbsent(e.sink(), k -> new ArrayList<>());
        if (l.size() < sampleSize) {
            l.add(e);
        }
    }

    /**
     * Lists an error; past {@link #LISTED} of them, counts it in the report's line of errors not listed, so a report
     * never leaves an error out without saying so, and its last line still says why a failed run stopped.
     */
    void error(String message) {
        if (errors.size() < LISTED) {
            errors.add(message);
        } else {
            unlisted++;
        }
    }

    /** Records why the run stopped: the last error of its report. */
    void stopped(String message) {
        stopReason = message;
    }

    private List<String> reportedErrors() {
        if (unlisted == 0 && stopReason == null) {
            return errors;
        }
        List<String> out = new ArrayList<>(errors);
        if (unlisted > 0) {
            out.add(UNLISTED_PREFIX + unlisted + UNLISTED_SUFFIX);
        }
        if (stopReason != null) {
            out.add(stopReason);
        }
        return out;
    }

    ReconcileReport report(RunStatus status, Instant endedAt, long durationNow) {
        List<PlanEntry> all = new ArrayList<>();
        samples.values().forEach(all::addAll);
        return new ReconcileReport(runId, entityType, mode, scope, sinks, status, startedAt, endedAt,
                durationBefore + durationNow, resumes, chunks, idsCovered, idsCompared, contentCompared, sinkCalls,
                digestCalls, counts, actions, reportedErrors(), all);
    }
}
