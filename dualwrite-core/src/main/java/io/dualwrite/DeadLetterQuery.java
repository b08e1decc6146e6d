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
 * Selects dead letters: every set field must match. Immutable and thread-safe.
 */
public final class DeadLetterQuery {
    /** The page size when none is set. */
    public static final int DEFAULT_LIMIT = 100;
    /** Matches every dead letter (up to {@link #DEFAULT_LIMIT}). */
    public static final DeadLetterQuery ALL = builder().build();

    private final String entityType;
    private final String entityId;
    private final String sink;
    private final ErrorKind kind;
    private final Instant createdFrom;
    private final Instant createdBefore;
    private final int limit;

    private DeadLetterQuery(Builder b) {
        this.entityType = b.entityType;
        this.entityId = b.entityId;
        this.sink = b.sink;
        this.kind = b.kind;
        this.createdFrom = b.createdFrom;
        this.createdBefore = b.createdBefore;
        this.limit = b.limit;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the entity type to match */
    public Optional<String> entityType() {
        return Optional.ofNullable(entityType);
    }

    /** @return the entity id to match */
    public Optional<String> entityId() {
        return Optional.ofNullable(entityId);
    }

    /** @return the sink to match */
    public Optional<String> sink() {
        return Optional.ofNullable(sink);
    }

    /** @return the error kind to match */
    public Optional<ErrorKind> kind() {
        return Optional.ofNullable(kind);
    }

    /** @return the earliest creation time to match (inclusive) */
    public Optional<Instant> createdFrom() {
        return Optional.ofNullable(createdFrom);
    }

    /** @return the creation time to match dead letters before (exclusive) */
    public Optional<Instant> createdBefore() {
        return Optional.ofNullable(createdBefore);
    }

    /** @return the most dead letters to return */
    public int limit() {
        return limit;
    }

    /**
     * @param d a dead letter
     * @return true when it matches every set field
     */
    public boolean matches(DeadLetter d) {
        return (entityType == null || entityType.equals(d.entityType()))
                && (entityId == null || entityId.equals(d.entityId()))
                && (sink == null || sink.equals(d.sink()))
                && (kind == null || kind == d.kind())
                && (createdFrom == null || !d.createdAt().isBefore(createdFrom))
                && (createdBefore == null || d.createdAt().isBefore(createdBefore));
    }

    @Override
    public String toString() {
        return "DeadLetterQuery{type=" + entityType + ", id=" + entityId + ", sink=" + sink + ", kind=" + kind
                + ", createdFrom=" + createdFrom + ", createdBefore=" + createdBefore + ", limit=" + limit + "}";
    }

    /** Builds a {@link DeadLetterQuery}. Not thread-safe. */
    public static final class Builder {
        private String entityType;
        private String entityId;
        private String sink;
        private ErrorKind kind;
        private Instant createdFrom;
        private Instant createdBefore;
        private int limit = DEFAULT_LIMIT;

        private Builder() {
        }

        /**
         * @param entityType the entity type; default any
         * @return this
         */
        public Builder entityType(String entityType) {
            this.entityType = Objects.requireNonNull(entityType, "entityType");
            return this;
        }

        /**
         * @param entityId the entity id; default any
         * @return this
         */
        public Builder entityId(String entityId) {
            this.entityId = Objects.requireNonNull(entityId, "entityId");
            return this;
        }

        /**
         * @param sink the sink name; default any
         * @return this
         */
        public Builder sink(String sink) {
            this.sink = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * @param kind the error kind; default any
         * @return this
         */
        public Builder kind(ErrorKind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * @param from the earliest time a dead letter was first stored, inclusive; default any
         * @return this
         */
        public Builder createdFrom(Instant from) {
            this.createdFrom = Objects.requireNonNull(from, "from");
            return this;
        }

        /**
         * @param before the time a dead letter must have been first stored before, exclusive; default any
         * @return this
         */
        public Builder createdBefore(Instant before) {
            this.createdBefore = Objects.requireNonNull(before, "before");
            return this;
        }

        /**
         * Starts from another query's filters (to narrow or widen one).
         *
         * @param query the query to copy
         * @return this
         */
        public Builder from(DeadLetterQuery query) {
            Objects.requireNonNull(query, "query");
            this.entityType = query.entityType;
            this.entityId = query.entityId;
            this.sink = query.sink;
            this.kind = query.kind;
            this.createdFrom = query.createdFrom;
            this.createdBefore = query.createdBefore;
            this.limit = query.limit;
            return this;
        }

        /**
         * @param limit the most to return, at least 1; default {@value DeadLetterQuery#DEFAULT_LIMIT}
         * @return this
         */
        public Builder limit(int limit) {
            Args.atLeast(limit, 1, "limit");
            this.limit = limit;
            return this;
        }

        /** @return the query */
        public DeadLetterQuery build() {
            return new DeadLetterQuery(this);
        }
    }
}
