package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import io.dualwrite.DualWriter;
import io.dualwrite.WriterOperations;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.relay.internal.DefaultChangeStreamRelay;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

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
    static <T> Builder<T> builder(MongoCollection<?> collection, DualWriter<T> writer, MongoPrimaryStore<T> primary) {
        return new Builder<>(collection, writer, primary);
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

    /**
     * Builds a {@link ChangeStreamRelay}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    final class Builder<T> {
        private final MongoCollection<BsonDocument> collection;
        private final DualWriter<T> writer;
        private final MongoPrimaryStore<T> primary;
        private String name;
        private MongoCollection<BsonDocument> checkpoints;
        private List<String> sinks;
        private IdType idType = IdType.STRING;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private Duration minBackoff = DEFAULT_MIN_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration retryInitialBackoff = DEFAULT_RETRY_INITIAL_BACKOFF;
        private Duration retryMaxBackoff = DEFAULT_RETRY_MAX_BACKOFF;
        private GapHandler gapHandler;
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();
        private Clock clock = Clock.systemUTC();
        private UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> cursorDecorator =
                UnaryOperator.identity();
        private Checkpoint replayCheckpoint;
        private Instant replayTime;

        private Builder(MongoCollection<?> collection, DualWriter<T> writer, MongoPrimaryStore<T> primary) {
            this.collection = Objects.requireNonNull(collection, "collection").withDocumentClass(BsonDocument.class);
            this.writer = Objects.requireNonNull(writer, "writer");
            this.primary = Objects.requireNonNull(primary, "primary");
        }

        /**
         * @param name the relay's name, the id of its checkpoint; default the collection's name
         * @return this
         */
        public Builder<T> name(String name) {
            Objects.requireNonNull(name, "name");
            Args.notBlank(name, "name");
            this.name = name;
            return this;
        }

        /**
         * @param checkpoints where checkpoints and gaps are kept; required (or {@link #checkpoints(MongoDatabase)})
         * @return this
         */
        public Builder<T> checkpoints(MongoCollection<?> checkpoints) {
            this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints").withDocumentClass(BsonDocument.class);
            return this;
        }

        /**
         * @param database keep checkpoints and gaps in its {@value ChangeStreamRelay#DEFAULT_CHECKPOINT_COLLECTION}
         * @return this
         */
        public Builder<T> checkpoints(MongoDatabase database) {
            return checkpoints(Objects.requireNonNull(database, "database").getCollection(DEFAULT_CHECKPOINT_COLLECTION));
        }

        /**
         * @param names the writer's sinks to feed; default all of {@link DualWriter#sinkNames()}
         * @return this
         */
        public Builder<T> sinks(String... names) {
            Objects.requireNonNull(names, "names");
            if (names.length == 0) {
                throw new IllegalArgumentException("name at least one sink");
            }
            this.sinks = List.of(names);
            return this;
        }

        /**
         * @param idType how ids are stored in {@code _id}, as for the store; default {@link IdType#STRING}
         * @return this
         */
        public Builder<T> idType(IdType idType) {
            this.idType = Objects.requireNonNull(idType, "idType");
            return this;
        }

        /**
         * @param size most change events per batch, at least 1; default {@value ChangeStreamRelay#DEFAULT_BATCH_SIZE}
         * @return this
         */
        public Builder<T> batchSize(int size) {
            Args.atLeast(size, 1, "batchSize");
            this.batchSize = size;
            return this;
        }

        /**
         * The polling thread's waits after an empty poll or a failed one (doubling from min to max).
         *
         * @param min shortest wait, positive; default 20 ms
         * @param max longest wait, not below min; default 1 s
         * @return this
         */
        public Builder<T> backoff(Duration min, Duration max) {
            Objects.requireNonNull(min, "min");
            Objects.requireNonNull(max, "max");
            if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
                throw new IllegalArgumentException("need 0 < min <= max, got " + min + " and " + max);
            }
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /**
         * How a change that a sink failed transiently is tried again: each wait doubles from
         * {@code initial} up to {@code max}, spread by ±50 % derived from the entity, the sink and
         * the attempt; once one version of an entity has failed {@code maxAttempts} times at a sink
         * it is dead-lettered.
         *
         * @param maxAttempts attempts of one version of an entity at one sink, at least 1; default
         *                    {@value ChangeStreamRelay#DEFAULT_MAX_ATTEMPTS}
         * @param initial     the wait after the first failure, positive; default 1 s
         * @param max         the longest wait, not below initial; default 5 min
         * @return this
         */
        public Builder<T> retry(int maxAttempts, Duration initial, Duration max) {
            RetryBackoff.check(maxAttempts, initial, max);
            this.maxAttempts = maxAttempts;
            this.retryInitialBackoff = initial;
            this.retryMaxBackoff = max;
            return this;
        }

        /**
         * @param handler what to do about a lost resume point; default {@link GapHandler#resync} of the
         *                relay's sinks
         * @return this
         */
        public Builder<T> gapHandler(GapHandler handler) {
            this.gapHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * @param registry where the {@link RelayMetrics} go; default a private {@link SimpleMeterRegistry}
         * @return this
         */
        public Builder<T> meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param clock the clock of checkpoint and gap times and of the deferred changes' due times;
         *              default UTC system clock
         * @return this
         */
        public Builder<T> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Replay: on its first poll the relay replaces its stored checkpoint with this one and starts
         * there (for example a checkpoint read from another relay, to rebuild a new sink).
         *
         * @param checkpoint where to start, not null
         * @return this
         */
        public Builder<T> replayFrom(Checkpoint checkpoint) {
            this.replayCheckpoint = Objects.requireNonNull(checkpoint, "checkpoint");
            this.replayTime = null;
            return this;
        }

        /**
         * Replay: on its first poll the relay replaces its stored checkpoint with this operation time
         * ({@code startAtOperationTime}, second precision) and starts there. The oplog must still
         * hold that time, or the relay records a gap and resyncs.
         *
         * @param time where to start, not null
         * @return this
         */
        public Builder<T> replayFrom(Instant time) {
            this.replayTime = Objects.requireNonNull(time, "time");
            this.replayCheckpoint = null;
            return this;
        }

        /**
         * For tests and instrumentation: wraps every cursor the relay opens (for example to make it
         * throw the error of a lost resume point). Default: none.
         *
         * @param decorator returns the cursor to use, not null
         * @return this
         */
        public Builder<T> cursorDecorator(
                UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> decorator) {
            this.cursorDecorator = Objects.requireNonNull(decorator, "decorator");
            return this;
        }

        /**
         * @return the relay, not started
         * @throws IllegalArgumentException if a named sink is not registered with the writer
         * @throws IllegalStateException    if the writer has no sink or no checkpoint collection was set
         */
        public ChangeStreamRelay build() {
            List<String> feeds = sinks != null ? sinks : writer.sinkNames();
            if (feeds.isEmpty()) {
                throw new IllegalStateException("the writer has no sink for the relay to feed");
            }
            for (String s : feeds) {
                if (!writer.sinkNames().contains(s)) {
                    throw new IllegalArgumentException("sink " + s + " is not registered with the writer "
                            + writer.sinkNames());
                }
            }
            String relayName = name != null ? name : collection.getNamespace().getCollectionName();
            if (checkpoints == null) {
                throw new IllegalStateException("set the checkpoint collection: checkpoints(database) or checkpoints(collection)");
            }
            return new DefaultChangeStreamRelay<>(relayName, collection, checkpoints, writer, feeds, idType, batchSize,
                    minBackoff, maxBackoff, maxAttempts, retryInitialBackoff, retryMaxBackoff,
                    gapHandler != null ? gapHandler : GapHandler.resync(writer, primary, feeds),
                    meterRegistry, clock, cursorDecorator, replayCheckpoint, replayTime);
        }
    }
}
