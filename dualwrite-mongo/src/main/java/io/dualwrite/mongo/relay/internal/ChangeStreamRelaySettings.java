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
package io.dualwrite.mongo.relay.internal;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import io.dualwrite.DualWriter;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.mongo.relay.Checkpoint;
import io.dualwrite.mongo.relay.GapHandler;
import io.micrometer.core.instrument.MeterRegistry;
import org.bson.BsonDocument;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What a change-stream relay is built from, checked by its builder. Immutable (the collections, writer and registry
 * it names are the application's).
 *
 * @param name             the relay's name, the id of its checkpoint
 * @param watched          the entity collection whose change stream is read
 * @param checkpoints      the checkpoint collection
 * @param writer           the writer whose sinks the relay feeds
 * @param sinks            the sinks fed, each registered with the writer
 * @param idType           how ids are stored in {@code _id}
 * @param polling          how much is read at once and how long to wait when nothing is
 * @param maxAttempts      attempts of one version of an entity at one sink before it is dead-lettered
 * @param retryBackoff     the wait before a deferred change is tried again
 * @param gapHandler       what to do about a lost resume point
 * @param meters           where the relay's meters go
 * @param clock            the clock of due times and checkpoints
 * @param cursorDecorator  wraps each change-stream cursor the relay opens
 * @param replayCheckpoint a checkpoint to start from, or null
 * @param replayTime       a time to start at, or null
 * @param <T>              the entity type
 */
public record ChangeStreamRelaySettings<T>(String name, MongoCollection<BsonDocument> watched,
                                           MongoCollection<BsonDocument> checkpoints, DualWriter<T> writer,
                                           List<String> sinks, IdType idType, Polling polling, int maxAttempts,
                                           RetryBackoff retryBackoff, GapHandler gapHandler, MeterRegistry meters,
                                           Clock clock,
                                           UnaryOperator<MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>>>
                                                   cursorDecorator,
                                           Checkpoint replayCheckpoint, Instant replayTime) {
    /**
     * Copies the sinks.
     */
    public ChangeStreamRelaySettings {
        sinks = List.copyOf(sinks);
    }

    /**
     * How the relay reads its change stream.
     *
     * @param batchSize  the most change events per batch (one checkpoint per batch)
     * @param minBackoff the shortest wait after an empty poll or a failure
     * @param maxBackoff the longest wait after empty polls or failures
     */
    public record Polling(int batchSize, Duration minBackoff, Duration maxBackoff) {
    }
}
