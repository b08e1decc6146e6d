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

/**
 * Names and tag keys of every Micrometer meter dualwrite registers. Tags are low-cardinality
 * (entity type, sink, operation, outcome, policy); ids never appear in tags.
 */
public final class DualWriteMetrics {
    /**
     * Observation, and the timer its meter handler records: one write through the coordinator (tags:
     * type, operation, outcome, and the handler's error). No percentiles unless a meter filter asks.
     */
    public static final String WRITE = "dualwrite.write";
    /** Timer: one delivery to one sink, retries included (tags: type, sink, policy, outcome). */
    public static final String SINK_APPLY = "dualwrite.sink.apply";
    /** Counter: retries of sink calls (tags: type, sink). */
    public static final String SINK_RETRIES = "dualwrite.sink.retries";
    /** Counter: compensating writes after a REQUIRED sink failed (tags: type, sink). */
    public static final String COMPENSATIONS = "dualwrite.compensations";
    /** Counter: intents moved to the dead-letter store (tags: type, sink, kind). */
    public static final String DEAD_LETTERS = "dualwrite.dead_letters";
    /** Counter: intents handled by recovery (tags: type, sink, outcome). */
    public static final String RECOVERY_DELIVERIES = "dualwrite.recovery.deliveries";
    /** Gauge: entities with pending intents (tags: type, instance). */
    public static final String RECOVERY_BACKLOG = "dualwrite.recovery.backlog";
    /** Gauge: seconds since the oldest pending intent fell due, 0 when none (tags: type, instance). */
    public static final String RECOVERY_OLDEST_AGE = "dualwrite.recovery.oldest.age";
    /** Tag key: entity type. */
    public static final String TAG_TYPE = "type";
    /** Tag key: sink name. */
    public static final String TAG_SINK = "sink";
    /** Tag key: UPSERT or DELETE. */
    public static final String TAG_OPERATION = "operation";
    /** Tag key: outcome. */
    public static final String TAG_OUTCOME = "outcome";
    /** Tag key: delivery policy. */
    public static final String TAG_POLICY = "policy";
    /** Tag key: error kind. */
    public static final String TAG_KIND = "kind";
    /**
     * Tag key: the writer a gauge (and a breaker's meter, for a writer's own breaker registry) belongs to: its worker
     * id, or {@code <workerId>#2}, {@code #3}, ... while another open writer of the same entity type in this JVM
     * holds that value. Several writers of one entity type in one JVM, on one registry, so each publish their own,
     * even with one worker id, and closing one removes only its own.
     */
    public static final String TAG_INSTANCE = "instance";

    /** MDC key: the write's correlation id. */
    public static final String MDC_CORRELATION_ID = "dualwrite.correlationId";
    /** MDC key: the change's idempotency key. */
    public static final String MDC_IDEMPOTENCY_KEY = "dualwrite.idempotencyKey";

    private DualWriteMetrics() {
    }
}
