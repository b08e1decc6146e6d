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
package io.dualwrite.mongo.reconcile;

import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A reconciliation an operator asked for, as {@link ReconcileRequests} stores it: what to reconcile, and how far the
 * application's {@link ReconcileRequestWorker} has got with it. Immutable.
 *
 * @param id          the request's id (24 hexadecimal digits)
 * @param entityType  the entity type to reconcile
 * @param mode        dry run (compare and report) or apply (repair too)
 * @param scope       the ids and sinks to reconcile
 * @param requestedBy who asked, as they named themselves
 * @param requestedAt when it was recorded
 * @param status      where it stands
 * @param phase       what is happening now, in words for people ({@code waiting for an instance},
 *                    {@code reconciling sink 'cache'}, {@code done}, …)
 * @param owner       the instance that holds it or last held it; null before one took it
 * @param leaseUntil  when the holder's lease runs out, unless it renews it; null before one took it
 * @param attempts    how many times an instance took it (more than one when a holder stopped before it ended)
 * @param progress    where the run stood at its last finished chunk; null before the first
 * @param progressAt  when that progress was recorded; null before the first
 * @param reason      why it failed; null unless {@link RequestStatus#FAILED}
 * @param report      the run's report once it ended (a failed run's too); null before
 * @param startedAt   when an instance first took it; null before
 * @param endedAt     when it ended; null before
 */
public record ReconcileRequest(String id, String entityType, ReconcileMode mode, ReconcileScope scope,
                               String requestedBy, Instant requestedAt, RequestStatus status, String phase,
                               String owner, Instant leaseUntil, int attempts, ReconcileProgress progress,
                               Instant progressAt, String reason, ReconcileReport report, Instant startedAt,
                               Instant endedAt) {
    /**
     * Checks the components.
     *
     * @param id the request's id
     * @param entityType the entity type to reconcile
     * @param mode dry run or apply
     * @param scope the ids and sinks to reconcile
     * @param requestedBy who asked
     * @param requestedAt when it was recorded
     * @param status where it stands
     * @param phase what is happening now
     * @param owner the instance that holds it or last held it; may be null
     * @param leaseUntil when the holder's lease runs out; may be null
     * @param attempts how many times an instance took it
     * @param progress where the run stood at its last finished chunk; may be null
     * @param progressAt when that progress was recorded; may be null
     * @param reason why it failed; may be null
     * @param report the run's report; may be null
     * @param startedAt when an instance first took it; may be null
     * @param endedAt when it ended; may be null
     * @throws NullPointerException if id, entityType, mode, scope, requestedBy, requestedAt, status or phase is null
     */
    public ReconcileRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(requestedAt, "requestedAt");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(phase, "phase");
    }

    /** @return the run's last recorded progress, empty before its first chunk */
    public Optional<ReconcileProgress> lastProgress() {
        return Optional.ofNullable(progress);
    }

    /** @return the run's report, empty until it ended */
    public Optional<ReconcileReport> finalReport() {
        return Optional.ofNullable(report);
    }

    /** @return why it failed, empty unless it did */
    public Optional<String> failure() {
        return Optional.ofNullable(reason);
    }
}
