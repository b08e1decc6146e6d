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
package io.dualwrite.mongo.events;

import com.mongodb.client.MongoCollection;
import io.dualwrite.spi.Sink;

import java.time.Duration;

/**
 * Publishes the events {@link EmbeddedEvents} recorded in an entity collection's documents.
 *
 * <p>Each pass claims documents whose events are due (an indexed query on
 * {@value EmbeddedEvents#DUE_PATH}) with a lease, so several relays share the work and never
 * publish one entity at the same time (a delivery starts only while the lease has room for it and
 * for the relays' clock skew, {@link EmbeddedEventRelayBuilder#maxClockSkew}); publishes each entity's events in version order to every
 * event sink, one {@link Sink#apply} at a time; records per sink the last version published; and
 * removes the events every sink has (a tombstone whose events and intents are all gone leaves the
 * collection). A relay that dies mid-entity leaves its lease to expire; the next relay resumes
 * after the last version recorded as published, so an event may be published again but never
 * skipped: consumers deduplicate by the envelope's id or by {@code entityversion}.
 *
 * <p>Whatever a sink throws for an event is that event's own failure, an {@link Error} included;
 * only the JVM's fatal errors ({@link io.dualwrite.ErrorClassifier#isFatal}) propagate, and the
 * document waits for its lease to run out. A transient failure stops that sink at the failed event
 * and retries it later with exponential backoff and jitter (other sinks and other entities go on).
 * Attempts are counted per event and sink and kept in the document, so they survive a restart and a
 * later event of the same entity starts its own count. A permanent failure (an {@code Error} always
 * is one, whatever the sink's classifier says), or a transient one whose attempts are spent, puts
 * the event in the dead-letter store (entity, version, sink, attempts, first and last error) and
 * that sink moves past it. A relay that dies after storing a dead letter and before recording the
 * move tries the event once more on the next claim: it is published, or dead-lettered again (the
 * store merges the two), so nothing is skipped unseen.
 *
 * <pre>{@code
 * EmbeddedEventRelay relay = EmbeddedEventRelay.builder(products)
 *         .entityType("product")
 *         .sink("audit", auditSink)
 *         .deadLetterStore(deadLetters)
 *         .build();
 * relay.start();
 * }</pre>
 *
 * Thread-safe.
 */
public interface EmbeddedEventRelay extends AutoCloseable {
    /** Default most documents claimed per pass. */
    int DEFAULT_BATCH_SIZE = 100;
    /** Default lease on a claimed document. */
    Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** Default wait between passes that found nothing. */
    Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(200);
    /** Default publishing attempts of one event at one sink before it is dead-lettered. */
    int DEFAULT_MAX_ATTEMPTS = 10;
    /** Default first retry delay. */
    Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    /** Default longest retry delay. */
    Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
    /** Default bound on how far the clocks of relays sharing a collection disagree. */
    Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(2);
    /**
     * What a lease must hold beyond a sink's longest delivery and the clock skew: the claim itself (the lease is
     * counted from before it), so that a relay that claims a document always has room to start a delivery.
     */
    Duration LEASE_HEADROOM = Duration.ofSeconds(1);

    /**
     * @param collection the entity collection whose store records events, with its codec registry
     * @param <T>        the entity type
     * @return a new builder
     */
    static <T> EmbeddedEventRelayBuilder<T> builder(MongoCollection<T> collection) {
        return new EmbeddedEventRelayBuilder<>(collection);
    }

    /**
     * One pass: claims up to the batch size of documents whose events are due, publishes and
     * removes their events.
     *
     * @return events published (counting each sink)
     * @throws IllegalStateException when closed
     */
    int publishDue();

    /**
     * Runs passes until one publishes nothing.
     *
     * @param maxPasses the most passes, at least 1
     * @return events published in all
     */
    long drain(int maxPasses);

    /** @return documents holding undelivered events (due or not) */
    long backlog();

    /** Starts a daemon thread running passes, waiting the poll interval after an empty one. Idempotent. */
    void start();

    /** Stops the thread after its current pass. Idempotent. */
    @Override
    void close();
}
