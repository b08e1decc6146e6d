package io.dualwrite.reconcile.internal;

import io.dualwrite.Change;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.WriterOperations;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteResult;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileListener;
import io.dualwrite.reconcile.ReconcileMetrics;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcilePlan;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairAction;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.RangeDigest;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.spi.UnreadableEntityException;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reconciler behind {@link Reconciler}. Thread-safe: runs are serialised by a lock; each run
 * keeps its state on its own thread.
 *
 * @param <T> the entity type
 */
public final class DefaultReconciler<T> implements Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultReconciler.class);
    /** Reports looked at to estimate a run's size from an earlier one. */
    private static final int REPORTS_FOR_ESTIMATE = 20;

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
    }

    private final Settings<T> s;
    private final String type;
    /** Whether the coordinator can commit a rewrite: not over a write-ahead store, whose writes are the application's. */
    private final boolean canRewrite;
    private final ReentrantLock runLock = new ReentrantLock();

    /** @param settings the settings */
    public DefaultReconciler(Settings<T> settings) {
        this.s = settings;
        this.type = settings.writer.entityType();
        this.canRewrite = settings.primary.supportsCompensation();
    }

    @Override
    public ReconcilePlan plan(ReconcileScope scope) {
        Run run = new Run(ReconcileMode.DRY_RUN, scope, true);
        run.execute();
        return new ReconcilePlan(type, scope.toString(), run.sinks, run.state.counts, run.planEntries);
    }

    @Override
    public ReconcileReport dryRun(ReconcileScope scope) {
        Run run = new Run(ReconcileMode.DRY_RUN, scope, false);
        ReconcileReport report = run.execute();
        for (PlanEntry e : report.samples()) {
            LOG.info("reconciliation {} plan sample: {}", report.runId(), e.toText());
        }
        return report;
    }

    @Override
    public ReconcileReport apply(ReconcileScope scope) {
        return new Run(ReconcileMode.APPLY, scope, false).execute();
    }

    @Override
    public List<ReconcileReport> history(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        return s.store.reports(type, limit);
    }

    @Override
    public Optional<ReconcileReport> unfinished(ReconcileScope scope) {
        Objects.requireNonNull(scope, "scope");
        List<String> sinks = resolveSinks(scope);
        return s.store.checkpoint(runKey(ReconcileMode.APPLY, scope, sinks)).map(ReconcileCheckpoint::report);
    }

    @Override
    public Optional<ReconcileReport> abandon(ReconcileScope scope) {
        Objects.requireNonNull(scope, "scope");
        String key = runKey(ReconcileMode.APPLY, scope, resolveSinks(scope));
        runLock.lock();
        try {
            Optional<ReconcileCheckpoint> cp = s.store.checkpoint(key);
            if (cp.isEmpty()) {
                return Optional.empty();
            }
            ReconcileReport r = cp.get().report();
            List<String> errors = new ArrayList<>(r.errors());
            errors.add("abandoned at sink '" + cp.get().sink() + "' after id '" + cp.get().lastId()
                    + "'; the next run starts from the beginning");
            ReconcileReport report = new ReconcileReport(r.runId(), r.entityType(), r.mode(), r.scope(), r.sinks(),
                    RunStatus.FAILED, r.startedAt(), s.clock.instant(), r.durationMillis(), r.resumes(), r.chunks(),
                    r.idsCovered(), r.idsCompared(), r.contentCompared(), r.sinkCalls(), r.digestCalls(), r.counts(),
                    r.actions(), errors, r.samples());
            s.store.saveReport(report);
            s.store.clearCheckpoint(key);
            LOG.warn("reconciliation {} of {} {} abandoned at sink '{}' after id '{}'", report.runId(), type, scope,
                    cp.get().sink(), cp.get().lastId());
            return Optional.of(report);
        } finally {
            runLock.unlock();
        }
    }

    private List<String> resolveSinks(ReconcileScope scope) {
        List<String> out = new ArrayList<>();
        if (scope.sinks().isEmpty()) {
            out.addAll(s.sinks.keySet());
            out.sort(Comparator.naturalOrder());
            return out;
        }
        for (String name : scope.sinks()) {
            if (!s.sinks.containsKey(name)) {
                throw new IllegalArgumentException("the scope names sink '" + name + "', which this reconciler of "
                        + type + " does not have (it has " + new java.util.TreeSet<>(s.sinks.keySet()) + ")");
            }
            out.add(name);
        }
        return out;
    }

    private String runKey(ReconcileMode mode, ReconcileScope scope, List<String> sinks) {
        return type + "|" + mode + "|" + scope.key() + "|" + String.join(",", sinks);
    }

    /** @return whether the sink is to hold the snapshot: alive, and within the sink's ramp */
    private boolean holds(String sink, Snapshot<T> snap) {
        return !snap.deleted() && s.writer.operations().reach(sink, snap.id()) == WriterOperations.Reach.HOLDS;
    }

    /** One comparison of one chunk of one sink. */
    private final class Chunk {
        final List<PlanEntry> entries = new ArrayList<>();
        final EnumMap<DriftClass, Long> counts = new EnumMap<>(DriftClass.class);
        /** The live entities the sink holds at the primary's version: those whose content may still differ. */
        final List<Snapshot<T>> sameVersion = new ArrayList<>();
        long covered;
        long compared;
        long contentCompared;
        String endId;

        /** A range found equal through digests: every snapshot in it is in sync by version. */
        void inSync(String sink, List<Snapshot<T>> snapshots) {
            counts.merge(DriftClass.IN_SYNC, (long) snapshots.size(), Long::sum);
            covered += snapshots.size();
            for (Snapshot<T> snap : snapshots) {
                if (holds(sink, snap)) {
                    sameVersion.add(snap);
                }
            }
        }

        void add(PlanEntry e) {
            counts.merge(e.drift(), 1L, Long::sum);
            covered++;
            compared++;
            if (e.drift() == DriftClass.IN_SYNC) {
                return;
            }
            entries.add(e);
        }

        /** Ids in sync by version whose content differs: moved from IN_SYNC, merged in id order. */
        void contentMismatches(List<PlanEntry> found) {
            if (found.isEmpty()) {
                return;
            }
            counts.merge(DriftClass.IN_SYNC, (long) -found.size(), Long::sum);
            counts.merge(DriftClass.CONTENT_MISMATCH, (long) found.size(), Long::sum);
            entries.addAll(found);
            entries.sort(Comparator.comparing(PlanEntry::id));
        }
    }

    /** One run: its scope, its state, its walk. Used on one thread. */
    private final class Run {
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

        Run(ReconcileMode mode, ReconcileScope scope, boolean planOnly) {
            this.mode = mode;
            this.scope = Objects.requireNonNull(scope, "scope");
            this.planOnly = planOnly;
            this.sinks = resolveSinks(scope);
            this.runKey = runKey(mode, scope, sinks);
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
            Optional<ReconcileCheckpoint> cp = mode == ReconcileMode.APPLY ? s.store.checkpoint(runKey) : Optional.empty();
            if (cp.isPresent() && sinks.contains(cp.get().sink())) {
                state = RunState.resume(cp.get().report(), s.sampleSize);
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
            } catch (Exception | LinkageError e) {
                return fail(current, e);
            }
            ReconcileReport report = state.report(RunStatus.COMPLETED, s.clock.instant(), elapsedMillis());
            if (!planOnly) {
                try {
                    s.store.saveReport(report);
                    if (mode == ReconcileMode.APPLY) {
                        s.store.clearCheckpoint(runKey);
                    }
                } catch (RuntimeException e) {
                    return fail(current, e);
                }
                finished(report);
            }
            return report;
        }

        private ReconcileReport fail(String sink, Throwable e) {
            String what = (sink == null ? "" : "sink '" + sink + "': ") + describe(e);
            state.error(what);
            ReconcileReport report = state.report(RunStatus.FAILED, s.clock.instant(), elapsedMillis());
            if (!planOnly) {
                try {
                    s.store.saveReport(report);
                } catch (RuntimeException storeFailure) {
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
            try {
                s.listener.onFinished(report);
            } catch (RuntimeException e) {
                LOG.warn("reconciliation listener failed on the end of run {}; ignored: {}", report.runId(), e.toString());
            }
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
                Chunk chunk = new Chunk();
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
                Chunk chunk = new Chunk();
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
                                   int from, int to, RangeDigest known, Chunk chunk) throws Exception {
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
                             boolean othersInScope, Chunk chunk) throws Exception {
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
            for (Snapshot<T> snap : snapshots) {
                PlanEntry e = classify(sink, snap, versions.get(snap.id()));
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
        private void compareContent(SinkReader<T> reader, Chunk chunk) throws Exception {
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
                            + describe(snap.readFailure().get()));
                    continue;
                }
                chunk.contentCompared++;
                Change<T> change = s.writer.operations().changeFor(reader.name, snap);
                ContentDigest expected;
                try {
                    expected = reader.expectedContentDigest(change);
                } catch (Exception e) {
                    // the entity's own mapping fails: a delivery of it would be dead-lettered, a rewrite too
                    state.error(reader.name + " " + snap.id() + ": the content it should hold cannot be computed: "
                            + describe(e));
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

        private void chunkDone(SinkReader<T> reader, Chunk chunk) throws Exception {
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
                repair(reader, chunk.entries);
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
            if (mode == ReconcileMode.APPLY) {
                s.store.saveCheckpoint(new ReconcileCheckpoint(runKey, sink, chunk.endId,
                        state.report(RunStatus.RUNNING, null, elapsedMillis()), s.clock.instant()));
            }
            long nanos = System.nanoTime() - startNanos;
            long idsNow = state.idsCovered - idsAtStart;
            double rate = nanos <= 0 ? 0 : idsNow * 1e9 / nanos;
            try {
                s.listener.onProgress(new ReconcileProgress(state.runId, sink, state.chunks, state.idsCovered,
                        Duration.ofNanos(nanos), rate, estimatedTotal));
            } catch (RuntimeException e) {
                LOG.warn("reconciliation listener failed on progress of run {}; ignored: {}", state.runId, e.toString());
            }
        }

        private Counter counter(String name, String sink) {
            return Counter.builder(name).tag(DualWriteMetrics.TAG_TYPE, type).tag(DualWriteMetrics.TAG_SINK, sink)
                    .register(s.meters);
        }

        /** @return the primary's snapshot of the id; an unreadable one (its version, no state) when it cannot be read */
        private Optional<Snapshot<T>> current(String id) {
            try {
                return s.primary.read(id);
            } catch (UnreadableEntityException e) {
                return Optional.of(e.snapshot());
            }
        }

        // -------------------------------------------------------------- repairing

        private void repair(SinkReader<T> reader, List<PlanEntry> entries) throws Exception {
            String sink = reader.name;
            List<PlanEntry> republish = new ArrayList<>();
            List<PlanEntry> orphans = new ArrayList<>();
            List<PlanEntry> rewrites = new ArrayList<>();
            for (PlanEntry e : entries) {
                if (e.action() == RepairAction.NOTHING) {
                    continue;
                }
                // the primary may have moved on since the comparison: a newer write delivers itself
                Optional<Snapshot<T>> now = current(e.id());
                boolean unchanged = e.action() == RepairAction.DELETE_ORPHAN
                        ? now.isEmpty() || now.get().deleted() || now.get().version() == e.primaryVersion()
                                && s.writer.operations().reach(sink, e.id()) == WriterOperations.Reach.REMOVES
                        : now.isPresent() && !now.get().deleted() && now.get().version() == e.primaryVersion();
                if (!unchanged) {
                    LOG.info("reconciliation {}: {}/{} changed in the primary since it was compared (now {}); not {}",
                            state.runId, type, e.id(), now.map(x -> "version " + x.version()).orElse("absent"),
                            e.action());
                    outcome(sink, e, RepairOutcome.SUPERSEDED);
                    continue;
                }
                (e.action() == RepairAction.REPUBLISH ? republish
                        : e.action() == RepairAction.DELETE_ORPHAN ? orphans : rewrites).add(e);
            }
            int batch = Math.max(1, s.limiter.getRateLimiterConfig().getLimitForPeriod());
            for (int from = 0; from < republish.size(); from += batch) {
                List<PlanEntry> part = republish.subList(from, Math.min(republish.size(), from + batch));
                acquire(part.size());
                List<String> ids = new ArrayList<>(part.size());
                part.forEach(e -> ids.add(e.id()));
                Map<String, SinkOutcome> outcomes = s.writer.operations().redeliver(sink, ids);
                Map<String, RepairOutcome> rewritten = missingStillMissing(reader, part, outcomes);
                for (PlanEntry e : part) {
                    RepairOutcome r = rewritten.get(e.id());
                    outcome(sink, e, r != null ? r : outcomeOf(sink, e, outcomes.get(e.id()), RepairOutcome.REPUBLISHED));
                }
            }
            for (int from = 0; from < orphans.size(); from += batch) {
                List<PlanEntry> part = orphans.subList(from, Math.min(orphans.size(), from + batch));
                acquire(part.size());
                Map<String, Long> held = new LinkedHashMap<>();
                part.forEach(e -> held.put(e.id(), e.sinkVersion()));
                record(sink, part, s.writer.operations().removeOrphans(sink, held), RepairOutcome.ORPHAN_DELETED);
            }
            for (int from = 0; from < rewrites.size(); from += batch) {
                List<PlanEntry> part = rewrites.subList(from, Math.min(rewrites.size(), from + batch));
                acquire(part.size());
                for (PlanEntry e : part) {
                    outcome(sink, e, rewrite(sink, e));
                }
            }
        }

        /**
         * A missing entity republished at the primary's version that the sink still does not hold:
         * it keeps a delete at that version (the entity had left a lowered ramp, and the ramp was
         * raised again) and refuses the same version. Those are rewritten instead: their next
         * version beats the delete. One sink read per batch, only when it holds missing entities,
         * and one more after such rewrites: an entity the sink refuses even then holds a delete newer
         * than anything the primary committed (a phantom delete), reported like a phantom write.
         *
         * @return the outcome of each of those
         */
        private Map<String, RepairOutcome> missingStillMissing(SinkReader<T> reader, List<PlanEntry> part,
                                                               Map<String, SinkOutcome> outcomes) throws Exception {
            Map<String, RepairOutcome> out = new LinkedHashMap<>();
            List<String> applied = new ArrayList<>();
            for (PlanEntry e : part) {
                if (e.drift() == DriftClass.MISSING && outcomes.get(e.id()) == SinkOutcome.APPLIED) {
                    applied.add(e.id());
                }
            }
            if (applied.isEmpty()) {
                return out;
            }
            Map<String, Long> held = reader.versionsOf(applied);
            for (PlanEntry e : part) {
                if (applied.contains(e.id()) && !held.containsKey(e.id())) {
                    LOG.info("reconciliation {}: sink '{}' refused {}/{} at version {}, which it holds as a delete;"
                            + " committing it again", state.runId, reader.name, type, e.id(), e.primaryVersion());
                    if (!canRewrite) {
                        state.error(reader.name + " " + e.id() + ": the sink keeps a delete at the primary's version "
                                + e.primaryVersion() + " and refuses it again; the " + type + " primary store cannot"
                                + " commit a write of its own (write-ahead mode): save it again through the application");
                        out.put(e.id(), RepairOutcome.SKIPPED);
                    } else {
                        out.put(e.id(), rewrite(reader.name, e));
                    }
                }
            }
            List<String> rewritten = new ArrayList<>();
            out.forEach((id, r) -> {
                if (r == RepairOutcome.REWRITTEN) {
                    rewritten.add(id);
                }
            });
            if (!rewritten.isEmpty()) {
                Map<String, Long> now = reader.versionsOf(rewritten);
                for (String id : rewritten) {
                    if (!now.containsKey(id)) {
                        LOG.error("sink '{}' refuses {}/{} even at a new version: it holds a delete newer than any"
                                + " version the primary committed (phantom delete); not repaired, investigate",
                                reader.name, type, id);
                        if (!planOnly) {
                            counter(ReconcileMetrics.PHANTOMS, reader.name).increment();
                        }
                        state.error(reader.name + " " + id + ": the sink holds a delete newer than the primary's"
                                + " version (a phantom delete); not repaired");
                        out.put(id, RepairOutcome.SKIPPED);
                    }
                }
            }
            return out;
        }

        /**
         * Commits the primary's state again as a new version (the sink refuses the version it holds),
         * delivered like any write; where the write path does not reach this sink now (an ASYNC sink,
         * a transient failure), sends it the new version through its channel, as a republish would.
         */
        private RepairOutcome rewrite(String sink, PlanEntry e) {
            WriteResult written;
            try {
                written = s.writer.operations().rewrite(e.id(), e.primaryVersion());
            } catch (VersionConflictException conflict) {
                LOG.info("reconciliation {}: {}/{} changed in the primary while it was rewritten (now version {});"
                        + " the newer write delivers itself", state.runId, type, e.id(), conflict.actualVersion());
                return RepairOutcome.SUPERSEDED;
            } catch (RequiredSinkFailedException failed) {
                state.error(sink + " " + e.id() + ": REWRITE failed at required sink '" + failed.sink()
                        + "' and was compensated; the next run retries it");
                return RepairOutcome.DEFERRED;
            } catch (UnsupportedOperationException unsupported) {
                state.error(sink + " " + e.id() + ": REWRITE not possible: " + unsupported.getMessage());
                return RepairOutcome.SKIPPED;
            }
            SinkOutcome o = written.outcome(sink).orElse(SinkOutcome.SKIPPED);
            if (o == SinkOutcome.DEFERRED) {
                o = s.writer.operations().redeliver(sink, List.of(e.id())).getOrDefault(e.id(), SinkOutcome.DEFERRED);
            }
            return outcomeOf(sink, e, o, RepairOutcome.REWRITTEN);
        }

        private void acquire(int permits) {
            while (!s.limiter.acquirePermission(permits)) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new IllegalStateException("interrupted while waiting for repair permits");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        private void record(String sink, List<PlanEntry> part, Map<String, SinkOutcome> outcomes, RepairOutcome ok) {
            for (PlanEntry e : part) {
                outcome(sink, e, outcomeOf(sink, e, outcomes.get(e.id()), ok));
            }
        }

        private RepairOutcome outcomeOf(String sink, PlanEntry e, SinkOutcome o, RepairOutcome ok) {
            if (o == SinkOutcome.APPLIED) {
                return ok;
            }
            if (o == SinkOutcome.DEAD_LETTERED) {
                state.error(sink + " " + e.id() + ": " + e.action() + " failed permanently; dead-lettered");
                return RepairOutcome.DEAD_LETTERED;
            }
            if (o == SinkOutcome.SKIPPED) {
                return RepairOutcome.SKIPPED;
            }
            state.error(sink + " " + e.id() + ": " + e.action() + " failed; the next run retries it");
            return RepairOutcome.DEFERRED;
        }

        private void outcome(String sink, PlanEntry e, RepairOutcome r) {
            state.action(sink, r);
            boolean repaired = r == RepairOutcome.REPUBLISHED || r == RepairOutcome.ORPHAN_DELETED
                    || r == RepairOutcome.REWRITTEN;
            Counter.builder(repaired ? ReconcileMetrics.REPAIRED : ReconcileMetrics.NOT_REPAIRED)
                    .tag(DualWriteMetrics.TAG_TYPE, type).tag(DualWriteMetrics.TAG_SINK, sink)
                    .tag(ReconcileMetrics.TAG_OUTCOME, r.name()).register(s.meters).increment();
        }
    }

    /** Prefix sums of the live entries' pair hashes of one primary page, for digests of any sub-range. */
    private static final class Prefix {
        final long[] counts;
        final long[] hashes;

        private Prefix(int n) {
            counts = new long[n + 1];
            hashes = new long[n + 1];
        }

        /**
         * @param page the page
         * @param live whether the sink is to hold a snapshot of it (alive, and within its ramp)
         */
        static <T> Prefix of(List<Snapshot<T>> page, java.util.function.Predicate<Snapshot<T>> live) {
            Prefix p = new Prefix(page.size());
            for (int i = 0; i < page.size(); i++) {
                Snapshot<T> snap = page.get(i);
                boolean held = live.test(snap);
                p.counts[i + 1] = p.counts[i] + (held ? 1 : 0);
                p.hashes[i + 1] = p.hashes[i] + (held ? RangeDigest.hashOf(snap.id(), snap.version()) : 0);
            }
            return p;
        }

        RangeDigest digest(int from, int to) {
            return new RangeDigest(counts[to] - counts[from], hashes[to] - hashes[from]);
        }
    }

    static String describe(Throwable t) {
        String msg = t.getMessage();
        String d = t.getClass().getName() + (msg == null ? "" : ": " + msg);
        return d.length() > 500 ? d.substring(0, 500) + "…" : d;
    }
}
