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
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the primary holds for an entity, as {@link DualWriter#read} tells it: its committed version,
 * its state (none for a deleted entity whose tombstone is still kept), and which sinks still wait
 * for it. Immutable and thread-safe when the state is.
 *
 * @param <T> the entity type
 */
public final class StoredEntity<T> {
    private final String id;
    private final long version;
    private final T state;
    private final Instant updatedAt;
    private final Set<String> pendingSinks;

    /**
     * @param id           the entity id
     * @param version      its committed version
     * @param state        its state, or null for a deleted entity
     * @param updatedAt    when that version was committed
     * @param pendingSinks the sinks that have not acknowledged it yet
     */
    public StoredEntity(String id, long version, T state, Instant updatedAt, Set<String> pendingSinks) {
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.state = state;
        this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        this.pendingSinks = Collections.unmodifiableSet(new LinkedHashSet<>(Objects.requireNonNull(pendingSinks,
                "pendingSinks")));
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version */
    public long version() {
        return version;
    }

    /** @return the state; empty for a deleted entity */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /** @return true when the entity is deleted (its tombstone is kept until every sink has the delete) */
    public boolean deleted() {
        return state == null;
    }

    /** @return when the version was committed */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the sinks that still wait for a version of this entity, in no particular order */
    public Set<String> pendingSinks() {
        return pendingSinks;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StoredEntity)) {
            return false;
        }
        StoredEntity<?> e = (StoredEntity<?>) o;
        return version == e.version && id.equals(e.id) && Objects.equals(state, e.state)
                && updatedAt.equals(e.updatedAt) && pendingSinks.equals(e.pendingSinks);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, version);
    }

    @Override
    public String toString() {
        return "StoredEntity{" + id + "@" + version + (deleted() ? " deleted" : "")
                + (pendingSinks.isEmpty() ? "" : ", pending " + pendingSinks) + "}";
    }
}
