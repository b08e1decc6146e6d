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
package io.dualwrite.testkit.contract;

import io.dualwrite.internal.Args;
import java.util.Objects;
import java.util.Optional;

/**
 * What a destination holds for one entity, as a contract test reads it back: a version, whether
 * the entity is live or only a tombstone, and, where the destination's representation can be
 * turned back into the entity type, the state. Immutable and thread-safe if the state is.
 *
 * @param <T> the entity type
 */
public final class Stored<T> {
    private final long version;
    private final boolean live;
    private final T state;

    private Stored(long version, boolean live, T state) {
        Args.atLeast(version, 1, "version");
        this.version = version;
        this.live = live;
        this.state = state;
    }

    /**
     * @param version the version the destination holds
     * @param state   the state read back, or null when the destination's form cannot be compared
     * @param <T>     the entity type
     * @return a live entity
     */
    public static <T> Stored<T> live(long version, T state) {
        return new Stored<>(version, true, state);
    }

    /**
     * @param version the version the destination holds, without a comparable state
     * @param <T>     the entity type
     * @return a live entity whose content is not compared
     */
    public static <T> Stored<T> live(long version) {
        return new Stored<>(version, true, null);
    }

    /**
     * @param version the tombstone's version
     * @param <T>     the entity type
     * @return a tombstone (the destination remembers the delete)
     */
    public static <T> Stored<T> deleted(long version) {
        return new Stored<>(version, false, null);
    }

    /** @return the version held */
    public long version() {
        return version;
    }

    /** @return true for a live entity, false for a tombstone */
    public boolean live() {
        return live;
    }

    /** @return the state read back, empty for a tombstone or when the destination's form is not comparable */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Stored)) {
            return false;
        }
        Stored<?> s = (Stored<?>) o;
        return version == s.version && live == s.live && Objects.equals(state, s.state);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, live, state);
    }

    /** Version and liveness only: the state may hold personal data. */
    @Override
    public String toString() {
        return (live ? "live@" : "deleted@") + version;
    }
}
