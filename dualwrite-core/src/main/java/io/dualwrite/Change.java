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

import io.dualwrite.internal.Args;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The envelope a sink receives: the state of one entity after a committed write, at a version.
 * A change is always the entity's full state (state transfer), never a diff, so delivering it
 * twice, late, or after a newer change is harmless for a version-guarded sink.
 *
 * <p>Immutable and thread-safe as long as the state object is not mutated after the write.
 *
 * @param <T> the entity type
 */
public final class Change<T> {
    /** The schema version a change carries when nobody sets one. */
    public static final int DEFAULT_SCHEMA_VERSION = 1;

    private final String entityType;
    private final String id;
    private final long version;
    private final Operation operation;
    private final T state;
    private final String idempotencyKey;
    private final String correlationId;
    private final Instant time;
    private final int schemaVersion;

    private Change(Builder<T> b) {
        this.entityType = Objects.requireNonNull(b.entityType, "entityType");
        this.id = Objects.requireNonNull(b.id, "id");
        this.operation = Objects.requireNonNull(b.operation, "operation");
        Args.atLeast(b.version, 1, "version");
        this.version = b.version;
        if (operation == Operation.UPSERT && b.state == null) {
            throw new IllegalArgumentException("an UPSERT change needs a state: " + entityType + "/" + id);
        }
        if (operation == Operation.DELETE && b.state != null) {
            throw new IllegalArgumentException("a DELETE change carries no state: " + entityType + "/" + id);
        }
        this.state = b.state;
        this.idempotencyKey = b.idempotencyKey != null ? b.idempotencyKey : IdempotencyKeys.of(entityType, id, version);
        this.correlationId = Objects.requireNonNull(b.correlationId, "correlationId");
        this.time = Objects.requireNonNull(b.time, "time");
        Args.atLeast(b.schemaVersion, 1, "schemaVersion");
        this.schemaVersion = b.schemaVersion;
    }

    /**
     * @param <T> the entity type
     * @return a new builder; entityType, id, version, operation, correlationId and time are required
     */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** @return the entity type (for example {@code product}), the same for every change of a coordinator */
    public String entityType() {
        return entityType;
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version, at least 1, growing by one with every committed write of the entity */
    public long version() {
        return version;
    }

    /** @return UPSERT or DELETE */
    public Operation operation() {
        return operation;
    }

    /** @return the state after the write; empty for a DELETE */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /**
     * @return the state after the write
     * @throws IllegalStateException for a DELETE, which has none
     */
    public T requireState() {
        if (state == null) {
            throw new IllegalStateException("a DELETE change has no state: " + idempotencyKey);
        }
        return state;
    }

    /** @return the key a sink deduplicates by: {@code <type>/<id>@<version>} unless the caller gave one */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** @return the correlation id of the write, for logs, metrics, traces and sink headers */
    public String correlationId() {
        return correlationId;
    }

    /** @return when the primary committed the write */
    public Instant time() {
        return time;
    }

    /** @return the schema version of the state's representation, at least 1 */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** @return true for a DELETE */
    public boolean isDelete() {
        return operation == Operation.DELETE;
    }

    /**
     * @return a builder preset with every field of this change
     */
    public Builder<T> toBuilder() {
        return Change.<T>builder().entityType(entityType).id(id).version(version).operation(operation)
                .state(state).idempotencyKey(idempotencyKey).correlationId(correlationId).time(time)
                .schemaVersion(schemaVersion);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Change)) {
            return false;
        }
        Change<?> c = (Change<?>) o;
        return version == c.version && schemaVersion == c.schemaVersion && entityType.equals(c.entityType)
                && id.equals(c.id) && operation == c.operation && Objects.equals(state, c.state)
                && idempotencyKey.equals(c.idempotencyKey) && correlationId.equals(c.correlationId)
                && time.equals(c.time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entityType, id, version, operation, idempotencyKey);
    }

    /** Ids and keys only: a change's state may hold personal data and never appears in logs. */
    @Override
    public String toString() {
        return "Change{" + operation + " " + idempotencyKey + ", correlationId=" + correlationId + "}";
    }

    /**
     * Builds a {@link Change}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private String entityType;
        private String id;
        private long version;
        private Operation operation;
        private T state;
        private String idempotencyKey;
        private String correlationId;
        private Instant time;
        private int schemaVersion = DEFAULT_SCHEMA_VERSION;

        private Builder() {
        }

        /**
         * @param entityType the entity type, required
         * @return this
         */
        public Builder<T> entityType(String entityType) {
            this.entityType = entityType;
            return this;
        }

        /**
         * @param id the entity id, required
         * @return this
         */
        public Builder<T> id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param version the committed version, required, at least 1
         * @return this
         */
        public Builder<T> version(long version) {
            this.version = version;
            return this;
        }

        /**
         * @param operation UPSERT or DELETE, required
         * @return this
         */
        public Builder<T> operation(Operation operation) {
            this.operation = operation;
            return this;
        }

        /**
         * @param state the state after the write; required for UPSERT, null for DELETE
         * @return this
         */
        public Builder<T> state(T state) {
            this.state = state;
            return this;
        }

        /**
         * @param idempotencyKey the caller's key; default {@code <type>/<id>@<version>}
         * @return this
         */
        public Builder<T> idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        /**
         * @param correlationId the write's correlation id, required
         * @return this
         */
        public Builder<T> correlationId(String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        /**
         * @param time the commit time, required
         * @return this
         */
        public Builder<T> time(Instant time) {
            this.time = time;
            return this;
        }

        /**
         * @param schemaVersion the representation's schema version; default {@value #DEFAULT_SCHEMA_VERSION}
         * @return this
         */
        public Builder<T> schemaVersion(int schemaVersion) {
            this.schemaVersion = schemaVersion;
            return this;
        }

        /**
         * @return the change
         * @throws NullPointerException     if a required field is missing
         * @throws IllegalArgumentException if a value is out of range or the state does not match the operation
         */
        public Change<T> build() {
            return new Change<>(this);
        }
    }
}
