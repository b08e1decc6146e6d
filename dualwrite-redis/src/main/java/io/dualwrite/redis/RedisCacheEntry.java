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
package io.dualwrite.redis;

import java.util.Objects;
import java.util.Optional;

/**
 * What the Redis cache holds for one entity: a version and either the state or a tombstone.
 * Immutable; thread-safe if the state is.
 *
 * @param <T> the entity type
 */
public final class RedisCacheEntry<T> {
    private final long version;
    private final T state;

    RedisCacheEntry(long version, T state) {
        this.version = version;
        this.state = state;
    }

    /** @return the version held (of the live state or of the delete) */
    public long version() {
        return version;
    }

    /** @return true when the entry is a tombstone left by a delete */
    public boolean deleted() {
        return state == null;
    }

    /** @return the cached state, empty for a tombstone */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RedisCacheEntry)) {
            return false;
        }
        RedisCacheEntry<?> e = (RedisCacheEntry<?>) o;
        return version == e.version && Objects.equals(state, e.state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, state);
    }

    /** Version and liveness only: the state may hold personal data. */
    @Override
    public String toString() {
        return (deleted() ? "tombstone@" : "live@") + version;
    }
}
