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

import io.dualwrite.Operation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.OptionalLong;

/**
 * One write the coordinator asks the primary to commit atomically: the new state (or a
 * tombstone), a new version, and the intents for every sink. Immutable if the state is.
 *
 * @param <T> the entity type
 */
public final class PrimaryWrite<T> {
    private final String id;
    private final Operation operation;
    private final T state;
    private final List<IntentSpec> intents;
    private final long expectedVersion;
    private final String requestKey;
    private final Duration requestKeyWindow;
    private final String correlationId;
    private final String idempotencyKey;
    private final Instant time;
    private final Supplier<? extends T> callerSave;
    private final long undoes;

    private PrimaryWrite(Builder<T> b) {
        this.id = Objects.requireNonNull(b.id, "id");
        this.operation = Objects.requireNonNull(b.operation, "operation");
        this.state = b.state;
        if (b.callerSave == null && operation == Operation.UPSERT && state == null) {
            throw new IllegalArgumentException("an UPSERT needs a state: " + id);
        }
        this.intents = List.copyOf(b.intents);
        this.expectedVersion = b.expectedVersion;
        this.requestKey = b.requestKey;
        this.requestKeyWindow = Objects.requireNonNull(b.requestKeyWindow, "requestKeyWindow");
        this.correlationId = Objects.requireNonNull(b.correlationId, "correlationId");
        this.idempotencyKey = b.idempotencyKey;
        this.time = Objects.requireNonNull(b.time, "time");
        this.callerSave = b.callerSave;
        this.undoes = b.undoes;
    }

    /**
     * @param <T> the entity type
     * @return a new builder
     */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return UPSERT (store the state) or DELETE (leave a tombstone) */
    public Operation operation() {
        return operation;
    }

    /** @return the new state; empty for a DELETE and for a write-ahead write */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /** @return the intents to record, one per sink that must receive this write */
    public List<IntentSpec> intents() {
        return intents;
    }

    /** @return the version the caller read (0: must not exist), empty for a blind write */
    public OptionalLong expectedVersion() {
        return expectedVersion < 0 ? OptionalLong.empty() : OptionalLong.of(expectedVersion);
    }

    /**
     * The one rule every store applies to {@link #expectedVersion()}: a blind write accepts
     * anything; otherwise the primary must hold the expected version, or, for an expectation of 0
     * ("must not exist"), nothing or a tombstone (a deleted entity does not exist, though the
     * store keeps its version).
     *
     * @param actualVersion the version the primary holds, 0 when it holds nothing
     * @param deleted       whether what it holds is a tombstone
     * @return true when the write may go ahead
     */
    public boolean expects(long actualVersion, boolean deleted) {
        return expectedVersion < 0 || expectedVersion == actualVersion || (expectedVersion == 0 && deleted);
    }

    /** @return the caller's request key, if any */
    public Optional<String> requestKey() {
        return Optional.ofNullable(requestKey);
    }

    /** @return how long a request key is remembered */
    public Duration requestKeyWindow() {
        return requestKeyWindow;
    }

    /** @return the correlation id, stored with the intents */
    public String correlationId() {
        return correlationId;
    }

    /** @return the caller's idempotency key, if any, stored with the intents */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @return the commit time the coordinator's clock gives */
    public Instant time() {
        return time;
    }

    /**
     * @return for the write-ahead mode, the caller's own save or delete, which the store runs after
     *         making the intents durable; empty for the embedded mode
     */
    public Optional<Runnable> callerWrite() {
        return callerSave == null ? Optional.empty() : Optional.of(callerSave::get);
    }

    /**
     * @return for the write-ahead mode, the caller's own save or delete, which the store runs after
     *         making the intents durable, and which returns the entity exactly as it saved it (its
     *         version field included) or null, when the store is to read the saved entity back; empty
     *         for the embedded mode
     */
    public Optional<Supplier<? extends T>> callerSave() {
        return Optional.ofNullable(callerSave);
    }

    /**
     * @return for a compensation, the version it undoes: the store must forget the request keys it
     *         recorded with that version, so the caller's retry of the failed request runs again
     *         instead of being answered as a duplicate of a write that was undone; empty otherwise
     */
    public OptionalLong undoes() {
        return undoes < 0 ? OptionalLong.empty() : OptionalLong.of(undoes);
    }

    /**
     * @param recordedVersion the version a request key was recorded with
     * @return true when this write must forget that key (it undoes that version)
     */
    public boolean forgetsRequestKeyOf(long recordedVersion) {
        return undoes >= 0 && recordedVersion == undoes;
    }

    @Override
    public String toString() {
        return "PrimaryWrite{" + operation + " " + id + ", intents=" + intents + ", expectedVersion="
                + expectedVersion() + ", correlationId=" + correlationId + (callerSave != null ? ", write-ahead" : "") + "}";
    }

    /**
     * Builds a {@link PrimaryWrite}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private String id;
        private Operation operation;
        private T state;
        private List<IntentSpec> intents = List.of();
        private long expectedVersion = -1;
        private String requestKey;
        private Duration requestKeyWindow = Duration.ofDays(1);
        private String correlationId;
        private String idempotencyKey;
        private Instant time;
        private Supplier<? extends T> callerSave;
        private long undoes = -1;

        private Builder() {
        }

        /**
         * @param id the entity id
         * @return this
         */
        public Builder<T> id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param operation UPSERT or DELETE
         * @return this
         */
        public Builder<T> operation(Operation operation) {
            this.operation = operation;
            return this;
        }

        /**
         * @param state the new state (null for DELETE)
         * @return this
         */
        public Builder<T> state(T state) {
            this.state = state;
            return this;
        }

        /**
         * @param intents the intents to record
         * @return this
         */
        public Builder<T> intents(List<IntentSpec> intents) {
            this.intents = Objects.requireNonNull(intents, "intents");
            return this;
        }

        /**
         * @param expectedVersion the version the caller read, -1 for none
         * @return this
         */
        public Builder<T> expectedVersion(long expectedVersion) {
            this.expectedVersion = expectedVersion;
            return this;
        }

        /**
         * @param requestKey the caller's request key, may be null
         * @return this
         */
        public Builder<T> requestKey(String requestKey) {
            this.requestKey = requestKey;
            return this;
        }

        /**
         * @param window how long request keys are remembered
         * @return this
         */
        public Builder<T> requestKeyWindow(Duration window) {
            this.requestKeyWindow = window;
            return this;
        }

        /**
         * @param correlationId the correlation id
         * @return this
         */
        public Builder<T> correlationId(String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        /**
         * @param idempotencyKey the caller's idempotency key, may be null
         * @return this
         */
        public Builder<T> idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        /**
         * @param time the commit time
         * @return this
         */
        public Builder<T> time(Instant time) {
            this.time = time;
            return this;
        }

        /**
         * @param callerWrite the caller's own write (write-ahead mode), may be null
         * @return this
         */
        public Builder<T> callerWrite(Runnable callerWrite) {
            this.callerSave = callerWrite == null ? null : () -> {
                callerWrite.run();
                return null;
            };
            return this;
        }

        /**
         * @param callerSave the caller's own save (write-ahead mode), which returns the entity exactly as
         *                   it saved it, or null to have the store read it back; may be null
         * @return this
         */
        public Builder<T> callerSave(Supplier<? extends T> callerSave) {
            this.callerSave = callerSave;
            return this;
        }

        /**
         * @param version the version this compensation undoes, -1 for none (the default)
         * @return this
         */
        public Builder<T> undoes(long version) {
            this.undoes = version;
            return this;
        }

        /** @return the write */
        public PrimaryWrite<T> build() {
            return new PrimaryWrite<>(this);
        }
    }
}
