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

import io.dualwrite.Change;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.WriterOperations;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileCancelledException;
import io.dualwrite.reconcile.ReconcileTakenOverException;
import io.dualwrite.reconcile.ReconcileListener;
import io.dualwrite.reconcile.ReconcileMetrics;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.RepairAction;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.RangeDigest;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One reconciliation run: its scope, its state, its walk over the primary and each sink, comparing chunk by chunk;
 * what it finds to repair goes to {@link Repairs}. Used on one thread.
 *
 * @param <T> the entity type
 */
final class ReconcileRun<T> {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultReconciler.class);
    /** Reports looked at to estimate a run's size from an earlier one. */
    private static final int REPORTS_FOR_ESTIMATE = 20;
    final DefaultReconciler.Settings<T> s;
    final String type;
    final boolean canRewrite;
    private final ReentrantLock runLock;
    private final Repairs<T> repairs;
    final ReconcileMode mode;
    final ReconcileScope scope;
    final boolean planOnly;
    final List<String> sinks;
    final String runKey;
    final List<PlanEntry> planEntries = new ArrayList<>();
    /** Sinks whose content mismatches this run has explained it cannot repair. */
    final Set<String> reportOnlyExplained = new HashSet<>();
    RunState state;
    String startSink;
    String startAfter;
    long startNanos;
    long idsAtStart;
    long estimatedTotal = -1;

    /** Observes this run only, besides the builder's listener. */
    private final ReconcileListener runListener;

    ReconcileRun(DefaultReconciler<T> reconciler, ReconcileMode mode, ReconcileScope scope, boolean planOnly,
                 ReconcileListener runListener) {
        this.runListener = runListener;
        this.s = reconciler.s;
        this.type = reconciler.type;
        this.canRewrite = reconciler.canRewrite;
        this.runLock = reconciler.runLock;
        this.mode = mode;
        this.scope = Objects.requireNonNull(scope, "scope");
        this.planOnly = planOnly;
        this.sinks = reconciler.resolveSinks(scope);
        this.runKey = reconciler.runKey(mode, scope, sinks);
        this.repairs = new Repairs<>(this);
    }

    /** @return whether the sink is to hold the snapshot: alive, and within the sink's ramp */
    boolean holds(String sink, Snapshot<T> snap) {
        return !snap.deleted() && s.writer.operations().reach(sink, snap.id()) == WriterOperations.Reach.HOLDS;
    }

    ReconcileReport execute() {
        runLock.lock();
        try {
            return executeLocked();
        } finally {
            runLock.unlock();
        }
    }

    private ReconcileReport executeLocked() {
        startNanos = System.nanoTime();
        Optional<ReconcileCheckpoint> cp;
        OptionalInt execution;
        try {
            // the execution's own number, claimed in the store: an execution that resumed the same checkpoint before
            // (a request holder that lost its lease) can no longer replace what this one writes
            Optional<DefaultReconciler.Claimed> claimed = mode == ReconcileMode.APPLY
                    ? s.claim(runKey, c -> sinks.contains(c.sink())) : Optional.empty();
            cp = claimed.map(DefaultReconciler.Claimed::checkpoint);
            execution = claimed.isPresent() ? OptionalInt.of(claimed.get().execution()) : OptionalInt.empty();
        } catch (RuntimeException | Error e) {
            // the run cannot tell where it starts: it stops before it compares anything, with a FAILED report of its
            // own (the store may keep it or not) and the store named as the cause
            ErrorClassifier.rethrowIfFatal(e);
            state = new RunState(UUID.randomUUID().toString(), type, mode, scope.toString(), sinks, s.clock.instant(),
                    s.sampleSize);
            return fail("could not read or claim the checkpoint of an unfinished run (the reconcile store): ", e);
        }
        if (execution.isPresent()) {
            state = RunState.resume(cp.get().report(), execution.getAsInt(), s.sampleSize);
            startSink = cp.get().sink();
            startAfter = cp.get().lastId();
            LOG.info("reconciliation {} of {} {} resumes at sink '{}' after id '{}' ({} chunk(s) done)", state.runId,
                    type, scope, startSink, startAfter, state.chunks);
        } else {
            state = new RunState(UUID.randomUUID().toString(), type, mode, scope.toString(), sinks, s.clock.instant(),
                    s.sampleSize);
            startSink = null;
        }
        idsAtStart = state.idsCovered;
        estimatedTotal = estimateTotal();
        String current = null;
        try {
            boolean started = startSink == null;
            for (String sink : sinks) {
                if (!started) {
                    if (!sink.equals(startSink)) {
                        continue;
                    }
                    started = true;
                }
                current = sink;
                String after = sink.equals(startSink) ? startAfter : scope.afterExclusive().orElse(null);
                walk(new SinkReader<>(sink, s.sinks.get(sink), s.useDigests, s.compareContent), after);
            }
        } catch (ReconcileCancelledException e) {
            LOG.warn("reconciliation {} {} of {} {} cancelled by its listener after {} chunk(s): {}; no report stored{}",
                    state.runId, mode, type, scope, state.chunks, e.getMessage(),
                    mode == ReconcileMode.APPLY ? ", the next apply of the same scope resumes from its checkpoint" : "");
            throw e;
        } catch (CheckpointNotStored e) {
            return fail("could not store the checkpoint after id '" + e.lastId + "' of sink '" + current + "' (the"
                    + " reconcile store): ", e.getCause());
        } catch (Exception | Error e) {
            // an Error of a sink's read or of the primary's codec stops the run as any failure to read does, with a
            // FAILED report, so that its caller (a request worker, a scheduler) sees a ReconcileException
            ErrorClassifier.rethrowIfFatal(e);
            return fail(current == null ? "" : "sink '" + current + "': ", e);
        }
        ReconcileReport report = state.report(RunStatus.COMPLETED, s.clock.instant(), elapsedMillis());
        if (!planOnly) {
            try {
                s.store.saveReport(report);
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e); // a store's Error (a class it cannot load) fails the run too
                return fail("compared every id, but could not store the report (the reconcile store): ", e);
            }
            if (mode == ReconcileMode.APPLY) {
                ReconcileReport failed = confirmCompleted(report);
                if (failed != null) {
                    return failed;
                }
            }
            finished(report);
        }
        return report;
    }

    /**
     * Ends the checkpoint of an applied run that compared every id and stored its COMPLETED report, and learns whether
     * the run completed: the checkpoint decides, then the report. An execution that claims the run (an abandon(),
     * another instance's apply) stores its report before it ends the checkpoint, so the checkpoint still there with a
     * later claim, or a later execution's report once it is gone, means the run was taken over. The checkpoint still
     * this execution's means the end did not land, and an execution that claims it later goes on with the run.
     *
     * @return null when the run completed; the FAILED report when whether it completed is unknown
     * @throws ReconcileTakenOverException when a later execution took the run over
     */
    private ReconcileReport confirmCompleted(ReconcileReport report) {
        DefaultReconciler.Standing standing;
        try {
            standing = s.endAndReadBack(runKey, report);
        } catch (RuntimeException | Error e) {
            // whether a later execution's report stands is unknown: the run is not said to have completed. Its
            // FAILED report replaces its own COMPLETED one, if that was kept, and is refused where a later
            // execution's stands
            ErrorClassifier.rethrowIfFatal(e);
            return fail(NOT_CONFIRMED, e);
        }
        switch (standing.stand()) {
            case CLAIMED:
                throw takenOver("its report stands until that execution's replaces it");
            case REPLACED:
                throw takenOver("its report is not stored");
            case NOT_ENDED:
                return fail("compared every id, but could not end its checkpoint (the reconcile store): ",
                        standing.whyNotEnded());
            case NOT_SHOWN:
                // the read lags behind the write (it shows an earlier execution's report, or none): it may hide a
                // later execution's report as well as this one's, so nothing is known, as when it fails
                return fail(NOT_CONFIRMED, standing.whyNotShown());
            default:
                return null;
        }
    }

    /** @return what stops a run that a later execution took over, with what became of its report */
    private ReconcileTakenOverException takenOver(String report) {
        return new ReconcileTakenOverException("reconciliation " + state.runId + ": execution " + state.resumes
                + " completed after a later execution took the run over; " + report);
    }

    /** How a run that cannot tell whether its completed report was kept stops. */
    private static final String NOT_CONFIRMED = "compared every id, but could not read back whether its report was kept"
            + " (the reconcile store): ";

    /**
     * Stops the run with a FAILED report.
     *
     * @param where what failed, ending in ": " (a sink, the reconcile store), or empty
     * @param e     the failure
     */
    private ReconcileReport fail(String where, Throwable e) {
        String what = where + DefaultReconciler.describe(e);
        state.stopped(what);
        ReconcileReport report = state.report(RunStatus.FAILED, s.clock.instant(), elapsedMillis());
        if (!planOnly) {
            try {
                s.store.saveReport(report);
            } catch (RuntimeException | Error storeFailure) {
                ErrorClassifier.rethrowIfFatal(storeFailure); // a store's Error is its failure, as an exception is
                LOG.warn("could not store the report of failed reconciliation {}: {}", report.runId(),
                        storeFailure.toString());
            }
            LOG.error("reconciliation {} {} of {} {} stopped: {}{}", report.runId(), mode, type, scope, what,
                    mode == ReconcileMode.APPLY ? "; the next apply of the same scope resumes from its checkpoint" : "");
            finished(report);
        }
        throw new ReconcileException("reconciliation " + report.runId() + " of " + type + " " + scope + " stopped: "
                + what, report, e);
    }

    private void finished(ReconcileReport report) {
        Timer.builder(ReconcileMetrics.RUN).description("reconciliation runs")
                .tag(DualWriteMetrics.TAG_TYPE, type).tag(ReconcileMetrics.TAG_MODE, mode.name())
                .tag(ReconcileMetrics.TAG_STATUS, report.status().name())
                .register(s.meters).record(elapsedMillis(), TimeUnit.MILLISECONDS);
        if (report.status() == RunStatus.COMPLETED) {
            LOG.info("{}", report.summary());
        }
        for (ReconcileListener l : listeners()) {
            try {
                l.onFinished(report);
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e); // a listener's Error is its own failure, as an exception is
                LOG.warn("reconciliation listener failed on the end of run {}; ignored: {}", report.runId(),
                        e.toString());
            }
        }
    }

    private List<ReconcileListener> listeners() {
        return runListener == ReconcileListener.NONE ? List.of(s.listener) : List.of(s.listener, runListener);
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private long estimateTotal() {
        if (scope.kind() == ReconcileScope.Kind.IDS) {
            return (long) scope.ids().size() * sinks.size();
        }
        try {
            for (ReconcileReport r : s.store.reports(type, REPORTS_FOR_ESTIMATE)) {
                if (r.status() == RunStatus.COMPLETED && r.scope().equals(state.scope) && r.sinks().equals(sinks)) {
                    return r.idsCovered();
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("could not read earlier reports to estimate the run's size: {}", e.toString());
        }
        return -1;
    }

    // -------------------------------------------------------------- walking

    private void walk(SinkReader<T> reader, String after) throws Exception {
        if (scope.kind() == ReconcileScope.Kind.IDS) {
            walkIds(reader, after);
        } else {
            walkRange(reader, after);
        }
    }

    private void walkIds(SinkReader<T> reader, String after) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String id : scope.ids()) {
            if (after == null || id.compareTo(after) > 0) {
                ids.add(id);
            }
        }
        for (int from = 0; from < ids.size(); from += s.chunkSize) {
            List<String> part = ids.subList(from, Math.min(ids.size(), from + s.chunkSize));
            List<Snapshot<T>> present = new ArrayList<>();
            List<String> absent = new ArrayList<>();
            for (String id : part) {
                Optional<Snapshot<T>> snap = current(id);
                if (snap.isPresent()) {
                    present.add(snap.get());
                } else {
                    absent.add(id);
                }
            }
            Chunk<T> chunk = new Chunk<T>(this::holds);
            compare(reader, present, absent, true, chunk);
            chunk.endId = part.get(part.size() - 1);
            chunkDone(reader, chunk);
        }
    }

    private void walkRange(SinkReader<T> reader, String after) throws Exception {
        String upper = scope.toInclusive().orElse(null);
        SinkReader<T>.Cursor cursor = reader.digests() ? null : reader.cursor(after, upper, s.chunkSize);
        String lo = after;
        boolean primaryDone = false;
        while (true) {
            List<Snapshot<T>> page = primaryDone ? List.of() : s.primary.scan(lo, s.chunkSize);
            checkOrder(page, lo);
            boolean more = !primaryDone && page.size() == s.chunkSize;
            if (upper != null) {
                int keep = 0;
                while (keep < page.size() && page.get(keep).id().compareTo(upper) <= 0) {
                    keep++;
                }
                if (keep < page.size()) {
                    page = page.subList(0, keep);
                    more = false;
                }
            }
            primaryDone = !more;
            String hi = more ? page.get(page.size() - 1).id() : upper;
            Chunk<T> chunk = new Chunk<T>(this::holds);
            boolean done;
            String lastSeen = page.isEmpty() ? null : page.get(page.size() - 1).id();
            if (reader.digests()) {
                digestCompare(reader, lo, hi, page, Prefix.of(page, snap -> holds(reader.name, snap)), 0,
                        page.size(), null, chunk);
                done = !more;
                for (PlanEntry e : chunk.entries) {
                    lastSeen = lastSeen == null || e.id().compareTo(lastSeen) > 0 ? e.id() : lastSeen;
                }
            } else {
                // a page's sink ids are taken up to its last id, however many; past the primary's end,
                // the sink's remaining ids (orphans all) come a chunk at a time
                String bound = more || page.isEmpty() ? hi : lastSeen;
                int max = more || !page.isEmpty() ? Integer.MAX_VALUE : s.chunkSize;
                List<String> sinkIds = cursor.take(bound, max);
                compare(reader, page, sinkIds, false, chunk);
                done = !more && page.isEmpty() && sinkIds.size() < max;
                if (!sinkIds.isEmpty()) {
                    String last = sinkIds.get(sinkIds.size() - 1);
                    lastSeen = lastSeen == null || last.compareTo(lastSeen) > 0 ? last : lastSeen;
                }
            }
            chunk.endId = more ? hi : lastSeen;
            if (chunk.covered > 0 || more) {
                chunkDone(reader, chunk);
            }
            if (done) {
                return;
            }
            lo = chunk.endId;
        }
    }

    private void checkOrder(List<Snapshot<T>> page, String after) {
        String prev = after;
        for (Snapshot<T> snap : page) {
            if (prev != null && snap.id().compareTo(prev) <= 0) {
                throw new IllegalStateException("the primary scanned ids out of ascending order after '" + after
                        + "': '" + snap.id() + "' follows '" + prev + "'");
            }
            prev = snap.id();
        }
    }

    /** Compares {@code page[from, to)} in (lo, hi] by digests, descending into halves that differ. */
    private void digestCompare(SinkReader<T> reader, String lo, String hi, List<Snapshot<T>> page, Prefix prefix,
                               int from, int to, RangeDigest known, Chunk<T> chunk) throws Exception {
        RangeDigest sinkDigest = known != null ? known : reader.digest(lo, hi);
        if (prefix.digest(from, to).equals(sinkDigest)) {
            chunk.inSync(reader.name, page.subList(from, to));
            return;
        }
        if (to - from <= s.leafSize) {
            List<String> sinkIds = reader.cursor(lo, hi, Math.max(2 * s.leafSize, 16)).take(hi, Integer.MAX_VALUE);
            compare(reader, page.subList(from, to), sinkIds, false, chunk);
            return;
        }
        int mid = from + (to - from) / 2;
        String midId = page.get(mid - 1).id();
        RangeDigest left = reader.digest(lo, midId);
        // the digest of the right half is the whole minus the left half: one call per level, not two
        RangeDigest right = left.count() <= sinkDigest.count() ? sinkDigest.minus(left) : null;
        digestCompare(reader, lo, midId, page, prefix, from, mid, left, chunk);
        digestCompare(reader, midId, hi, page, prefix, mid, to, right, chunk);
    }

    /**
     * Compares the primary's snapshots and the other ids (listed by the sink, or by the scope)
     * with the versions the sink holds.
     */
    private void compare(SinkReader<T> reader, List<Snapshot<T>> snapshots, List<String> others,
                         boolean othersInScope, Chunk<T> chunk) throws Exception {
        Set<String> primaryIds = new HashSet<>();
        List<String> ask = new ArrayList<>(snapshots.size() + others.size());
        for (Snapshot<T> snap : snapshots) {
            primaryIds.add(snap.id());
            ask.add(snap.id());
        }
        List<String> extra = new ArrayList<>();
        for (String id : others) {
            if (!primaryIds.contains(id)) {
                extra.add(id);
                ask.add(id);
            }
        }
        Map<String, Long> versions = reader.versionsOf(ask);
        String sink = reader.name;
        List<PlanEntry> found = new ArrayList<>();
        for (Snapshot<T> read : snapshots) {
            Snapshot<T> snap = read;
            Long held = versions.get(snap.id());
            PlanEntry e = classify(sink, snap, held);
            if (e.drift() == DriftClass.AHEAD) {
                // a write committed (and delivered) since the primary was read is no phantom: a sink ahead of the
                // primary is judged by what the primary holds now
                Optional<Snapshot<T>> now;
                try {
                    now = current(snap.id());
                } catch (Exception | Error failure) {
                    // the primary cannot say now (a write holds the entity, the primary is unreachable): most often a
                    // write in progress, so no phantom is reported; the id is left to the next run, as AHEAD is
                    // never repaired anyway, and one busy entity does not fail the run
                    ErrorClassifier.rethrowIfFatal(failure);
                    String notJudged = sink + " " + snap.id() + ": held at version " + held + ", ahead of the"
                            + " primary's " + snap.version() + ", and the primary could not be read again to tell a"
                            + " write committed since from a phantom; not judged, the next run compares it: "
                            + DefaultReconciler.describe(failure);
                    LOG.warn("reconciliation {} of {}: {}", state.runId, type, notJudged);
                    state.error(notJudged);
                    continue;
                }
                if (now.isPresent() && now.get().version() != snap.version()) {
                    snap = now.get();
                    e = classify(sink, snap, held);
                }
            }
            if (e.drift() == DriftClass.IN_SYNC && holds(sink, snap)) {
                chunk.sameVersion.add(snap);
            }
            found.add(e);
        }
        for (String id : extra) {
            Long v = versions.get(id);
            if (v != null) {
                found.add(new PlanEntry(sink, id, DriftClass.ORPHAN, RepairAction.DELETE_ORPHAN, 0, v));
            } else if (othersInScope) {
                found.add(new PlanEntry(sink, id, DriftClass.IN_SYNC, RepairAction.NOTHING, 0, 0));
            }
            // an id the sink listed and no longer holds went away meanwhile: nothing to compare
        }
        found.sort(Comparator.comparing(PlanEntry::id));
        found.forEach(chunk::add);
    }

    private PlanEntry classify(String sink, Snapshot<T> snap, Long held) {
        long pv = snap.version();
        long sv = held == null ? 0 : held;
        WriterOperations.Reach reach = snap.deleted() ? WriterOperations.Reach.HOLDS : s.writer.operations().reach(sink, snap.id());
        if (reach == WriterOperations.Reach.IGNORES) {
            // outside the sink's ramp and wherever it was: not the sink's business, whatever it holds
            return new PlanEntry(sink, snap.id(), DriftClass.IN_SYNC, RepairAction.NOTHING, pv, sv);
        }
        if (reach == WriterOperations.Reach.REMOVES) {
            // it left the sink's lowered ramp: the sink must not hold it. An older version goes with a
            // delete at the primary's version; the primary's own version cannot be deleted without
            // barring the next write (one above), so the entity is committed again, and its next
            // version reaches the sink as a delete
            if (held == null) {
                return new PlanEntry(sink, snap.id(), DriftClass.IN_SYNC, RepairAction.NOTHING, pv, 0);
            }
            return sv < pv ? new PlanEntry(sink, snap.id(), DriftClass.ORPHAN, RepairAction.DELETE_ORPHAN, pv, sv)
                    : sv == pv ? new PlanEntry(sink, snap.id(), DriftClass.ORPHAN, canRewrite ? RepairAction.REWRITE : RepairAction.NOTHING, pv, sv)
                    : new PlanEntry(sink, snap.id(), DriftClass.AHEAD, RepairAction.NOTHING, pv, sv);
        }
        if (!snap.deleted()) {
            if (held == null) {
                return new PlanEntry(sink, snap.id(), DriftClass.MISSING, RepairAction.REPUBLISH, pv, 0);
            }
            if (sv == pv) {
                return new PlanEntry(sink, snap.id(), DriftClass.IN_SYNC, RepairAction.NOTHING, pv, sv);
            }
            return sv < pv ? new PlanEntry(sink, snap.id(), DriftClass.STALE, RepairAction.REPUBLISH, pv, sv)
                    : new PlanEntry(sink, snap.id(), DriftClass.AHEAD, RepairAction.NOTHING, pv, sv);
        }
        if (held == null) {
            return new PlanEntry(sink, snap.id(), DriftClass.IN_SYNC, RepairAction.NOTHING, pv, 0);
        }
        // a live entity under a tombstone: an orphan if older than the delete, a phantom otherwise
        return sv < pv ? new PlanEntry(sink, snap.id(), DriftClass.ORPHAN, RepairAction.DELETE_ORPHAN, pv, sv)
                : new PlanEntry(sink, snap.id(), DriftClass.AHEAD, RepairAction.NOTHING, pv, sv);
    }

    /**
     * Compares the content of the ids found in sync by version: what the sink holds against the
     * primary's current state mapped through the sink, one sink call for the whole chunk.
     */
    private void compareContent(SinkReader<T> reader, Chunk<T> chunk) throws Exception {
        if (!reader.comparesContent() || chunk.sameVersion.isEmpty()) {
            return;
        }
        List<Snapshot<T>> snapshots = new ArrayList<>(chunk.sameVersion);
        snapshots.sort(Comparator.comparing(Snapshot::id));
        List<String> ids = new ArrayList<>(snapshots.size());
        snapshots.forEach(snap -> ids.add(snap.id()));
        Map<String, ContentDigest> held = reader.contentDigestsOf(ids);
        List<PlanEntry> found = new ArrayList<>();
        for (Snapshot<T> snap : snapshots) {
            ContentDigest holds = held.get(snap.id());
            if (holds == null) {
                continue; // no longer held live: it changed since its version was read; the next run sees it
            }
            if (snap.readFailure().isPresent()) {
                // the primary cannot read its own state: there is nothing to compare with (its deliveries are
                // dead-lettered until the data or the codec is fixed)
                state.error(reader.name + " " + snap.id() + ": the primary cannot read it: "
                        + DefaultReconciler.describe(snap.readFailure().get()));
                continue;
            }
            chunk.contentCompared++;
            Change<T> change = s.writer.operations().changeFor(reader.name, snap);
            ContentDigest expected;
            try {
                expected = reader.expectedContentDigest(change);
            } catch (Exception | Error e) {
                // the entity's own mapping fails (an Error too, as on the delivery road): a delivery of it would be
                // dead-lettered, a rewrite too
                ErrorClassifier.rethrowIfFatal(e);
                state.error(reader.name + " " + snap.id() + ": the content it should hold cannot be computed: "
                        + DefaultReconciler.describe(e));
                continue;
            }
            if (!expected.equals(holds)) {
                found.add(new PlanEntry(reader.name, snap.id(), DriftClass.CONTENT_MISMATCH,
                        canRewrite ? RepairAction.REWRITE : RepairAction.NOTHING, snap.version(), snap.version()));
            }
        }
        chunk.contentMismatches(found);
    }

    // -------------------------------------------------------------- after each chunk

    private void chunkDone(SinkReader<T> reader, Chunk<T> chunk) throws Exception {
        compareContent(reader, chunk);
        String sink = reader.name;
        for (PlanEntry e : chunk.entries) {
            if (e.drift() == DriftClass.AHEAD) {
                LOG.error("sink '{}' holds {}/{} at version {}, ahead of the primary's {}: a write the primary never"
                        + " committed (phantom); not repaired, investigate", sink, type, e.id(), e.sinkVersion(),
                        e.primaryVersion());
                if (!planOnly) {
                    counter(ReconcileMetrics.PHANTOMS, sink).increment();
                }
            } else if ((e.drift() == DriftClass.CONTENT_MISMATCH || e.drift() == DriftClass.ORPHAN)
                    && e.action() == RepairAction.NOTHING && reportOnlyExplained.add(sink + "/" + e.drift())) {
                String what = e.drift() == DriftClass.ORPHAN
                        ? "entities that left its lowered ramp, held at the primary's version, are reported, not"
                        + " removed" : "content mismatches are reported, not repaired";
                String why = "sink '" + sink + "': " + what + ": the " + type
                        + " primary store cannot commit a write of its own (write-ahead mode, its writes are the"
                        + " application's), and the sink refuses the version it holds; save those entities again"
                        + " through the application";
                LOG.warn("reconciliation {}: {}", state.runId, why);
                state.error(why);
            }
        }
        if (mode == ReconcileMode.APPLY) {
            repairs.repair(reader, chunk.entries);
        }
        state.chunks++;
        state.idsCovered += chunk.covered;
        state.idsCompared += chunk.compared;
        state.contentCompared += chunk.contentCompared;
        state.sinkCalls += reader.calls;
        state.digestCalls += reader.digestCalls;
        reader.calls = 0;
        reader.digestCalls = 0;
        chunk.counts.forEach((d, n) -> state.count(sink, d, n));
        chunk.entries.forEach(state::sample);
        if (planOnly) {
            planEntries.addAll(chunk.entries);
        } else {
            chunk.counts.forEach((d, n) -> {
                if (d != DriftClass.IN_SYNC) {
                    Counter.builder(ReconcileMetrics.DRIFT).description("ids found out of sync")
                            .tag(DualWriteMetrics.TAG_TYPE, type).tag(DualWriteMetrics.TAG_SINK, sink)
                            .tag(ReconcileMetrics.TAG_CLASS, d.name()).tag(ReconcileMetrics.TAG_MODE, mode.name())
                            .register(s.meters).increment(n);
                }
            });
            counter(ReconcileMetrics.IDS_COVERED, sink).increment(chunk.covered);
            if (reader.comparesContent()) {
                counter(ReconcileMetrics.CONTENT_COMPARED, sink).increment(chunk.contentCompared);
            }
        }
        long nanos = System.nanoTime() - startNanos;
        long idsNow = state.idsCovered - idsAtStart;
        double rate = nanos <= 0 ? 0 : idsNow * 1e9 / nanos;
        ReconcileProgress progress = new ReconcileProgress(state.runId, sink, state.chunks, state.idsCovered,
                Duration.ofNanos(nanos), rate, estimatedTotal);
        for (ReconcileListener l : listeners()) {
            try {
                l.onProgress(progress);
            } catch (ReconcileCancelledException e) {
                throw e;
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e); // a listener's Error is its own failure, as an exception is
                LOG.warn("reconciliation listener failed on progress of run {}; ignored: {}", state.runId,
                        e.toString());
            }
        }
        // after the listeners: one that cancels the run (its holder lost the request to another instance, which may
        // have finished the run and removed its checkpoint) stops it before it leaves a checkpoint a later run of the
        // same scope would resume from. After a crash in between, the resumed run does the chunk again and reports
        // it as it then finds it (its repairs already made), as after a crash between the repairs and the checkpoint.
        if (mode == ReconcileMode.APPLY) {
            try {
                s.store.saveCheckpoint(new ReconcileCheckpoint(runKey, sink, chunk.endId,
                        state.report(RunStatus.RUNNING, null, elapsedMillis()), s.clock.instant()));
            } catch (RuntimeException | Error e) {
                ErrorClassifier.rethrowIfFatal(e);
                throw new CheckpointNotStored(chunk.endId, e);
            }
        }
    }

    Counter counter(String name, String sink) {
        return Counter.builder(name).tag(DualWriteMetrics.TAG_TYPE, type).tag(DualWriteMetrics.TAG_SINK, sink)
                .register(s.meters);
    }

    /** @return the primary's snapshot of the id; an unreadable one (its version, no state) when it cannot be read */
    Optional<Snapshot<T>> current(String id) {
        try {
            return s.primary.read(id);
        } catch (UnreadableEntityException e) {
            return Optional.of(e.snapshot());
        }
    }

    /** The reconcile store's failure to keep a chunk's checkpoint: the run stops on it, naming the store, not a sink. */
    private static final class CheckpointNotStored extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String lastId;

        CheckpointNotStored(String lastId, Throwable cause) {
            super(cause);
            this.lastId = lastId;
        }
    }
}
