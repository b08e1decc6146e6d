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

/**
 * Metric names of the relays (Micrometer), tagged {@value #TAG_RELAY} (the relay's name) and
 * {@value #TAG_COLLECTION}. Thread-safe (constants only).
 */
public final class RelayMetrics {
    /**
     * Counter: entities the change-stream relay finished with, delivered to every sink or
     * dead-lettered where they could not be (one per distinct id per batch, or per retry).
     */
    public static final String CHANGES = "dualwrite.relay.changes";
    /** Counter: change events read from the stream. */
    public static final String EVENTS_READ = "dualwrite.relay.events.read";
    /** Counter: change events that named no {@code _id} and could not be attributed to an entity. */
    public static final String UNIDENTIFIED = "dualwrite.relay.events.unidentified";
    /** Counter: lost resume points (gaps) detected; each one triggers a resync. Alert on any increase. */
    public static final String GAPS = "dualwrite.relay.gaps";
    /**
     * Counter: deliveries of a change to a sink that failed transiently (or could not be made: an
     * open circuit); each waits with the checkpoint and is tried again with backoff.
     */
    public static final String DEFERRED = "dualwrite.relay.deferred";
    /**
     * Counter: changes the change-stream relay gave up on for a sink, after a permanent failure or
     * once their attempts were spent; each is in the writer's dead-letter store. Alert on any increase.
     */
    public static final String DEAD_LETTERED = "dualwrite.relay.dead_lettered";
    /** Gauge: changes waiting with the change-stream relay's checkpoint for another attempt ({@link DeferredChange}). */
    public static final String WAITING = "dualwrite.relay.waiting";
    /** Counter: events the embedded-event relay published, tagged {@value #TAG_SINK}. */
    public static final String EVENTS_PUBLISHED = "dualwrite.events.published";
    /** Counter: events the embedded-event relay could not publish yet (transient) or dead-lettered, tagged {@value #TAG_OUTCOME}. */
    public static final String EVENTS_FAILED = "dualwrite.events.failed";
    /** Tag: the relay's name. */
    public static final String TAG_RELAY = "relay";
    /** Tag: the collection. */
    public static final String TAG_COLLECTION = "collection";
    /** Tag: the sink. */
    public static final String TAG_SINK = "sink";
    /** Tag: an outcome. */
    public static final String TAG_OUTCOME = "outcome";

    private RelayMetrics() {
    }
}
