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
package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoCollection;
import io.dualwrite.DualWriter;
import io.dualwrite.WriterOperations;
import io.dualwrite.mongo.MongoPrimaryStore;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tails one entity collection's change stream and brings the writer's sinks to the current state
 * of every entity the stream says changed.
 *
 * <p>Each event only means "this entity changed": the relay reads the entity's current state and
 * version from the primary and delivers that through the writer's normal sink path
 * ({@link WriterOperations#redeliver}), version-guarded. It therefore does not depend on
 * {@code fullDocument}, on the operation type or on update descriptions (which differ across
 * servers and race with later writes), and a redelivery is harmless.
 *
 * <p>After each batch the resume token is written to the checkpoint collection; a restarted relay
 * resumes exactly there, so nothing is lost and a batch that was being delivered when the relay
 * died is delivered again (a harmless redelivery). A change that a sink failed transiently does not
 * hold the others back: it is written with the token, in the same single-document update, as a
 * {@link DeferredChange}, and tried again with exponential backoff and jitter while the relay reads
 * on. Its attempts are counted per entity, version and sink (an attempt the sink never received,
 * because its circuit was open, counts none; a newer version of the entity starts its own count);
 * once they are spent, or at once on a permanent failure (an {@code Error} a sink throws included),
 * the writer dead-letters it with its version and reason, as recovery does, and the relay forgets
 * it. A relay that dies between the dead letter and the checkpoint delivers or dead-letters the
 * change again after its restart (the dead-letter store merges the two); none is lost. While a full
 * batch of changes waits, the relay reads no further. When the server cannot resume (the
 * oplog rolled over: {@code ChangeStreamHistoryLost}, code 286; or a fatal change-stream error)
 * the relay neither crash-loops nor skips silently: it records the {@link Gap} in the checkpoint
 * collection, counts it ({@value RelayMetrics#GAPS}), logs one ERROR, runs the {@link GapHandler}
 * (a resync or a scoped reconciliation), and continues from the present.
 *
 * <pre>{@code
 * ChangeStreamRelay relay = ChangeStreamRelay.builder(productsCollection, writer, store)
 *         .checkpoints(database)                // keeps dualwrite_checkpoints there
 *         .name("products-to-search")           // the checkpoint's id
 *         .sinks("search")                      // default: every sink of the writer
 *         .build();
 * relay.start();                                // a daemon thread polling with backoff
 * ...
 * relay.close();
 * }</pre>
 *
 * Thread-safe: {@link #pollOnce()} calls are serialised. Run one relay per name at a time (two with
 * the same name deliver twice, harmlessly, and checkpoint over each other).
 */
public interface ChangeStreamRelay extends AutoCloseable {
    /** Default name of the checkpoint collection, in the watched collection's database. */
    String DEFAULT_CHECKPOINT_COLLECTION = "dualwrite_checkpoints";
    /** Default most change events per batch (one checkpoint per batch). */
    int DEFAULT_BATCH_SIZE = 200;
    /** Default shortest wait after an empty poll or a failure. */
    Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(20);
    /** Default longest wait after empty polls or failures. */
    Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(1);
    /** Default attempts of one version of an entity at one sink before it is dead-lettered. */
    int DEFAULT_MAX_ATTEMPTS = 10;
    /** Default wait before the second attempt of a deferred change. */
    Duration DEFAULT_RETRY_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Default longest wait between attempts of a deferred change. */
    Duration DEFAULT_RETRY_MAX_BACKOFF = Duration.ofMinutes(5);
    /**
     * Server error codes that mean the resume point is gone: 286 ChangeStreamHistoryLost,
     * 280 ChangeStreamFatalError, 136 CappedPositionLost.
     */
    Set<Integer> LOST_RESUME_POINT_CODES = Set.of(286, 280, 136);

    /**
     * @param collection the watched entity collection (any document class), not null
     * @param writer     the writer whose sinks the relay feeds, not null
     * @param primary    that writer's primary store (reads for the gap resync), not null
     * @param <T>        the entity type
     * @return a new builder
     */
    static <T> ChangeStreamRelayBuilder<T> builder(MongoCollection<?> collection, DualWriter<T> writer,
                                                   MongoPrimaryStore<T> primary) {
        return new ChangeStreamRelayBuilder<>(collection, writer, primary);
    }

    /**
     * Reads up to one batch from the stream, delivers the changed entities, and checkpoints;
     * first retries a batch or a gap resync left unfinished by an earlier call.
     *
     * <p>Also tries again the {@linkplain #deferred() deferred changes} that are due, and reads a new
     * batch only while fewer than a batch of them wait.
     *
     * @return distinct entities this call finished with: delivered to every sink, or dead-lettered where
     *         they could not be (0 when nothing new, or when every delivery was deferred)
     * @throws IllegalStateException when closed
     * @throws RuntimeException      a failure of the primary, the stream or a gap handler; the batch
     *                               and the checkpoint stay as they were, so the next call retries
     */
    int pollOnce();

    /**
     * Polls until a poll reads no change event and has nothing left to retry now (a batch whose
     * events name no entity does not end it; deferred changes whose backoff has not ended do).
     *
     * @param maxPolls the most polls, at least 1
     * @return entities delivered in all
     */
    long drain(int maxPolls);

    /** Starts a daemon thread that polls, backing off after empty polls and failures. Idempotent. */
    void start();

    /** @return the stored checkpoint, empty before the relay first opened its stream */
    Optional<Checkpoint> checkpoint();

    /**
     * @return the changes waiting for another attempt, as stored with the checkpoint, earliest due
     *         first (empty before the relay first stored one)
     */
    List<DeferredChange> deferred();

    /** @return the gaps recorded for this relay, oldest first */
    List<Gap> gaps();

    /** @return the relay's name */
    String name();

    /** Stops the thread (waiting for its current batch) and the cursor. Idempotent. */
    @Override
    void close();
}
