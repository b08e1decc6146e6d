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

import io.dualwrite.DualWriter;
import io.dualwrite.internal.Args;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileListener;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcilePlan;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.ReconcileTakenOverException;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The reconciler behind {@link Reconciler}. Thread-safe: runs are serialised by a lock; each run
 * keeps its state on its own thread.
 *
 * @param <T> the entity type
 */
public final class DefaultReconciler<T> implements Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultReconciler.class);

    /**
     * Everything the builder collected. Immutable.
     *
     * @param <T> the entity type
     */
    public static final class Settings<T> {
        final DualWriter<T> writer;
        final PrimaryStore<T> primary;
        final Map<String, ReconcilableSink<T>> sinks;
        final ReconcileStore store;
        final int chunkSize;
        final int leafSize;
        final boolean useDigests;
        final boolean compareContent;
        final RateLimiter limiter;
        final int sampleSize;
        final ReconcileListener listener;
        final MeterRegistry meters;
        final Clock clock;

        /** Collects the builder's settings; see {@link io.dualwrite.reconcile.ReconcilerBuilder} for each. */
        @SuppressWarnings("checkstyle:ParameterNumber")
        public Settings(DualWriter<T> writer, PrimaryStore<T> primary, Map<String, ReconcilableSink<T>> sinks,
                        ReconcileStore store, int chunkSize, int leafSize, boolean useDigests, boolean compareContent,
                        RateLimiter limiter, int sampleSize, ReconcileListener listener, MeterRegistry meters,
                        Clock clock) {
            this.writer = writer;
            this.primary = primary;
            this.sinks = Map.copyOf(sinks);
            this.store = store;
            this.chunkSize = chunkSize;
            this.leafSize = leafSize;
            this.useDigests = useDigests;
            this.compareContent = compareContent;
            this.limiter = limiter;
            this.sampleSize = sampleSize;
            this.listener = listener;
            this.meters = meters;
            this.clock = clock;
        }

        /**
         * The checkpoint a run of the key resumes from: none when the checkpoint's run is over (it completed or was
         * abandoned, by an execution at or above the checkpoint's). Such a checkpoint was written late by a holder that
         * lost the run, or left by a crash between the report and the checkpoint's end; resuming from it would skip
         * every id before it. It is ended here, so that the next run's checkpoints may take its place (unless an
         * execution claims it meanwhile).
         */
        Optional<ReconcileCheckpoint> resumable(String runKey) {
            Optional<ReconcileCheckpoint> cp = store.checkpoint(runKey);
            if (cp.isEmpty()) {
                return cp;
            }
            ReconcileReport at = cp.get().report();
            Optional<String> over = store.report(writer.entityType(), at.runId()).flatMap(r -> overBy(at, r));
            if (over.isEmpty()) {
                return cp;
            }
            LOG.warn("reconciliation of {}: the checkpoint at sink '{}' after id '{}' belongs to run {}, which {}; it is"
                    + " not resumed", writer.entityType(), cp.get().sink(), cp.get().lastId(), at.runId(), over.get());
            store.endCheckpoint(runKey, at.runId(), at.resumes());
            return Optional.empty();
        }

        /**
         * Claims the checkpoint a run of the key resumes from (or an abandon drops) for a new execution
         * ({@link ReconcileStore#claimResume}). The claim decides: an execution of the run still on it that has not
         * ended the checkpoint yet finds the claim when it tries, and stops as taken over.
         *
         * @param runKey the run key
         * @param usable whether a checkpoint found is one this execution can resume from
         * @return the checkpoint claimed and the new execution's number; empty when there is none to claim
         */
        Optional<Claimed> claim(String runKey, Predicate<ReconcileCheckpoint> usable) {
            Optional<ReconcileCheckpoint> cp = resumable(runKey).filter(usable);
            OptionalInt execution = cp.isPresent() ? store.claimResume(cp.get()) : OptionalInt.empty();
            return execution.isPresent() ? Optional.of(new Claimed(cp.get(), execution.getAsInt())) : Optional.empty();
        }

        /**
         * Reads back what the store shows of an execution's last two writes to its run, its report and then the end
         * of the run's checkpoint. An execution that claims a run stores its report before it ends the checkpoint,
         * so a later one's claim shows on the checkpoint while it is there, and its report once it is gone.
         *
         * @param runKey the run key
         * @param report the report the execution stored
         * @return what stands
         * @throws RuntimeException if the store cannot be read
         */
        Standing standing(String runKey, ReconcileReport report) {
            Optional<ReconcileCheckpoint> left = store.checkpoint(runKey);
            if (left.isPresent() && left.get().report().runId().equals(report.runId())) {
                return new Standing(left.get().report().resumes() > report.resumes() ? Stand.CLAIMED : Stand.NOT_ENDED,
                        -1);
            }
            int stored = store.report(writer.entityType(), report.runId()).map(ReconcileReport::resumes).orElse(-1);
            return new Standing(stored > report.resumes() ? Stand.REPLACED
                    : stored < report.resumes() ? Stand.NOT_SHOWN : Stand.STANDS, stored);
        }

        /**
         * @return how the run is over, judged by its stored report against a checkpoint whose report so far is
         *         {@code at} (it completed, or was abandoned, by an execution at or above the checkpoint's); empty when
         *         it is not. A checkpoint written late by an execution that a later one took over is refused by the
         *         store itself once the later one claimed the run ({@link ReconcileStore#claimResume}); it can land
         *         only where the run's checkpoint was ended, which a run does when it completes or is abandoned
         */
        private static Optional<String> overBy(ReconcileReport at, ReconcileReport stored) {
            if (stored.resumes() < at.resumes()) {
                // an execution claimed the checkpoint after the one that stored the report: a stale execution's
                // completion, say, while the one that took the run over is still on it (or died): it is resumed
                return Optional.empty();
            }
            if (stored.status() == RunStatus.COMPLETED) {
                return Optional.of("completed");
            }
            if (stored.status() == RunStatus.FAILED && !stored.errors().isEmpty()
                    && stored.errors().get(stored.errors().size() - 1).startsWith(ABANDONED)) {
                return Optional.of("was abandoned");
            }
            return Optional.empty();
        }
    }

    /**
     * A checkpoint claimed for a new execution of its run.
     *
     * @param checkpoint the checkpoint as it was before the claim
     * @param execution  the new execution's number
     */
    record Claimed(ReconcileCheckpoint checkpoint, int execution) {
    }

    /** What the store shows of an execution's report and of the end of its run's checkpoint. */
    enum Stand {
        /** The report is the execution's and the checkpoint is gone: its write stands. */
        STANDS,
        /** The checkpoint is still there, claimed by a later execution: the run is that one's now. */
        CLAIMED,
        /** The checkpoint is gone and a later execution's report is there: the run was that one's. */
        REPLACED,
        /** The checkpoint is still there as the execution left it: its end did not land. */
        NOT_ENDED,
        /** The checkpoint is gone, but the report read back is an earlier execution's, or none: a lagging read. */
        NOT_SHOWN
    }

    /**
     * What {@link Settings#standing} read back.
     *
     * @param stand  what stands
     * @param stored the execution whose report was read back, -1 for none or when the checkpoint decided
     */
    record Standing(Stand stand, int stored) {
    }

    /** How the last error of an abandoned run's report begins: no checkpoint of that run is resumed again. */
    static final String ABANDONED = "abandoned at sink '";

    final Settings<T> s;
    final String type;
    /** Whether the coordinator can commit a rewrite: not over a write-ahead store, whose writes are the application's. */
    final boolean canRewrite;
    final ReentrantLock runLock = new ReentrantLock();

    /** @param settings the settings */
    public DefaultReconciler(Settings<T> settings) {
        this.s = settings;
        this.type = settings.writer.entityType();
        this.canRewrite = settings.primary.supportsCompensation();
    }

    @Override
    public ReconcilePlan plan(ReconcileScope scope) {
        ReconcileRun<T> run = new ReconcileRun<>(this, ReconcileMode.DRY_RUN, scope, true,
                ReconcileListener.NONE);
        run.execute();
        return new ReconcilePlan(type, scope.toString(), run.sinks, run.state.counts, run.planEntries);
    }

    @Override
    public ReconcileReport dryRun(ReconcileScope scope) {
        return dryRun(scope, ReconcileListener.NONE);
    }

    @Override
    public ReconcileReport dryRun(ReconcileScope scope, ReconcileListener listener) {
        ReconcileRun<T> run = new ReconcileRun<>(this, ReconcileMode.DRY_RUN, scope, false,
                Objects.requireNonNull(listener, "listener"));
        ReconcileReport report = run.execute();
        for (PlanEntry e : report.samples()) {
            LOG.info("reconciliation {} plan sample: {}", report.runId(), e.toText());
        }
        return report;
    }

    @Override
    public ReconcileReport apply(ReconcileScope scope) {
        return apply(scope, ReconcileListener.NONE);
    }

    @Override
    public ReconcileReport apply(ReconcileScope scope, ReconcileListener listener) {
        return new ReconcileRun<>(this, ReconcileMode.APPLY, scope, false, Objects.requireNonNull(listener, "listener"))
                .execute();
    }

    @Override
    public String entityType() {
        return type;
    }

    @Override
    public SortedSet<String> sinkNames() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(s.sinks.keySet()));
    }

    @Override
    public List<ReconcileReport> history(int limit) {
        Args.atLeast(limit, 1, "limit");
        return s.store.reports(type, limit);
    }

    @Override
    public Optional<ReconcileReport> unfinished(ReconcileScope scope) {
        Objects.requireNonNull(scope, "scope");
        List<String> sinks = resolveSinks(scope);
        return s.resumable(runKey(ReconcileMode.APPLY, scope, sinks)).map(ReconcileCheckpoint::report);
    }

    @Override
    public Optional<ReconcileReport> abandon(ReconcileScope scope) {
        Objects.requireNonNull(scope, "scope");
        String key = runKey(ReconcileMode.APPLY, scope, resolveSinks(scope));
        runLock.lock();
        try {
            // abandoning is an execution of its own: numbered above every one before, so that none of them (a
            // stalled request holder) replaces its report or leaves a checkpoint it would resume from
            Optional<Claimed> claimed = s.claim(key, c -> true);
            if (claimed.isEmpty()) {
                return Optional.empty();
            }
            ReconcileCheckpoint cp = claimed.get().checkpoint();
            ReconcileReport r = cp.report();
            List<String> errors = new ArrayList<>(r.errors().subList(0, Math.min(r.errors().size(),
                    ReconcileReport.MAX_ERRORS - 1)));
            errors.add(ABANDONED + cp.sink() + "' after id '" + cp.lastId()
                    + "'; the next run starts from the beginning");
            ReconcileReport report = new ReconcileReport(r.runId(), r.entityType(), r.mode(), r.scope(), r.sinks(),
                    RunStatus.FAILED, r.startedAt(), s.clock.instant(), r.durationMillis(), claimed.get().execution(),
                    r.chunks(), r.idsCovered(), r.idsCompared(), r.contentCompared(), r.sinkCalls(), r.digestCalls(),
                    r.counts(), r.actions(), errors, r.samples());
            s.store.saveReport(report);
            s.store.endCheckpoint(key, report.runId(), report.resumes());
            confirmAbandoned(key, report);
            LOG.warn("reconciliation {} of {} {} abandoned at sink '{}' after id '{}'", report.runId(), type, scope,
                    cp.sink(), cp.lastId());
            return Optional.of(report);
        } finally {
            runLock.unlock();
        }
    }

    /**
     * Learns whether an abandon took effect, as a run learns whether it completed: another instance's apply that
     * claimed the run after this abandon did (and resumes it) leaves its claim on the checkpoint this abandon could
     * not end, or its report in place of the abandon's once the checkpoint is gone.
     *
     * @throws ReconcileTakenOverException when another execution took the run over: it goes on, not abandoned
     * @throws ReconcileException when the store cannot confirm the abandon was recorded
     */
    private void confirmAbandoned(String key, ReconcileReport report) {
        Stand stand = s.standing(key, report).stand();
        if (stand == Stand.CLAIMED || stand == Stand.REPLACED) {
            throw overtaken(report);
        }
        if (stand != Stand.STANDS) {
            throw new ReconcileException("reconciliation " + report.runId() + ": abandoned as execution "
                    + report.resumes() + ", but the store does not show it (its report or the checkpoint's end did not"
                    + " land, or a read lags behind the write); unfinished() tells what stands", report, null);
        }
    }

    private static ReconcileTakenOverException overtaken(ReconcileReport report) {
        return new ReconcileTakenOverException("reconciliation " + report.runId() + ": another execution resumed the"
                + " run after execution " + report.resumes() + " claimed it to abandon it; the run goes on, not"
                + " abandoned");
    }

    List<String> resolveSinks(ReconcileScope scope) {
        List<String> out = new ArrayList<>();
        if (scope.sinks().isEmpty()) {
            out.addAll(s.sinks.keySet());
            out.sort(Comparator.naturalOrder());
            return out;
        }
        for (String name : scope.sinks()) {
            if (!s.sinks.containsKey(name)) {
                throw new IllegalArgumentException("the scope names sink '" + name + "', which this reconciler of "
                        + type + " does not have (it has " + new TreeSet<>(s.sinks.keySet()) + ")");
            }
            out.add(name);
        }
        return out;
    }

    String runKey(ReconcileMode mode, ReconcileScope scope, List<String> sinks) {
        return type + "|" + mode + "|" + scope.key() + "|" + String.join(",", sinks);
    }


    static String describe(Throwable t) {
        String msg = t.getMessage();
        String d = t.getClass().getName() + (msg == null ? "" : ": " + msg);
        return d.length() > 500 ? d.substring(0, 500) + "…" : d;
    }
}
