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
package io.dualwrite.mongo.relay;

import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;

import io.dualwrite.DualWriter;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.PrimaryStore;

import java.util.List;
import java.util.Objects;

/**
 * What a change-stream relay does about a lost resume point, before it continues from the present:
 * bring the sinks back in step with the primary for whatever changed during the gap. A handler
 * that throws has not finished: the relay keeps the gap open, backs off, and calls it again (it
 * must therefore be safe to repeat, as both handlers here are). Implementations must be thread-safe.
 */
@FunctionalInterface
public interface GapHandler {
    /** Entities read from the primary per page by {@link #resync}. */
    int DEFAULT_RESYNC_PAGE = 500;

    /**
     * Repairs the sinks after a gap.
     *
     * @param gap the gap, never null
     * @throws RuntimeException when the repair did not finish; the relay retries it
     */
    void handle(Gap gap);

    /**
     * Repairs the sinks after a gap, handing the relay what could only be deferred: the relay
     * keeps each such entity with its checkpoint and retries it on its own schedule, counting its
     * attempts and dead-lettering it once they are spent, like a change it read itself, so one
     * entity a sink keeps failing neither holds the gap open nor makes the whole repair run again.
     * The default ignores {@code deferrals} and calls {@link #handle(Gap)}.
     *
     * @param gap       the gap, never null
     * @param deferrals where deferred deliveries go, never null
     * @throws RuntimeException when the repair did not finish; the relay retries it
     */
    default void handle(Gap gap, Deferrals deferrals) {
        handle(gap);
    }

    /** Takes the deliveries a gap's repair could only defer. Implementations are the relay's own. */
    @FunctionalInterface
    interface Deferrals {
        /**
         * @param sink       the sink that deferred it
         * @param redelivery the deferred delivery ({@link SinkOutcome#DEFERRED}), with its attempts so far
         */
        void defer(String sink, Redelivery redelivery);
    }

    /**
     * The default: a full resync. Walks the whole collection in id order and redelivers every
     * entity's current state (tombstones as deletes) to each sink through the writer's normal
     * delivery path, version-guarded, so what a sink already holds stays as it is. Correct for any
     * sink, costly for a large collection; prefer {@link #reconcile} when the sinks are reconcilable.
     *
     * @param writer  the writer whose sinks the relay feeds, not null
     * @param primary the primary store of that writer, not null
     * @param sinks   the sinks to resync, not null, not empty
     * @param <T>     the entity type
     * @return the handler; on its own it throws when an entity could only be deferred (a transient sink
     *         failure); run by a relay, it hands such entities to the relay instead ({@link #handle(Gap, Deferrals)})
     */
    static <T> GapHandler resync(DualWriter<T> writer, PrimaryStore<T> primary, List<String> sinks) {
        return new Resync<>(writer, primary, sinks, DEFAULT_RESYNC_PAGE);
    }

    /**
     * A scoped reconciliation: compares the collection with each reconcilable sink and repairs only
     * what differs (missing, stale and orphaned entities), resumable from its own checkpoint.
     *
     * @param reconciler the collection's reconciler, not null
     * @param scope      what to reconcile, not null (usually {@link ReconcileScope#all()})
     * @return the handler; it throws when the run did not complete or deferred a repair, so the relay retries it
     */
    static GapHandler reconcile(Reconciler reconciler, ReconcileScope scope) {
        Objects.requireNonNull(reconciler, "reconciler");
        Objects.requireNonNull(scope, "scope");
        return gap -> {
            ReconcileReport report = reconciler.apply(scope);
            if (report.status() != RunStatus.COMPLETED || report.actions(RepairOutcome.DEFERRED) > 0) {
                throw new IllegalStateException("reconciliation after the gap of " + gap.relay() + " did not finish: "
                        + report.summary());
            }
        };
    }
}
