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

import io.dualwrite.ErrorClassifier;
import io.dualwrite.UnreadableEntityException;
import io.dualwrite.VersionConflictException;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The primary store of one entity collection: the source of truth. Implemented by
 * {@code dualwrite-mongo} and by {@link io.dualwrite.memory.InMemoryPrimaryStore}.
 *
 * <p>Contract, proven by the testkit's primary-store contract test:
 * <ul>
 *   <li>{@link #commit} is atomic: the state, the new version and the intents become visible
 *       together or not at all, so no sink can ever be told about a write the primary did not
 *       commit, and no committed write lacks its intents.</li>
 *   <li>Versions start at {@link io.dualwrite.Versions#firstVersion(Instant)} for an entity
 *       that does not exist and grow by exactly one with every committed write, deletes and
 *       compensations included. A delete leaves a tombstone (a snapshot without state) that
 *       carries the version and the intents.</li>
 *   <li>{@link #acknowledge} removes a sink's intent only when the intent asks for the
 *       acknowledged version or an older one; a tombstone whose intents are all gone leaves
 *       the store for good.</li>
 *   <li>{@link #claimDue} hands an entity to at most one owner until the lease expires or the
 *       owner releases it.</li>
 * </ul>
 * Implementations must be thread-safe and safe to share between several processes.
 *
 * @param <T> the entity type
 */
public interface PrimaryStore<T> {

    /**
     * Commits a write atomically.
     *
     * @param write the write, never null
     * @return what was committed
     * @throws VersionConflictException      when {@link PrimaryWrite#expectedVersion()} does not match
     * @throws UnsupportedOperationException when the write carries a {@link PrimaryWrite#callerWrite()}
     *                                       and this store has no write-ahead mode, or the reverse
     * @throws RuntimeException              the store's own failure, classified by {@link #classifier()}
     */
    Committed<T> commit(PrimaryWrite<T> write);

    /**
     * @param id the entity id
     * @return the entity's current snapshot (a tombstone while a delete is pending), empty if absent
     * @throws UnreadableEntityException when the primary holds the entity but its state cannot be read
     */
    Optional<Snapshot<T>> read(String id);

    /**
     * Removes, for each acknowledgement, the sink's intent if it asks for the acknowledged version
     * or an older one, and the intent an {@link Ack#deadLettered dead-letter acknowledgement} names
     * by its ref, whatever its version; removes a tombstone once no intent is left. Missing entities
     * and intents are ignored.
     *
     * @param acks the acknowledgements, never null
     */
    void acknowledge(Collection<Ack> acks);

    /**
     * Claims up to {@code limit} entities that have an intent due at or before {@code now} and no
     * live lease, leasing each to {@code owner} until {@code now + lease}.
     *
     * @param now   the current time
     * @param limit the most entities to claim, at least 1
     * @param owner the claim's owner: the coordinator names each recovery pass apart (the worker's id, then the
     *              pass), so that a pass only ever ends leases it took itself
     * @param lease how long the claim holds
     * @return the claimed entities' snapshots with their pending intents, oldest due first; an entity whose
     *         state cannot be read is claimed as a {@link Snapshot#unreadable} snapshot (never an exception
     *         that would stop the claim of the others), so that its intents are dead-lettered
     */
    List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease);

    /**
     * Records failed recovery attempts: each given intent replaces the pending intent of its sink
     * if that one still asks for the same version (a newer write's intent is never touched).
     *
     * @param id      the entity id
     * @param updated the intents after the failed attempt
     */
    void reschedule(String id, Collection<Intent> updated);

    /**
     * Ends {@code owner}'s lease on the entity, if it still holds it.
     *
     * @param id    the entity id
     * @param owner the owner the claim was made for
     */
    void release(String id, String owner);

    /**
     * Ends {@code owner}'s leases on the entities, where it still holds them: what a recovery pass
     * does with the batch it claimed. The default releases them one by one; a store that can does it
     * in one command.
     *
     * @param ids   the entity ids, not null
     * @param owner the owner the claim was made for
     */
    default void releaseAll(Collection<String> ids, String owner) {
        for (String id : ids) {
            release(id, owner);
        }
    }

    /**
     * Lists snapshots in ascending {@link String#compareTo} order of id, tombstones included, for
     * reconciliation. An entity whose state cannot be read is listed as a {@link Snapshot#unreadable}
     * snapshot, so that one bad document never stops a walk over the others.
     *
     * @param afterExclusive the last id of the previous page, or null for the first page
     * @param limit          the page size, at least 1
     * @return at most {@code limit} snapshots
     */
    List<Snapshot<T>> scan(String afterExclusive, int limit);

    /** @return how many entities have at least one pending intent */
    long pendingCount();

    /** @return the earliest due time among pending intents, empty when none is pending */
    Optional<Instant> oldestDue();

    /**
     * @return true when the coordinator itself can write a before-image back as a new version
     *         (needed for {@link io.dualwrite.DeliveryPolicy#REQUIRED} sinks); false for a write-ahead
     *         store, whose writes are the caller's own. Default true.
     */
    default boolean supportsCompensation() {
        return true;
    }

    /**
     * Where this store keeps the entities, for stores that live in a named database. A writer refuses a dead-letter
     * store that names another database (see {@link DeadLetterStore#database()}).
     *
     * @return the database's name; empty (the default) when the store has none
     */
    default Optional<String> database() {
        return Optional.empty();
    }

    /** @return the classifier for this store's failures; default {@link ErrorClassifier#defaults()} */
    default ErrorClassifier classifier() {
        return ErrorClassifier.defaults();
    }
}
