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

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;

import java.util.List;
import java.util.Optional;

/**
 * Where deliveries that cannot succeed wait for an operator. Implemented by
 * {@code dualwrite-mongo} (durable) and {@link io.dualwrite.memory.InMemoryDeadLetterStore}.
 * Implementations must be thread-safe and durable before {@link #add} returns: the coordinator
 * removes the intent only after that.
 */
public interface DeadLetterStore {

    /**
     * Stores a dead letter; if one with the same {@link DeadLetter#id()} exists, stores
     * {@code existing.mergeWith(deadLetter)} instead.
     *
     * @param deadLetter the dead letter, never null
     */
    void add(DeadLetter deadLetter);

    /**
     * @param query the filter, never null
     * @return the matching dead letters, oldest first (by creation time, then id), at most {@code query.limit()}
     */
    List<DeadLetter> list(DeadLetterQuery query);

    /**
     * @param id a dead letter id
     * @return the dead letter, if present
     */
    Optional<DeadLetter> get(String id);

    /**
     * @param id a dead letter id
     * @return true if it was present and is now removed
     */
    boolean remove(String id);

    /**
     * Removes a dead letter only while it is about {@code version} or an older one: a replay that
     * delivered a version must not remove the dead letter of a newer version that failed meanwhile
     * (it is merged into the same record). The default reads, then removes; a store that can should
     * do it in one atomic, conditional step.
     *
     * @param id      a dead letter id
     * @param version the version just delivered
     * @return true if it was present, about that version or an older one, and is now removed
     */
    default boolean removeIfAtMost(String id, long version) {
        Optional<DeadLetter> d = get(id);
        return d.isPresent() && d.get().version() <= version && remove(id);
    }

    /**
     * Removes a dead letter only while it is exactly as it was read: an operator who discards or replays what they
     * saw must not remove a later failure merged into the same record meanwhile (the same version failing again adds
     * attempts and a new failure time). The default reads, then removes; a store that can should do it in one atomic,
     * conditional step.
     *
     * @param seen the dead letter as it was read
     * @return true if it was present and unchanged, and is now removed
     */
    default boolean removeIfUnchanged(DeadLetter seen) {
        java.util.Objects.requireNonNull(seen, "seen");
        Optional<DeadLetter> d = get(seen.id());
        return d.isPresent() && d.get().equals(seen) && remove(seen.id());
    }

    /** @return how many dead letters are stored */
    long count();

    /**
     * Where this store keeps the dead letters, for stores that live in a named database. Operators and their tools
     * (the command line) look for an application's dead letters beside its entities, so a writer refuses a
     * dead-letter store whose database is not its primary's ({@link PrimaryStore#database()}).
     *
     * @return the database's name; empty (the default) when the store has none
     */
    default Optional<String> database() {
        return Optional.empty();
    }
}
