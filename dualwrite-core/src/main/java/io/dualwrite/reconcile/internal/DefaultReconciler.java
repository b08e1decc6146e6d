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
import io.dualwrite.ErrorClassifier;
import io.dualwrite.internal.Args;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileAbandonUnconfirmedException;
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
         * Ends the checkpoint of a run as the execution that just stored its final report (a COMPLETED run, an
         * abandon), then reads back what the store shows of those two writes: the checkpoint first, then the
         * report. An execution that claims a run stores its report before it ends the checkpoint, so a later one's
         * claim shows on the checkpoint while it is there, and its report once it is gone. A failed end is
         * remembered, not thrown: the checkpoint read back tells whether it landed.
         * <p>
         * The read-back relies on the store's reads seeing its latest writes ({@link ReconcileStore#report}): a read
         * that lags to an earlier execution's report, or to none, is {@link Stand#NOT_SHOWN}, but one that lags
         * exactly to this execution's own report cannot be told from one that stands.
         *
         * @param runKey the run key
         * @param report the report the execution stored
         * @return what stands, with the end's failure
         * @throws RuntimeException if the store cannot be read (a non-fatal {@link Error} as it is)
         */
        Standing endAndReadBack(String runKey, ReconcileReport report) {
            Throwable endFailure = null;
            try {
                store.endCheckpoint(runKey, report.runId(), report.resumes());
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e);
                endFailure = e; // the checkpoint left tells whether the end landed
            }
            Optional<ReconcileCheckpoint> left = store.checkpoint(runKey);
            if (left.isPresent() && left.get().report().runId().equals(report.runId())) {
                return new Standing(left.get().report().resumes() > report.resumes() ? Stand.CLAIMED : Stand.NOT_ENDED,
                        null, endFailure);
            }
            ReconcileReport stored = store.report(writer.entityType(), report.runId()).orElse(null);
            int execution = stored == null ? -1 : stored.resumes();
            Stand stand = execution > report.resumes() ? Stand.REPLACED
                    : execution < report.resumes() ? Stand.NOT_SHOWN : Stand.STANDS;
            if (stand == Stand.STANDS && endFailure != null) {
                LOG.warn("reconciliation {}: the end of its checkpoint failed ({}), but the checkpoint is gone: the end"
                        + " landed", report.runId(), endFailure.toString());
            }
            return new Standing(stand, stored, endFailure);
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
            return abandoned(stored) ? Optional.of("was abandoned") : Optional.empty();
        }
    }

    /** @return whether a report is an abandon's: FAILED, its last error saying it was abandoned */
    static boolean abandoned(ReconcileReport report) {
        return report.status() == RunStatus.FAILED && !report.errors().isEmpty()
                && report.errors().get(report.errors().size() - 1).startsWith(ABANDONED);
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
     * What {@link Settings#endAndReadBack} read back.
     *
     * @param stand      what stands
     * @param stored     the report read back, null for none or when the checkpoint decided
     * @param endFailure how the checkpoint's end failed, null when it did not
     */
    record Standing(Stand stand, ReconcileReport stored, Throwable endFailure) {
        /** @return the execution whose report was read back, -1 for none or when the checkpoint decided */
        int storedExecution() {
            return stored == null ? -1 : stored.resumes();
        }

        /** @return why the checkpoint is still there ({@link Stand#NOT_ENDED}) */
        Throwable whyNotEnded() {
            return endFailure != null ? endFailure : new IllegalStateException("the checkpoint is still there after"
                    + " its end");
        }

        /** @return why the report read back confirms nothing ({@link Stand#NOT_SHOWN}) */
        IllegalStateException whyNotShown() {
            return new IllegalStateException(stored == null
                    ? "no report of the run was read back, a read that lags behind the write"
                    : "the report read back is execution " + stored.resumes() + "'s, a read that lags behind the write");
        }
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
            ReconcileCheckpoint cp = claimedAsItIs(key, claimed.get());
            ReconcileReport r = cp.report();
            List<String> errors = new ArrayList<>(r.errors().subList(0, Math.min(r.errors().size(),
                    ReconcileReport.MAX_ERRORS - 1)));
            errors.add(ABANDONED + cp.sink() + "' after id '" + cp.lastId()
                    + "'; the next run starts from the beginning");
            ReconcileReport report = new ReconcileReport(r.runId(), r.entityType(), r.mode(), r.scope(), r.sinks(),
                    RunStatus.FAILED, r.startedAt(), s.clock.instant(), r.durationMillis(), claimed.get().execution(),
                    r.chunks(), r.idsCovered(), r.idsCompared(), r.contentCompared(), r.sinkCalls(), r.digestCalls(),
                    r.counts(), r.actions(), errors, r.samples());
            try {
                s.store.saveReport(report);
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e);
                // the checkpoint stays as claimed: whether the report landed decides what the next apply does (it
                // ends the checkpoint of an abandoned run, and resumes one that is not)
                throw unconfirmed(report, "its report could not be stored", e);
            }
            return confirmAbandoned(key, report, cp);
        } finally {
            runLock.unlock();
        }
    }

    /**
     * The checkpoint an abandon claimed, as it is now: an execution still on the run may have moved it on between the
     * read and the claim, and the abandon's report says where the run stood (its counts, its last id). The checkpoint
     * read before the claim when the read fails or shows another execution's claim.
     */
    private ReconcileCheckpoint claimedAsItIs(String key, Claimed claimed) {
        try {
            return s.store.checkpoint(key).filter(c -> c.report().runId().equals(claimed.checkpoint().report().runId())
                    && c.report().resumes() == claimed.execution()).orElse(claimed.checkpoint());
        } catch (RuntimeException | Error e) {
            ErrorClassifier.rethrowIfFatal(e);
            LOG.debug("reconciliation {}: the checkpoint it claimed could not be read again ({}); the report says where"
                    + " it stood when read", claimed.checkpoint().report().runId(), e.toString());
            return claimed.checkpoint();
        }
    }

    /**
     * Ends the abandoned run's checkpoint and learns whether the abandon took effect, as a run learns whether it
     * completed ({@link Settings#endAndReadBack}): another instance's apply that claimed the run after this abandon
     * did leaves its claim on the checkpoint this abandon could not end, or its report in place of the abandon's
     * once the checkpoint is gone. Another abandon that claimed it later leaves its report: the run is abandoned.
     *
     * @return the report of the abandon that stands: this one's, or a later abandon's
     * @throws ReconcileTakenOverException when another execution claimed the run after this one
     * @throws ReconcileAbandonUnconfirmedException when the store cannot confirm the abandon was recorded
     */
    private Optional<ReconcileReport> confirmAbandoned(String key, ReconcileReport report, ReconcileCheckpoint cp) {
        Standing standing;
        try {
            standing = s.endAndReadBack(key, report);
        } catch (RuntimeException | Error e) {
            ErrorClassifier.rethrowIfFatal(e);
            throw unconfirmed(report, "could not read back whether it was recorded", e);
        }
        switch (standing.stand()) {
            case STANDS:
                LOG.warn("reconciliation {} of {} abandoned at sink '{}' after id '{}'", report.runId(), type,
                        cp.sink(), cp.lastId());
                return Optional.of(report);
            case CLAIMED:
                throw new ReconcileTakenOverException("reconciliation " + report.runId() + ": another execution"
                        + " claimed the run after execution " + report.resumes() + " claimed it to abandon it (an"
                        + " apply that resumes it, or another abandon): the run is that execution's now, and a report"
                        + " it stores replaces this one's; unfinished() tells whether the run goes on");
            case REPLACED:
                if (abandoned(standing.stored())) {
                    LOG.warn("reconciliation {} of {} abandoned by execution {} as well as by execution {}",
                            report.runId(), type, standing.storedExecution(), report.resumes());
                    return Optional.of(standing.stored());
                }
                throw new ReconcileTakenOverException("reconciliation " + report.runId() + ": another execution"
                        + " resumed the run after execution " + report.resumes() + " claimed it to abandon it, and"
                        + " stored its own report (" + standing.stored().status() + "); the run was not abandoned");
            case NOT_ENDED:
                throw unconfirmed(report, "could not end the run's checkpoint", standing.whyNotEnded());
            default:
                throw unconfirmed(report, "could not read back whether it was recorded", standing.whyNotShown());
        }
    }

    /** @return how an abandon that cannot tell whether it took effect fails */
    private static ReconcileAbandonUnconfirmedException unconfirmed(ReconcileReport report, String what,
                                                                   Throwable cause) {
        return new ReconcileAbandonUnconfirmedException("reconciliation " + report.runId() + ": abandoned as execution "
                + report.resumes() + ", but " + what + " (the reconcile store): " + describe(cause)
                + "; it may or may not have been recorded, and unfinished() tells what stands", report, cause);
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
