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

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import io.dualwrite.DualWriter;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.internal.OnPrimary;
import io.dualwrite.mongo.relay.internal.ChangeStreamRelaySettings;
import io.dualwrite.mongo.relay.internal.DefaultChangeStreamRelay;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Builds a {@link ChangeStreamRelay}. Not thread-safe.
 *
 * @param <T> the entity type
 */
public final class ChangeStreamRelayBuilder<T> {
    private final MongoCollection<BsonDocument> collection;
    private final DualWriter<T> writer;
    private final MongoPrimaryStore<T> primary;
    private String name;
    private MongoCollection<BsonDocument> checkpoints;
    private List<String> sinks;
    private IdType idType = IdType.STRING;
    private int batchSize = ChangeStreamRelay.DEFAULT_BATCH_SIZE;
    private Duration minBackoff = ChangeStreamRelay.DEFAULT_MIN_BACKOFF;
    private Duration maxBackoff = ChangeStreamRelay.DEFAULT_MAX_BACKOFF;
    private int maxAttempts = ChangeStreamRelay.DEFAULT_MAX_ATTEMPTS;
    private Duration retryInitialBackoff = ChangeStreamRelay.DEFAULT_RETRY_INITIAL_BACKOFF;
    private Duration retryMaxBackoff = ChangeStreamRelay.DEFAULT_RETRY_MAX_BACKOFF;
    private GapHandler gapHandler;
    private MeterRegistry meterRegistry = new SimpleMeterRegistry();
    private Clock clock = Clock.systemUTC();
    private UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>> cursorDecorator =
            UnaryOperator.identity();
    private Checkpoint replayCheckpoint;
    private Instant replayTime;

    ChangeStreamRelayBuilder(MongoCollection<?> collection, DualWriter<T> writer, MongoPrimaryStore<T> primary) {
        this.collection = Objects.requireNonNull(collection, "collection").withDocumentClass(BsonDocument.class);
        this.writer = Objects.requireNonNull(writer, "writer");
        this.primary = Objects.requireNonNull(primary, "primary");
    }

    /**
     * @param name the relay's name, the id of its checkpoint; default the collection's name
     * @return this
     */
    public ChangeStreamRelayBuilder<T> name(String name) {
        Objects.requireNonNull(name, "name");
        Args.notBlank(name, "name");
        this.name = name;
        return this;
    }

    /**
     * @param checkpoints where checkpoints and gaps are kept; required (or {@link #checkpoints(MongoDatabase)})
     * @return this
     */
    public ChangeStreamRelayBuilder<T> checkpoints(MongoCollection<?> checkpoints) {
        this.checkpoints = OnPrimary.of(Objects.requireNonNull(checkpoints, "checkpoints")
                .withDocumentClass(BsonDocument.class));
        return this;
    }

    /**
     * @param database keep checkpoints and gaps in its {@value ChangeStreamRelay#DEFAULT_CHECKPOINT_COLLECTION}
     * @return this
     */
    public ChangeStreamRelayBuilder<T> checkpoints(MongoDatabase database) {
        return checkpoints(Objects.requireNonNull(database, "database").getCollection(ChangeStreamRelay.DEFAULT_CHECKPOINT_COLLECTION));
    }

    /**
     * @param names the writer's sinks to feed; default all of {@link DualWriter#sinkNames()}
     * @return this
     */
    public ChangeStreamRelayBuilder<T> sinks(String... names) {
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
    public ChangeStreamRelayBuilder<T> idType(IdType idType) {
        this.idType = Objects.requireNonNull(idType, "idType");
        return this;
    }

    /**
     * @param size most change events per batch, at least 1; default {@value ChangeStreamRelay#DEFAULT_BATCH_SIZE}
     * @return this
     */
    public ChangeStreamRelayBuilder<T> batchSize(int size) {
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
    public ChangeStreamRelayBuilder<T> backoff(Duration min, Duration max) {
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
    public ChangeStreamRelayBuilder<T> retry(int maxAttempts, Duration initial, Duration max) {
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
    public ChangeStreamRelayBuilder<T> gapHandler(GapHandler handler) {
        this.gapHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * @param registry where the {@link RelayMetrics} go; default a private {@link SimpleMeterRegistry}
     * @return this
     */
    public ChangeStreamRelayBuilder<T> meterRegistry(MeterRegistry registry) {
        this.meterRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * @param clock the clock of checkpoint and gap times and of the deferred changes' due times;
     *              default UTC system clock
     * @return this
     */
    public ChangeStreamRelayBuilder<T> clock(Clock clock) {
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
    public ChangeStreamRelayBuilder<T> replayFrom(Checkpoint checkpoint) {
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
    public ChangeStreamRelayBuilder<T> replayFrom(Instant time) {
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
    public ChangeStreamRelayBuilder<T> cursorDecorator(
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
        Resync.requireRegistered(writer, feeds);
        String relayName = name != null ? name : collection.getNamespace().getCollectionName();
        if (checkpoints == null) {
            throw new IllegalStateException("set the checkpoint collection: checkpoints(database) or checkpoints(collection)");
        }
        return new DefaultChangeStreamRelay<>(new ChangeStreamRelaySettings<>(relayName, collection, checkpoints, writer,
                feeds, idType, new ChangeStreamRelaySettings.Polling(batchSize, minBackoff, maxBackoff), maxAttempts,
                new RetryBackoff(retryInitialBackoff, retryMaxBackoff),
                gapHandler != null ? gapHandler : GapHandler.resync(writer, primary, feeds),
                meterRegistry, clock, cursorDecorator, replayCheckpoint, replayTime));
    }
}
