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

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a write: the committed version and what happened at each sink.
 * Immutable and thread-safe.
 */
public final class WriteResult {
    private final String entityType;
    private final String id;
    private final long version;
    private final Operation operation;
    private final Map<String, SinkOutcome> outcomes;
    private final String correlationId;
    private final String idempotencyKey;
    private final boolean written;
    private final boolean duplicate;
    private final boolean versionKnown;

    /**
     * @param entityType     the entity type
     * @param id             the entity id
     * @param version        the version committed by this write (or, for a duplicate request, by the first one)
     * @param operation      UPSERT or DELETE
     * @param outcomes       outcome per sink, in registration order
     * @param correlationId  the write's correlation id
     * @param idempotencyKey the change's idempotency key
     * @param written        false when the call committed nothing (a duplicate request, a delete of an absent entity)
     * @param duplicate      true when the caller's request key was seen before and the first result was returned
     */
    public WriteResult(String entityType, String id, long version, Operation operation,
                       Map<String, SinkOutcome> outcomes, String correlationId, String idempotencyKey,
                       boolean written, boolean duplicate) {
        this(entityType, id, version, operation, outcomes, correlationId, idempotencyKey, written, duplicate, true);
    }

    /**
     * @param entityType     the entity type
     * @param id             the entity id
     * @param version        the version committed by this write, or, when not known, the version the primary
     *                       held right after it (which holds this write or a later one)
     * @param operation      UPSERT or DELETE
     * @param outcomes       outcome per sink, in registration order
     * @param correlationId  the write's correlation id
     * @param idempotencyKey the change's idempotency key
     * @param written        false when the call committed nothing
     * @param duplicate      true when the caller's request key was seen before
     * @param versionKnown   false when {@code version} may be a later write's (see {@link #versionKnown()})
     */
    public WriteResult(String entityType, String id, long version, Operation operation,
                       Map<String, SinkOutcome> outcomes, String correlationId, String idempotencyKey,
                       boolean written, boolean duplicate, boolean versionKnown) {
        this.entityType = Objects.requireNonNull(entityType, "entityType");
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.operation = Objects.requireNonNull(operation, "operation");
        this.outcomes = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(outcomes, "outcomes")));
        this.correlationId = Objects.requireNonNull(correlationId, "correlationId");
        this.idempotencyKey = idempotencyKey;
        this.written = written;
        this.duplicate = duplicate;
        this.versionKnown = versionKnown;
    }

    /** @return the entity type */
    public String entityType() {
        return entityType;
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /**
     * @return the version this write committed (0 when nothing was ever committed for the entity); when
     *         {@link #versionKnown()} is false, the version the primary held right after the write,
     *         which holds this write or a later one
     */
    public long version() {
        return version;
    }

    /**
     * @return true when {@link #version()} is this write's own. Always true but for a write-ahead
     *         save ({@link DualWriter#saveWith}) whose store cannot prove that no other write landed
     *         between the caller's write and the store reading it back: the first save of a new
     *         document, or a save after which the version grew by more than one
     */
    public boolean versionKnown() {
        return versionKnown;
    }

    /** @return UPSERT or DELETE */
    public Operation operation() {
        return operation;
    }

    /** @return each registered sink's outcome, in registration order; unmodifiable */
    public Map<String, SinkOutcome> outcomes() {
        return outcomes;
    }

    /**
     * @param sink a sink name
     * @return that sink's outcome, empty if the sink is not registered
     */
    public Optional<SinkOutcome> outcome(String sink) {
        return Optional.ofNullable(outcomes.get(sink));
    }

    /** @return the correlation id of the write */
    public String correlationId() {
        return correlationId;
    }

    /** @return the idempotency key of the change, empty when nothing was committed */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @return false when this call committed nothing (duplicate request, delete of an absent entity) */
    public boolean written() {
        return written;
    }

    /** @return true when the request key was seen within the dedup window and this is the first call's result */
    public boolean duplicate() {
        return duplicate;
    }

    /** @return true when no sink is DEFERRED, DEAD_LETTERED or COMPENSATED */
    public boolean fullyApplied() {
        return outcomes.values().stream().allMatch(o -> o == SinkOutcome.APPLIED || o == SinkOutcome.SKIPPED);
    }

    @Override
    public String toString() {
        return "WriteResult{" + operation + " " + entityType + "/" + id + "@" + version + " " + outcomes
                + (duplicate ? " duplicate" : "") + (written ? "" : " not-written")
                + (versionKnown ? "" : " version-not-known")
                + ", correlationId=" + correlationId + "}";
    }
}
