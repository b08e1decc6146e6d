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
package io.dualwrite;

import io.micrometer.observation.Observation;

import java.util.Objects;
import java.util.Optional;

/**
 * What the observation of one write through the coordinator knows: the entity type, the
 * operation, the correlation id, and, once known, the idempotency key and the outcome. A
 * {@link WriteObservationConvention} turns it into the observation's name and key values. Not
 * thread-safe: one per write, filled in by the writing thread.
 */
public final class WriteObservationContext extends Observation.Context {
    private final String entityType;
    private final Operation operation;
    private final String correlationId;
    private String idempotencyKey;
    private String outcome = "error";

    /**
     * @param entityType    the writer's entity type
     * @param operation     UPSERT or DELETE
     * @param correlationId the write's correlation id
     */
    public WriteObservationContext(String entityType, Operation operation, String correlationId) {
        this.entityType = Objects.requireNonNull(entityType, "entityType");
        this.operation = Objects.requireNonNull(operation, "operation");
        this.correlationId = Objects.requireNonNull(correlationId, "correlationId");
    }

    /** @return the writer's entity type */
    public String entityType() {
        return entityType;
    }

    /** @return UPSERT or DELETE */
    public Operation operation() {
        return operation;
    }

    /** @return the write's correlation id */
    public String correlationId() {
        return correlationId;
    }

    /** @return the committed write's idempotency key, once the primary committed it */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @param key the committed write's idempotency key */
    public void idempotencyKey(String key) {
        this.idempotencyKey = key;
    }

    /**
     * @return how the write ended: {@code applied}, {@code deferred}, {@code compensated},
     *         {@code version_conflict}, {@code duplicate}, {@code nothing_to_delete} or {@code error}
     */
    public String outcome() {
        return outcome;
    }

    /** @param outcome how the write ended */
    public void outcome(String outcome) {
        this.outcome = Objects.requireNonNull(outcome, "outcome");
    }
}
