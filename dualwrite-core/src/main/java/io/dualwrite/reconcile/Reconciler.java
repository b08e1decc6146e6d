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

import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/**
 * Anti-entropy for one entity collection: compares the primary with each reconcilable sink,
 * plans the repairs deterministically and applies them through the coordinator's normal
 * delivery path (version-guarded, so repeating a repair is harmless).
 *
 * <pre>{@code
 * Reconciler reconciler = Reconciler.<Product>builder()
 *         .writer(products)                       // the DualWriter of the collection
 *         .primary(primaryStore)                  // the same PrimaryStore the writer uses
 *         .sink("search", searchSink)             // a ReconcilableSink registered with the writer
 *         .store(reconcileStore)                  // checkpoints and the audit log
 *         .build();
 * ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
 * ReconcileReport done = reconciler.apply(ReconcileScope.all());
 * }</pre>
 *
 * <p>Thread-safe; the runs of one instance are serialised (one runs at a time).
 */
public interface Reconciler {

    /**
     * @param <T> the entity type
     * @return a new builder
     */
    static <T> ReconcilerBuilder<T> builder() {
        return new ReconcilerBuilder<>();
    }

    /**
     * Compares and plans, touching no sink and storing nothing.
     *
     * @param scope what to compare, not null
     * @return the plan: every id out of sync, sorted by sink then id
     * @throws IllegalArgumentException if the scope names a sink this reconciler does not have
     * @throws ReconcileException       if the primary or a sink could not be read
     */
    ReconcilePlan plan(ReconcileScope scope);

    /**
     * Compares and plans like {@link #plan}, then stores a {@link ReconcileMode#DRY_RUN} report with
     * the counts and the first entries of each sink, logs its summary and those entries, and
     * updates the drift meters. Touches no sink.
     *
     * @param scope what to compare, not null
     * @return the stored report
     * @throws IllegalArgumentException if the scope names a sink this reconciler does not have
     * @throws ReconcileException       if the primary or a sink could not be read (a FAILED report is stored)
     */
    ReconcileReport dryRun(ReconcileScope scope);

    /**
     * Compares chunk by chunk and repairs each chunk before the next: republishes what is missing or
     * stale and deletes orphans, through the coordinator, rate-limited; re-checks each planned
     * repair against the primary's current version first, so a write that happens during the run
     * is never undone. Checkpoints after each chunk: when an earlier run of the same scope stopped,
     * this one resumes after its last finished chunk and carries its counts on, so it ends with
     * the report of an uninterrupted run. Stores the report, logs its summary, updates the meters.
     *
     * @param scope what to reconcile, not null
     * @return the stored report
     * @throws IllegalArgumentException if the scope names a sink this reconciler does not have
     * @throws ReconcileException       if the primary or a sink could not be read, or a store not
     *                                  written; the checkpoint stays for the next run
     */
    ReconcileReport apply(ReconcileScope scope);

    /**
     * Like {@link #dryRun(ReconcileScope)}, and tells {@code listener} (besides the builder's) how this run goes:
     * for a caller that watches one run, such as a worker that reports a requested run's progress.
     *
     * @param scope    what to compare, not null
     * @param listener observes this run only, not null; a listener that throws is logged and ignored
     * @return the stored report
     * @throws IllegalArgumentException if the scope names a sink this reconciler does not have
     * @throws ReconcileException       if the primary or a sink could not be read (a FAILED report is stored)
     */
    ReconcileReport dryRun(ReconcileScope scope, ReconcileListener listener);

    /**
     * Like {@link #apply(ReconcileScope)}, and tells {@code listener} (besides the builder's) how this run goes.
     *
     * @param scope    what to reconcile, not null
     * @param listener observes this run only, not null; a listener that throws is logged and ignored
     * @return the stored report
     * @throws IllegalArgumentException if the scope names a sink this reconciler does not have
     * @throws ReconcileException       if the primary or a sink could not be read, or a store not written
     */
    ReconcileReport apply(ReconcileScope scope, ReconcileListener listener);

    /** @return the entity type this reconciler compares (its writer's) */
    String entityType();

    /** @return the names of the sinks it reconciles, sorted */
    SortedSet<String> sinkNames();

    /**
     * @param limit the most reports, at least 1
     * @return this entity type's stored reports, the latest started first
     */
    List<ReconcileReport> history(int limit);

    /**
     * The checkpoint the next {@code apply} of a scope would resume from. A checkpoint left behind
     * by a run whose stored report says it completed or was abandoned (a crash between the report
     * and the checkpoint's end, a late write of an execution that lost the run) is not unfinished:
     * this call ends it in the store, as the next {@code apply} would, and returns empty.
     *
     * @param scope a scope, not null
     * @return the checkpoint of an unfinished applied run of that scope, as its report so far
     */
    Optional<ReconcileReport> unfinished(ReconcileScope scope);

    /**
     * Gives up an unfinished applied run of a scope, so the next {@code apply} starts from the
     * beginning: removes its checkpoint and stores its report as {@link RunStatus#FAILED}, with
     * an error saying it was abandoned. Repairs it already made stay made.
     *
     * <p>
     * Another instance may abandon or resume the same run at the same time. When another abandon
     * claimed the run after this call and its report already stands, that report is returned: the
     * run is abandoned either way.
     *
     * @param scope a scope, not null
     * @return the abandoned run's report (this call's, or that of an abandon that claimed the run
     *         after it), empty when there was no unfinished run
     * @throws ReconcileTakenOverException if another execution claimed the run after this call did,
     *         before this call could end it: an apply that resumed it (the run goes on; its report
     *         replaces this call's once it stores one, and until then {@link #history} may still show
     *         this call's), or another abandon still at work; {@link #unfinished} tells whether the
     *         run goes on
     * @throws ReconcileAbandonUnconfirmedException if the store failed, or its read-back could not
     *         confirm, once this call had claimed the run (the abandon may or may not have been
     *         recorded); {@link #unfinished} tells what stands
     * @throws RuntimeException the store's own failure (a non-fatal {@link Error} as it is) to read or
     *         claim the run's checkpoint, before this call stored its report: nothing was abandoned. A
     *         claim that landed although its reply was lost stops an execution still on the run as taken
     *         over, and the next {@code apply} resumes the run; call {@code abandon} again to drop it
     */
    Optional<ReconcileReport> abandon(ReconcileScope scope);
}
