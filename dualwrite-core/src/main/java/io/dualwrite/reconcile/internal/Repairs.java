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

import io.dualwrite.DualWriteMetrics;
import io.dualwrite.WriterOperations;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteResult;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.reconcile.ReconcileMetrics;
import io.dualwrite.reconcile.RepairAction;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What a run does with what it found: republishes, orphan removals and rewrites, each through the writer's delivery
 * pipeline, within the repair rate, each checked against the primary as it is now. Used on the run's thread.
 *
 * @param <T> the entity type
 */
final class Repairs<T> {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultReconciler.class);
    private final ReconcileRun<T> run;
    private final DefaultReconciler.Settings<T> s;
    private final String type;
    private final boolean canRewrite;

    Repairs(ReconcileRun<T> run) {
        this.run = run;
        this.s = run.s;
        this.type = run.type;
        this.canRewrite = run.canRewrite;
    }

    void repair(SinkReader<T> reader, List<PlanEntry> entries) throws Exception {
        String sink = reader.name;
        List<PlanEntry> republish = new ArrayList<>();
        List<PlanEntry> orphans = new ArrayList<>();
        List<PlanEntry> rewrites = new ArrayList<>();
        for (PlanEntry e : entries) {
            if (e.action() == RepairAction.NOTHING) {
                continue;
            }
            // the primary may have moved on since the comparison: a newer write delivers itself
            Optional<Snapshot<T>> now = run.current(e.id());
            boolean unchanged = e.action() == RepairAction.DELETE_ORPHAN
                    ? now.isEmpty() || now.get().deleted() || now.get().version() == e.primaryVersion()
                            && s.writer.operations().reach(sink, e.id()) == WriterOperations.Reach.REMOVES
                    : now.isPresent() && !now.get().deleted() && now.get().version() == e.primaryVersion();
            if (!unchanged) {
                LOG.info("reconciliation {}: {}/{} changed in the primary since it was compared (now {}); not {}",
                        run.state.runId, type, e.id(), now.map(x -> "version " + x.version()).orElse("absent"),
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
                        + " committing it again", run.state.runId, reader.name, type, e.id(), e.primaryVersion());
                if (!canRewrite) {
                    run.state.error(reader.name + " " + e.id() + ": the sink keeps a delete at the primary's version "
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
                    if (!run.planOnly) {
                        run.counter(ReconcileMetrics.PHANTOMS, reader.name).increment();
                    }
                    run.state.error(reader.name + " " + id + ": the sink holds a delete newer than the primary's"
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
                    + " the newer write delivers itself", run.state.runId, type, e.id(), conflict.actualVersion());
            return RepairOutcome.SUPERSEDED;
        } catch (RequiredSinkFailedException failed) {
            run.state.error(sink + " " + e.id() + ": REWRITE failed at required sink '" + failed.sink()
                    + "' and was compensated; the next run retries it");
            return RepairOutcome.DEFERRED;
        } catch (UnsupportedOperationException unsupported) {
            run.state.error(sink + " " + e.id() + ": REWRITE not possible: " + unsupported.getMessage());
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
            run.state.error(sink + " " + e.id() + ": " + e.action() + " failed permanently; dead-lettered");
            return RepairOutcome.DEAD_LETTERED;
        }
        if (o == SinkOutcome.SKIPPED) {
            return RepairOutcome.SKIPPED;
        }
        run.state.error(sink + " " + e.id() + ": " + e.action() + " failed; the next run retries it");
        return RepairOutcome.DEFERRED;
    }

    private void outcome(String sink, PlanEntry e, RepairOutcome r) {
        run.state.action(sink, r);
        boolean repaired = r == RepairOutcome.REPUBLISHED || r == RepairOutcome.ORPHAN_DELETED
                || r == RepairOutcome.REWRITTEN;
        Counter.builder(repaired ? ReconcileMetrics.REPAIRED : ReconcileMetrics.NOT_REPAIRED)
                .tag(DualWriteMetrics.TAG_TYPE, type).tag(DualWriteMetrics.TAG_SINK, sink)
                .tag(ReconcileMetrics.TAG_OUTCOME, r.name()).register(s.meters).increment();
    }
}
