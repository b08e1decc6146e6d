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

import io.dualwrite.UnreadableEntityException;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the primary holds for one entity at one moment: its state and version (or a tombstone),
 * and the intents still pending. Immutable if the state is.
 *
 * @param <T> the entity type
 */
public final class Snapshot<T> {
    private final String id;
    private final long version;
    private final T state;
    private final Instant updatedAt;
    private final Map<String, Intent> pending;
    private final RuntimeException readFailure;

    /**
     * @param id        the entity id
     * @param version   its committed version, at least 1
     * @param state     its state, null when the entity is deleted (a tombstone)
     * @param updatedAt when the version was committed
     * @param pending   the pending intents by sink name
     */
    public Snapshot(String id, long version, T state, Instant updatedAt, Map<String, Intent> pending) {
        this(id, version, state, updatedAt, pending, null);
    }

    private Snapshot(String id, long version, T state, Instant updatedAt, Map<String, Intent> pending,
                     RuntimeException readFailure) {
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.state = state;
        this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        this.pending = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(pending, "pending")));
        this.readFailure = readFailure;
    }

    /**
     * An entity whose state the store cannot read (a document its codec cannot decode), returned by
     * {@link PrimaryStore#claimDue} so that the coordinator dead-letters its intents instead of
     * claiming it again and again, listed by {@link PrimaryStore#scan} and carried by the
     * {@link UnreadableEntityException} of {@link PrimaryStore#read}: it has no state and is not a
     * tombstone.
     *
     * @param id          the entity id
     * @param version     its committed version
     * @param updatedAt   when the version was committed
     * @param pending     the pending intents by sink name
     * @param readFailure why the state cannot be read
     * @param <T>         the entity type
     * @return the snapshot
     */
    public static <T> Snapshot<T> unreadable(String id, long version, Instant updatedAt, Map<String, Intent> pending,
                                             RuntimeException readFailure) {
        return new Snapshot<>(id, version, null, updatedAt, pending, Objects.requireNonNull(readFailure, "readFailure"));
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version */
    public long version() {
        return version;
    }

    /** @return the state, empty for a tombstone */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /** @return true when the entity is deleted and this is its tombstone */
    public boolean deleted() {
        return state == null && readFailure == null;
    }

    /** @return why the state cannot be read, for a snapshot made by {@link #unreadable}; empty otherwise */
    public Optional<RuntimeException> readFailure() {
        return Optional.ofNullable(readFailure);
    }

    /** @return when the version was committed */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the intents still pending, by sink name; unmodifiable */
    public Map<String, Intent> pending() {
        return pending;
    }

    @Override
    public String toString() {
        return "Snapshot{" + id + "@" + version + (deleted() ? " deleted" : "") + (readFailure != null ? " unreadable" : "")
                + ", pending=" + pending.keySet() + "}";
    }
}
