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

import io.dualwrite.Change;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * An optional extension of a {@link ReconcilableSink} that can say <em>what</em> it holds, not
 * only at which version, so reconciliation can find content drift at equal versions: a codec
 * round trip that changed the state, a value written to the destination by hand, a mapping bug
 * fixed since. A version guard keeps such content for ever, and a comparison of versions sees
 * nothing; with {@link io.dualwrite.reconcile.ReconcilerBuilder#compareContent(boolean)} on, the
 * reconciler compares, for every id whose versions are equal, the digest of what the sink holds
 * ({@link #contentDigestsOf}) with the digest of what it would hold for the primary's current
 * state ({@link #expectedContentDigest}).
 *
 * <p>What an implementation must guarantee (the testkit's sink contract proves each point on the
 * real destination):
 * <ul>
 *   <li><b>Round trip.</b> Right after the sink applied an upsert {@code c}, and as long as
 *       nobody else writes the entity, {@code contentDigestsOf([c.id()]).get(c.id())} equals
 *       {@code expectedContentDigest(c)}.</li>
 *   <li><b>Equal content, equal digest.</b> Two holdings with the same content have the same
 *       digest, whatever the order of fields, the whitespace, the number formatting or the
 *       encoding the destination returns them in: digest a canonical form (for JSON,
 *       {@link ContentDigest#ofJson(String)}), never the bytes as read.</li>
 *   <li><b>Different content, different digest</b>, but for the collisions of a cryptographic
 *       hash (SHA-256 with the factories of {@link ContentDigest}): a change to any value the sink
 *       stores for the entity changes the digest.</li>
 *   <li><b>Stable.</b> The same content gives the same digest in every process and run, on every
 *       machine and Java version: no {@code hashCode}, identity, {@code HashMap} order, random
 *       seed, locale or time zone may enter it.</li>
 *   <li><b>Content only.</b> The digest covers what the sink stores from the entity (its state,
 *       id and type, as mapped), not the version (compared separately) nor what varies between
 *       deliveries of the same state: the change's time, correlation id and idempotency key.</li>
 *   <li><b>The sink's own mapping, without I/O.</b> {@link #expectedContentDigest} runs exactly
 *       the mapping {@link #apply} runs (for a {@link MappingSink}, {@code map(change)} with the
 *       same mapper and settings), touches no destination, is deterministic, and throws where that
 *       mapping throws.</li>
 *   <li><b>Live entities only.</b> {@link #contentDigestsOf} reports what {@link #versionsOf}
 *       reports: live entities, tombstones and absent ids omitted.</li>
 * </ul>
 * Comparing content reads every compared entity's content from the destination: one
 * {@link #contentDigestsOf} call per chunk of ids, as {@link #versionsOf}. Thread-safe like every
 * {@link Sink}.
 *
 * @param <T> the entity type
 */
public interface ContentDigestingSink<T> extends ReconcilableSink<T> {

    /**
     * Digests what the sink holds for each id.
     *
     * @param ids entity ids, never null
     * @return for each id the sink holds a live entity for, the digest of its content; ids the sink
     *         does not hold, or holds only as a tombstone, are absent
     * @throws Exception when the sink cannot be read; classified by {@link #classifier()}
     */
    Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception;

    /**
     * Digests what the sink would hold after applying an upsert, computed locally with the sink's
     * own mapping and no I/O.
     *
     * @param change an UPSERT change, never null
     * @return the digest {@link #contentDigestsOf} reports once the sink holds that change
     * @throws IllegalArgumentException if the change is a DELETE
     * @throws Exception                when the change cannot be mapped, as {@link #apply} would fail
     */
    ContentDigest expectedContentDigest(Change<T> change) throws Exception;

    /**
     * The check every {@link #expectedContentDigest} starts with.
     *
     * @param change a change, not null
     * @param <T>    the entity type
     * @return the change, when it is an UPSERT
     * @throws IllegalArgumentException if it is a DELETE, which has no content
     */
    static <T> Change<T> requireUpsert(Change<T> change) {
        Objects.requireNonNull(change, "change");
        if (change.isDelete()) {
            throw new IllegalArgumentException("a DELETE has no content: " + change.idempotencyKey());
        }
        return change;
    }
}
