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

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The durable record that one sink still has to reach a version of one entity. Immutable.
 */
public final class Intent {
    private final String sink;
    private final long version;
    private final Instant dueAt;
    private final int attempts;
    private final String firstError;
    private final String lastError;
    private final String correlationId;
    private final String idempotencyKey;
    private final String ref;

    /**
     * @param sink           the sink name
     * @param version        the version the sink must reach (0 when the store learns it only on delivery)
     * @param dueAt          when recovery may deliver it
     * @param attempts       recovery attempts made so far
     * @param firstError     the first failure's description, may be null
     * @param lastError      the last failure's description, may be null
     * @param correlationId  the correlation id of the write that recorded it, may be null
     * @param idempotencyKey the caller's idempotency key for that write, may be null (then the default key applies)
     * @param ref            an opaque reference the store needs to acknowledge it, may be null
     */
    public Intent(String sink, long version, Instant dueAt, int attempts, String firstError, String lastError,
                  String correlationId, String idempotencyKey, String ref) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.version = version;
        this.dueAt = Objects.requireNonNull(dueAt, "dueAt");
        this.attempts = attempts;
        this.firstError = firstError;
        this.lastError = lastError;
        this.correlationId = correlationId;
        this.idempotencyKey = idempotencyKey;
        this.ref = ref;
    }

    /** @return the sink name */
    public String sink() {
        return sink;
    }

    /** @return the version the sink must reach */
    public long version() {
        return version;
    }

    /** @return when recovery may deliver it */
    public Instant dueAt() {
        return dueAt;
    }

    /** @return recovery attempts made so far */
    public int attempts() {
        return attempts;
    }

    /** @return the first failure's description */
    public Optional<String> firstError() {
        return Optional.ofNullable(firstError);
    }

    /** @return the last failure's description */
    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** @return the correlation id of the write that recorded it */
    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    /** @return the caller's idempotency key of the write that recorded it */
    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    /** @return the store's opaque reference, if it uses one */
    public Optional<String> ref() {
        return Optional.ofNullable(ref);
    }

    /**
     * @param nextDue   when to try again
     * @param attempts  the new attempt count
     * @param lastError the failure's description
     * @return a copy after a failed attempt
     */
    public Intent failedAttempt(Instant nextDue, int attempts, String lastError) {
        return new Intent(sink, version, nextDue, attempts, firstError == null ? lastError : firstError, lastError,
                correlationId, idempotencyKey, ref);
    }

    /**
     * @param intents pending intents
     * @return the earliest due time among them, or null when there are none
     */
    public static Instant earliestDue(java.util.Collection<Intent> intents) {
        Instant min = null;
        for (Intent i : intents) {
            if (min == null || i.dueAt().isBefore(min)) {
                min = i.dueAt();
            }
        }
        return min;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Intent)) {
            return false;
        }
        Intent i = (Intent) o;
        return version == i.version && attempts == i.attempts && sink.equals(i.sink) && dueAt.equals(i.dueAt)
                && Objects.equals(firstError, i.firstError) && Objects.equals(lastError, i.lastError)
                && Objects.equals(correlationId, i.correlationId) && Objects.equals(idempotencyKey, i.idempotencyKey)
                && Objects.equals(ref, i.ref);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sink, version, dueAt, attempts);
    }

    @Override
    public String toString() {
        return "Intent{" + sink + "@" + version + " due " + dueAt + ", attempts=" + attempts + "}";
    }
}
