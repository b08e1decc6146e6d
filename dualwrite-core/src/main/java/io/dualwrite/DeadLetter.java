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

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A delivery that cannot succeed, kept with everything needed to understand and replay it.
 * Immutable.
 */
public final class DeadLetter {
    private final String id;
    private final String entityType;
    private final String entityId;
    private final long version;
    private final String sink;
    private final int attempts;
    private final ErrorKind kind;
    private final String firstError;
    private final String lastError;
    private final String correlationId;
    private final String idempotencyKey;
    private final Instant createdAt;
    private final Instant lastFailedAt;

    /**
     * @param entityType     the entity type
     * @param entityId       the entity id
     * @param version        the version that could not be delivered
     * @param sink           the sink name
     * @param attempts       delivery attempts made
     * @param kind           the last failure's kind
     * @param firstError     the first failure's description
     * @param lastError      the last failure's description
     * @param correlationId  the write's correlation id
     * @param idempotencyKey the change's idempotency key
     * @param createdAt      when it was dead-lettered
     * @param lastFailedAt   when the last attempt failed
     */
    public DeadLetter(String entityType, String entityId, long version, String sink, int attempts, ErrorKind kind,
                      String firstError, String lastError, String correlationId, String idempotencyKey,
                      Instant createdAt, Instant lastFailedAt) {
        this.entityType = Objects.requireNonNull(entityType, "entityType");
        this.entityId = Objects.requireNonNull(entityId, "entityId");
        this.version = version;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.id = idOf(entityType, entityId, sink);
        this.attempts = attempts;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.firstError = firstError;
        this.lastError = Objects.requireNonNull(lastError, "lastError");
        this.correlationId = correlationId;
        this.idempotencyKey = idempotencyKey;
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        this.lastFailedAt = Objects.requireNonNull(lastFailedAt, "lastFailedAt");
    }

    /**
     * The id of a dead letter: one per entity and sink, so a later failure of the same entity at
     * the same sink updates the existing dead letter instead of piling up.
     *
     * @param entityType the entity type
     * @param entityId   the entity id
     * @param sink       the sink name
     * @return {@code <type>/<id>#<sink>}
     */
    public static String idOf(String entityType, String entityId, String sink) {
        return entityType + "/" + entityId + "#" + sink;
    }

    /** @return the dead letter's id, {@code <type>/<id>#<sink>} */
    public String id() {
        return id;
    }

    /** @return the entity type */
    public String entityType() {
        return entityType;
    }

    /** @return the entity id */
    public String entityId() {
        return entityId;
    }

    /** @return the version that could not be delivered */
    public long version() {
        return version;
    }

    /** @return the sink name */
    public String sink() {
        return sink;
    }

    /** @return delivery attempts made */
    public int attempts() {
        return attempts;
    }

    /** @return the last failure's kind */
    public ErrorKind kind() {
        return kind;
    }

    /** @return the first failure's description */
    public String firstError() {
        return firstError == null ? lastError : firstError;
    }

    /** @return the last failure's description */
    public String lastError() {
        return lastError;
    }

    /** @return the write's correlation id */
    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    /** @return the change's idempotency key */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @return when it was first dead-lettered */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the last attempt failed */
    public Instant lastFailedAt() {
        return lastFailedAt;
    }

    /**
     * @param newer a later dead letter of the same entity and sink
     * @return the merged dead letter: the newer version, attempts added, the first error and creation time kept
     */
    public DeadLetter mergeWith(DeadLetter newer) {
        if (!id.equals(newer.id)) {
            throw new IllegalArgumentException("cannot merge " + newer.id + " into " + id);
        }
        return new DeadLetter(entityType, entityId, Math.max(version, newer.version), sink, attempts + newer.attempts,
                newer.kind, firstError(), newer.lastError, newer.correlationId, newer.idempotencyKey,
                createdAt, newer.lastFailedAt);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DeadLetter)) {
            return false;
        }
        DeadLetter d = (DeadLetter) o;
        return version == d.version && attempts == d.attempts && id.equals(d.id) && kind == d.kind
                && firstError().equals(d.firstError()) && lastError.equals(d.lastError)
                && Objects.equals(correlationId, d.correlationId) && Objects.equals(idempotencyKey, d.idempotencyKey)
                && createdAt.equals(d.createdAt) && lastFailedAt.equals(d.lastFailedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, version, attempts);
    }

    @Override
    public String toString() {
        return "DeadLetter{" + id + "@" + version + ", " + kind + " after " + attempts + " attempt(s): " + lastError + "}";
    }
}
