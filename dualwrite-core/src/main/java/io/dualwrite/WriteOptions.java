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
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Per-call options of a write. Immutable and thread-safe; {@link #DEFAULT} has none set.
 */
public final class WriteOptions {
    /** No request key, a generated correlation id, no expected version, the default idempotency key. */
    public static final WriteOptions DEFAULT = builder().build();

    private final String requestKey;
    private final String correlationId;
    private final String idempotencyKey;
    private final long expectedVersion;

    private WriteOptions(Builder b) {
        this.requestKey = b.requestKey;
        this.correlationId = b.correlationId;
        this.idempotencyKey = b.idempotencyKey;
        this.expectedVersion = b.expectedVersion;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return the caller's request key: the same key for the same entity within the coordinator's
     * dedup window returns the first result and writes nothing again
     */
    public Optional<String> requestKey() {
        return Optional.ofNullable(requestKey);
    }

    /** @return the correlation id to use; when empty the coordinator generates one */
    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    /** @return the caller's idempotency key for the change; when empty it is {@code <type>/<id>@<version>} */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /**
     * @return the version the caller read (optimistic concurrency; 0 means "must not exist yet");
     * empty for a blind write
     */
    public OptionalLong expectedVersion() {
        return expectedVersion < 0 ? OptionalLong.empty() : OptionalLong.of(expectedVersion);
    }

    @Override
    public String toString() {
        return "WriteOptions{requestKey=" + requestKey + ", correlationId=" + correlationId
                + ", idempotencyKey=" + idempotencyKey + ", expectedVersion=" + expectedVersion() + "}";
    }

    /** Builds {@link WriteOptions}. Not thread-safe. */
    public static final class Builder {
        private String requestKey;
        private String correlationId;
        private String idempotencyKey;
        private long expectedVersion = -1;

        private Builder() {
        }

        /**
         * @param requestKey the caller's request key, not blank; default none
         * @return this
         */
        public Builder requestKey(String requestKey) {
            this.requestKey = requireNotBlank(requestKey, "requestKey");
            return this;
        }

        /**
         * @param correlationId the correlation id, not blank; default generated
         * @return this
         */
        public Builder correlationId(String correlationId) {
            this.correlationId = requireNotBlank(correlationId, "correlationId");
            return this;
        }

        /**
         * @param idempotencyKey the change's idempotency key, not blank; default {@code <type>/<id>@<version>}
         * @return this
         */
        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = requireNotBlank(idempotencyKey, "idempotencyKey");
            return this;
        }

        /**
         * @param expectedVersion the version the caller read, 0 for "must not exist"; default none (blind write)
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder expectedVersion(long expectedVersion) {
            Args.atLeast(expectedVersion, 0, "expectedVersion");
            this.expectedVersion = expectedVersion;
            return this;
        }

        /** @return the options */
        public WriteOptions build() {
            return new WriteOptions(this);
        }

        private static String requireNotBlank(String value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return value;
        }
    }
}
