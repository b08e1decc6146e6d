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
package io.dualwrite.mongo.events.internal;

import com.mongodb.client.MongoCollection;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.RetryBackoff;
import io.dualwrite.mongo.IdType;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an embedded-event relay is built from, checked by its builder. Immutable (the collection, sinks, stores and
 * registries it names are the application's).
 *
 * @param collection    the entity collection whose documents hold the events
 * @param entityType    the entity type of the changes
 * @param sinks         the event sinks, by name, in registration order
 * @param breakers      where the sinks' circuit breakers come from, or null for the relay's own
 * @param deadLetters   where events that cannot be published go
 * @param idType        how ids are stored in {@code _id}
 * @param passes        how documents are claimed and how often
 * @param maxAttempts   attempts per event and sink before it is dead-lettered
 * @param backoff       the wait before a failed event is tried again
 * @param schemaVersion the schema version the changes carry
 * @param clock         the clock of due times and leases
 * @param meters        where the relay's meters go
 * @param createIndexes whether to create the due index on start
 * @param <T>           the entity type
 */
public record EventRelaySettings<T>(MongoCollection<T> collection, String entityType, Map<String, EventSink<T>> sinks,
                                    CircuitBreakerRegistry breakers, DeadLetterStore deadLetters, IdType idType,
                                    Passes passes, int maxAttempts, RetryBackoff backoff, int schemaVersion,
                                    Clock clock, MeterRegistry meters, boolean createIndexes) {
    /**
     * Copies the sinks, keeping their order.
     */
    public EventRelaySettings {
        sinks = Collections.unmodifiableMap(new LinkedHashMap<>(sinks));
    }

    /**
     * One event sink and the settings of its delivery pipeline.
     *
     * @param sink     the sink
     * @param settings its time limit, retries within a pass, breaker and bulkhead
     * @param <T>      the entity type
     */
    public record EventSink<T>(Sink<T> sink, SinkSettings settings) {
    }

    /**
     * How a relay claims documents and how often it looks for them.
     *
     * @param owner        this relay's id in leases
     * @param lease        how long a claimed document stays this relay's
     * @param batchSize    the most documents claimed per pass
     * @param pollInterval the wait after a pass that found nothing
     * @param maxClockSkew how far the clocks of relays that share the collection may disagree
     */
    public record Passes(String owner, Duration lease, int batchSize, Duration pollInterval, Duration maxClockSkew) {
    }
}
