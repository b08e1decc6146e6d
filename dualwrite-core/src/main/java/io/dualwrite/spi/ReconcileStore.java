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
package io.dualwrite.spi;

import io.dualwrite.reconcile.ReconcileReport;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where reconciliation keeps its checkpoints (so a crashed run continues where it stopped) and
 * its audit log of reports. Implemented by {@link io.dualwrite.memory.InMemoryReconcileStore}
 * and by {@code dualwrite-mongo}. Implementations must be thread-safe; a checkpoint written by
 * {@link #saveCheckpoint} must be what the next {@link #checkpoint} returns for its key, also
 * after a restart for a durable store.
 */
public interface ReconcileStore {

    /**
     * @param runKey the key of a run's scope (entity type, mode, scope and sinks), not null
     * @return the checkpoint of the unfinished run with that key, empty when none
     */
    Optional<ReconcileCheckpoint> checkpoint(String runKey);

    /**
     * Replaces the checkpoint of the checkpoint's run key, unless the checkpoint there belongs to the
     * same run with more {@linkplain ReconcileReport#resumes() resumes}, written or
     * {@linkplain #claimResume claimed} by a later execution of the run, which took it over, or
     * belongs to another run that has not ended ({@link #endCheckpoint}), or the run's own
     * checkpoint was ended: then the given one is stale and ignored. The check and the write must be
     * one atomic step.
     *
     * @param checkpoint the checkpoint, not null
     */
    void saveCheckpoint(ReconcileCheckpoint checkpoint);

    /**
     * Claims the next execution of the run a checkpoint belongs to, before a reconciler resumes the
     * run from it (or abandons it): in one atomic step, the checkpoint stored under its run key, if
     * it still belongs to that run, records a new execution number, above every one claimed or
     * written before, and that number is returned. Two instances resuming the same checkpoint get
     * different numbers, so the later one's reports and checkpoints fence the earlier one's (see
     * {@link #saveReport} and {@link #saveCheckpoint}). The default is not atomic (it returns one
     * more than the checkpoint's resumes); a store shared by several processes must override it.
     *
     * @param checkpoint the checkpoint to resume from, not null
     * @return the new execution's number (its report's resumes), empty when the run key no longer
     *         holds a checkpoint of that run
     */
    default OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Optional<ReconcileCheckpoint> there = checkpoint(checkpoint.runKey());
        return there.isPresent() && there.get().report().runId().equals(checkpoint.report().runId())
                ? OptionalInt.of(Math.max(there.get().report().resumes(), checkpoint.report().resumes()) + 1)
                : OptionalInt.empty();
    }

    /**
     * Ends a run's checkpoint when the run completed or was abandoned: removes the checkpoint stored
     * under the run key, but only when it belongs to that run and no later execution than
     * {@code resumes} wrote or claimed it (a stale execution's removal landing late leaves another
     * execution's, or another run's, checkpoint alone). From then on no checkpoint of that run is
     * stored under the key (a stale execution's late write is refused); another run's is. The check
     * and the removal must be one atomic step. The default is not atomic and keeps no end marker (it
     * removes the checkpoint with {@link #clearCheckpoint}): enough for one process only.
     *
     * @param runKey  the run key, not null
     * @param runId   the run whose checkpoint ends, not null
     * @param resumes the execution ending it
     */
    default void endCheckpoint(String runKey, String runId, int resumes) {
        Objects.requireNonNull(runId, "runId");
        Optional<ReconcileCheckpoint> there = checkpoint(runKey);
        if (there.isPresent() && there.get().report().runId().equals(runId)
                && there.get().report().resumes() <= resumes) {
            clearCheckpoint(runKey);
        }
    }

    /**
     * Removes the checkpoint of a run key, if any, whoever's it is: an operator's reset, and the
     * default {@link #endCheckpoint}. A reconciler itself ends checkpoints with {@link #endCheckpoint}.
     *
     * @param runKey the run key, not null
     */
    void clearCheckpoint(String runKey);

    /**
     * Appends a report to the audit log, replacing a report with the same run id unless that one
     * has more {@linkplain ReconcileReport#resumes() resumes}: a report of an execution of the run
     * that another one took over since (a request holder that lost its lease and came back) must
     * not replace what the later execution stored, and is ignored. The check and the write must be
     * one atomic step.
     *
     * @param report the report, not null
     */
    void saveReport(ReconcileReport report);

    /**
     * @param entityType an entity type, not null
     * @param limit      the most reports to return, at least 1
     * @return the entity type's reports, the latest started first
     */
    List<ReconcileReport> reports(String entityType, int limit);

    /**
     * The report stored under a run id. A reconciler asks before it resumes from a checkpoint: a
     * checkpoint of a run whose report says it completed, or was abandoned, is stale (written late
     * by a holder that had lost the run to another instance, or left by a crash between the report
     * and the end of the checkpoint), and the run starts afresh instead of skipping the ids before it.
     * An applied run also reads its own report back after storing it as completed: a report of more
     * resumes there means a later execution took the run over and this one's was refused. So the
     * read must see the store's latest write (a replicated store reads from its primary). The
     * default looks through {@link #reports(String, int)}; a durable store should look the run id
     * up directly.
     *
     * @param entityType the entity type of the run, not null
     * @param runId      the run id, not null
     * @return the report stored under that run id, empty when none
     */
    default Optional<ReconcileReport> report(String entityType, String runId) {
        Objects.requireNonNull(runId, "runId");
        return reports(entityType, Integer.MAX_VALUE).stream().filter(r -> r.runId().equals(runId)).findFirst();
    }
}
