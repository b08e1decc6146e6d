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
    private final ConcurrentHashMap<String, ReconcileCheckpoint> checkpoints = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Stored> reports = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    @Override
    public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
        Objects.requireNonNull(runKey, "runKey");
        return Optional.ofNullable(checkpoints.get(runKey));
    }

    @Override
    public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        checkpoints.compute(checkpoint.runKey(), (key, there) -> there != null
                && there.report().runId().equals(checkpoint.report().runId())
                && there.report().resumes() > checkpoint.report().resumes() ? there : checkpoint);
    }

    @Override
    public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        int[] claimed = {-1};
        checkpoints.computeIfPresent(checkpoint.runKey(), (key, there) -> {
            if (!there.report().runId().equals(checkpoint.report().runId())) {
                return there;
            }
            claimed[0] = Math.max(there.report().resumes(), checkpoint.report().resumes()) + 1;
            // the checkpoint there now belongs to the claiming execution: an earlier one's writes are refused
            return new ReconcileCheckpoint(there.runKey(), there.sink(), there.lastId(),
                    ofExecution(there.report(), claimed[0]), there.updatedAt());
        });
        return claimed[0] < 0 ? OptionalInt.empty() : OptionalInt.of(claimed[0]);
    }

    private static ReconcileReport ofExecution(ReconcileReport r, int resumes) {
        return new ReconcileReport(r.runId(), r.entityType(), r.mode(), r.scope(), r.sinks(), r.status(), r.startedAt(),
                r.endedAt(), r.durationMillis(), resumes, r.chunks(), r.idsCovered(), r.idsCompared(),
                r.contentCompared(), r.sinkCalls(), r.digestCalls(), r.counts(), r.actions(), r.errors(), r.samples());
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
