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
package io.dualwrite.memory;

import io.dualwrite.internal.Args;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference {@link ReconcileStore}, in memory: checkpoints by run key and every report,
 * for tests, examples and single-process tools; it keeps nothing across a restart.
 * Thread-safe.
 */
public final class InMemoryReconcileStore implements ReconcileStore {
    /** Per run key: the live checkpoint, or the run whose checkpoint ended there last. */
    private final ConcurrentHashMap<String, Slot> checkpoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Stored> reports = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    /** A live checkpoint ({@code live} set) or the end of one ({@code endedRun} set). */
    private record Slot(ReconcileCheckpoint live, String endedRun) {
    }

    @Override
    public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
        Objects.requireNonNull(runKey, "runKey");
        Slot slot = checkpoints.get(runKey);
        return slot == null ? Optional.empty() : Optional.ofNullable(slot.live);
    }

    @Override
    public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        String runId = checkpoint.report().runId();
        checkpoints.compute(checkpoint.runKey(), (key, there) -> {
            if (there == null) {
                return new Slot(checkpoint, null);
            }
            if (there.live == null) {
                // an ended checkpoint: its run's late write is refused, another run's takes its place
                return runId.equals(there.endedRun) ? there : new Slot(checkpoint, null);
            }
            boolean sameRun = there.live.report().runId().equals(runId);
            return sameRun && there.live.report().resumes() <= checkpoint.report().resumes()
                    ? new Slot(checkpoint, null) : there;
        });
    }

    @Override
    public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        int[] claimed = {-1};
        checkpoints.computeIfPresent(checkpoint.runKey(), (key, there) -> {
            if (there.live == null || !there.live.report().runId().equals(checkpoint.report().runId())) {
                return there;
            }
            claimed[0] = Math.max(there.live.report().resumes(), checkpoint.report().resumes()) + 1;
            // the checkpoint there now belongs to the claiming execution: an earlier one's writes are refused
            return new Slot(new ReconcileCheckpoint(there.live.runKey(), there.live.sink(), there.live.lastId(),
                    there.live.report().asExecution(claimed[0]), there.live.updatedAt()), null);
        });
        return claimed[0] < 0 ? OptionalInt.empty() : OptionalInt.of(claimed[0]);
    }

    @Override
    public void endCheckpoint(String runKey, String runId, int resumes) {
        Objects.requireNonNull(runKey, "runKey");
        Objects.requireNonNull(runId, "runId");
        checkpoints.compute(runKey, (key, there) -> {
            if (there == null) {
                return new Slot(null, runId);
            }
            if (there.live == null) {
                return there; // ended already (this run's, or another's end marker stays)
            }
            boolean own = there.live.report().runId().equals(runId) && there.live.report().resumes() <= resumes;
            return own ? new Slot(null, runId) : there; // another run's, or a later execution's: not this one's
        });
    }

    @Override
    public void clearCheckpoint(String runKey) {
        Objects.requireNonNull(runKey, "runKey");
        checkpoints.remove(runKey);
    }

    @Override
    public void saveReport(ReconcileReport report) {
        Objects.requireNonNull(report, "report");
        reports.compute(report.runId(), (runId, stored) -> stored != null && stored.report.resumes() > report.resumes()
                ? stored : new Stored(sequence.incrementAndGet(), report));
    }

    @Override
    public List<ReconcileReport> reports(String entityType, int limit) {
        Objects.requireNonNull(entityType, "entityType");
        Args.atLeast(limit, 1, "limit");
        List<Stored> matching = new ArrayList<>();
        for (Stored s : reports.values()) {
            if (s.report.entityType().equals(entityType)) {
                matching.add(s);
            }
        }
        matching.sort(Comparator.comparing((Stored s) -> s.report.startedAt()).thenComparingLong(s -> s.seq).reversed());
        List<ReconcileReport> out = new ArrayList<>();
        for (int i = 0; i < matching.size() && i < limit; i++) {
            out.add(matching.get(i).report);
        }
        return List.copyOf(out);
    }

    @Override
    public Optional<ReconcileReport> report(String entityType, String runId) {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(runId, "runId");
        return Optional.ofNullable(reports.get(runId)).map(Stored::report)
                .filter(r -> r.entityType().equals(entityType));
    }

    private record Stored(long seq, ReconcileReport report) {
    }
}
