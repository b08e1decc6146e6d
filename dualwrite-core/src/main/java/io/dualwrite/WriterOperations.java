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

import io.dualwrite.spi.Snapshot;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operational handle of a {@link DualWriter} ({@link DualWriter#operations()}): what the
 * recovery worker, the reconciler, the relays and operators' tools ask of the writer besides the
 * application's own writes. Thread-safe, like its writer.
 *
 * @param <T> the entity type
 */
public interface WriterOperations<T> {

    /** @return the writer's entity type */
    String entityType();

    /** @return the writer's registered sink names, in registration order */
    List<String> sinkNames();

    /** @return the operator's view of the writer's dead letters */
    DeadLetters deadLetters();

    /** Writes every queued acknowledgement to the primary now. */
    void flushAcknowledgements();

    /**
     * @param id the entity id, not null
     * @return the primary's snapshot of it, with its pending intents (a tombstone while a delete is
     *         pending), empty when it holds nothing
     * @throws io.dualwrite.UnreadableEntityException when the primary cannot decode it
     */
    Optional<Snapshot<T>> snapshot(String id);

    /**
     * Runs one recovery pass: claims a batch of entities whose intents are due, delivers their
     * current state to the pending sinks (one bulk call per sink), acknowledges what succeeded,
     * reschedules transient failures with exponential backoff and dead-letters permanent ones and
     * those out of attempts.
     *
     * @return the pass's figures; {@link RecoveryReport#claimed()} is 0 when nothing was due
     */
    RecoveryReport recoverDue();

    /**
     * Asks the primary how many entities have pending intents (and refreshes the
     * {@value DualWriteMetrics#RECOVERY_BACKLOG} gauge, which otherwise each recovery pass refreshes).
     *
     * @return entities with at least one pending intent
     */
    long backlog();

    /**
     * Asks the primary when the oldest pending intent fell (or falls) due: the write's time plus
     * the grace period, moved on by each rescheduling. How long ago that was is the age of the
     * oldest undelivered change that recovery should already have taken over.
     *
     * @return the earliest due time among pending intents, empty when nothing is pending
     */
    Optional<Instant> oldestDue();

    /**
     * Delivers the primary's current state of the given entities to one sink, through that sink's
     * channel (its retry-free batch path, circuit breaker, bulkhead and time limit), as recovery
     * does: a live entity is sent as an UPSERT and a tombstone as a DELETE, each at the version the
     * primary holds now, so a sink that already holds that version or a newer one stays as it is.
     * A delivered change acknowledges the sink's pending intent; a permanent failure is
     * dead-lettered; a transient one leaves everything as it was. Used by reconciliation.
     *
     * @param sink a registered sink name, not null
     * @param ids  entity ids, not null, no null element; duplicates are delivered once
     * @return one outcome per distinct id, in the given order: {@link SinkOutcome#APPLIED},
     *         {@link SinkOutcome#DEFERRED} (transient failure), {@link SinkOutcome#DEAD_LETTERED}, or
     *         {@link SinkOutcome#SKIPPED} when the primary does not hold the id, the sink is a SHADOW
     *         sink or the id is outside the sink's ramp
     * @throws IllegalArgumentException      if the sink is not registered
     * @throws IllegalStateException         if the writer is closed
     */
    Map<String, SinkOutcome> redeliver(String sink, Collection<String> ids);

    /**
     * Delivers like {@link #redeliver(String, Collection)}, for a caller that retries on its own
     * schedule and keeps each entity's failed attempts between calls (the change-stream relay), so
     * that a transient failure is retried a bounded number of times instead of for ever. For each id
     * the caller passes back what the previous call returned for it, if anything: when that was a
     * {@link SinkOutcome#DEFERRED} of the version the primary still holds, this call goes on
     * counting from it; otherwise (a newer version, or nothing earlier) the count starts again. A
     * transient failure or an unknown outcome counts one attempt when the sink received the call
     * (an open circuit or a full bulkhead counts none); once the count reaches {@code maxAttempts}
     * the change is dead-lettered as recovery dead-letters an intent whose attempts are spent: with
     * its version, attempts, kind and first and last error, the sink's pending intent acknowledged.
     * A permanent failure is dead-lettered at once, as by {@link #redeliver(String, Collection)}.
     *
     * @param sink        a registered sink name, not null
     * @param ids         entity ids, not null, no null element; duplicates are delivered once
     * @param earlier     the previous outcomes by id, not null (empty when there are none); entries for
     *                    ids not in {@code ids} are ignored
     * @param maxAttempts the most attempts of one version of an entity, at least 1
     * @return one redelivery per distinct id, in the given order
     * @throws IllegalArgumentException      if the sink is not registered or maxAttempts is below 1
     * @throws IllegalStateException         if the writer is closed
     */
    Map<String, Redelivery> redeliver(String sink, Collection<String> ids, Map<String, Redelivery> earlier,
                                              int maxAttempts);

    /**
     * Removes from one sink entities that the primary does not hold alive (orphans), through the
     * sink's channel like {@link #redeliver}. Each id is re-read from the primary first: an id the
     * primary holds alive is left alone ({@link SinkOutcome#SKIPPED}), unless the sink must not hold
     * it ({@link Reach#REMOVES}) and holds an older version than the primary's, which a DELETE at
     * the primary's version then removes (at the version the sink holds, no delete can remove it
     * without barring the entity's next write: {@link #rewrite} does that). Otherwise the sink is sent
     * a DELETE whose version is the larger of {@code heldVersion + 1} and the primary's tombstone
     * version, if any: the smallest version a version-guarded sink must accept, and far below the
     * first version of any later re-creation ({@link Versions#firstVersion}), which therefore
     * still wins over the tombstone the sink keeps.
     *
     * @param sink         a registered sink name, not null
     * @param heldVersions for each orphan id, the version the sink holds for it; not null
     * @return one outcome per id, in the map's iteration order
     * @throws IllegalArgumentException      if the sink is not registered or a version is below 1 or at {@link Long#MAX_VALUE}
     * @throws IllegalStateException         if the writer is closed
     */
    Map<String, SinkOutcome> removeOrphans(String sink, Map<String, Long> heldVersions);

    /**
     * The change this writer sends a sink for a snapshot of the primary: exactly what
     * {@link #redeliver} sends (an UPSERT of the snapshot's state, or a DELETE for a tombstone, at
     * the snapshot's version, with the sink's schema version). Computation only: touches neither
     * the primary nor the sink. Used by reconciliation to compute what a sink should hold.
     *
     * @param sink     a registered sink name, not null
     * @param snapshot a snapshot the primary holds, not null
     * @return the change
     * @throws IllegalArgumentException      if the sink is not registered
     */
    Change<T> changeFor(String sink, Snapshot<T> snapshot);

    /**
     * Commits the primary's current state of an entity again, unchanged, as a new version, and
     * delivers it like {@link DualWriter#save(Object, WriteOptions)} with an expected version: one atomic
     * primary write with an intent for every sink, then every SYNC and REQUIRED sink in parallel.
     * A sink that holds the entity's current version with the wrong content refuses that version
     * again (its guard sees nothing new); the next version it takes. Used by reconciliation to
     * repair content drift; needs no id function, since the id is given.
     *
     * @param id              the entity id, not null
     * @param expectedVersion the version the caller compared: the rewrite commits only while the
     *                        primary still holds a live entity at exactly that version
     * @return the committed version (one more than {@code expectedVersion}) and each sink's outcome
     * @throws VersionConflictException      if the entity moved on, was deleted or is absent: nothing
     *                                       was written
     * @throws UnsupportedOperationException if the primary store cannot commit a write of its own
     *                                       (write-ahead mode, whose writes are the caller's own;
     *                                       {@link io.dualwrite.spi.PrimaryStore#supportsCompensation()}
     *                                       is false)
     * @throws PrimaryWriteException         if the primary failed (no sink is touched)
     * @throws RequiredSinkFailedException   if a REQUIRED sink failed and the write was compensated
     * @throws IllegalStateException         if the writer is closed
     */
    WriteResult rewrite(String id, long expectedVersion);

    /** What a sink is to hold of an entity that the primary holds alive. Thread-safe (an enum). */
    enum Reach {
        /** The sink is to hold the entity's current version: it is within the sink's ramp. */
        HOLDS,
        /**
         * The sink must not hold the entity: it left the sink's lowered ramp
         * ({@link SinkSettings#rampDownFrom}), and its changes reach the sink as deletes.
         */
        REMOVES,
        /**
         * The entity is none of the sink's business: outside its ramp and wherever the ramp ever
         * was, the sink receives nothing of it, and what it may hold is left alone.
         */
        IGNORES
    }

    /**
     * What one sink is to hold of an entity while the primary holds it alive, by the sink's ramp.
     * Computation only. Used by reconciliation, which compares a sink only with what it is to hold.
     *
     * @param sink a registered sink name, not null
     * @param id   an entity id, not null
     * @return what the sink is to hold of it; {@link Reach#HOLDS} for a sink without ramps
     * @throws IllegalArgumentException if the sink is not registered
     */
    Reach reach(String sink, String id);
}
