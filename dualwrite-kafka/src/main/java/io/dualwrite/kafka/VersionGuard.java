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
package io.dualwrite.kafka;

import io.dualwrite.internal.Args;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The consumer half of the Kafka sink. Kafka is an append-only log and cannot refuse an older
 * version, so redeliveries, retries after an unknown outcome and late recovery deliveries can put
 * a duplicate or an older version of an entity after a newer one. A consumer wraps its handler in
 * a guard, which calls the handler only for a record whose version ({@link KafkaHeaders#ENTITY_VERSION})
 * is newer than the last one applied for its key, and then records that version in an
 * {@link AppliedVersionStore}. Duplicates and reordered records in, each version's effect once and
 * in order out.
 *
 * <pre>{@code
 * VersionGuard guard = VersionGuard.inMemory();
 * RecordHandler<byte[]> handler = guard.wrap(record -> index(record.key(), record.value()));
 * while (running) {
 *     for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
 *         handler.handle(r);
 *     }
 *     consumer.commitSync();
 * }
 * }</pre>
 *
 * <p>Records of one key are handled one at a time (a striped lock), so the guard is safe when a
 * consumer processes records on several threads. A handler that throws records nothing: the
 * record is handled again when it is redelivered. With the in-memory store, what was applied is
 * forgotten when the process stops; records reprocessed after a restart (from the last committed
 * offset) reach the handler again, so either keep the handler's effect idempotent by version, or
 * use a durable store updated together with the effect. Thread-safe.
 */
public final class VersionGuard {
    /** Default number of lock stripes. */
    public static final int DEFAULT_LOCK_STRIPES = 64;

    private static final Logger LOG = LoggerFactory.getLogger(VersionGuard.class);

    /** What the guard did with a record. Thread-safe (an enum). */
    public enum Outcome {
        /** The record was newer than what was applied; the handler ran. */
        APPLIED,
        /** The record was a duplicate or older than what was applied; the handler did not run. */
        SKIPPED
    }

    private final AppliedVersionStore store;
    private final ReentrantLock[] stripes;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();

    private VersionGuard(AppliedVersionStore store, int stripes) {
        this.store = store;
        this.stripes = new ReentrantLock[stripes];
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new ReentrantLock();
        }
    }

    /** @return a guard with a new in-memory store */
    public static VersionGuard inMemory() {
        return builder().build();
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Handles one record if it is newer than the last version applied for its key.
     *
     * @param record  the record, not null; it must have a key and the {@link KafkaHeaders#ENTITY_VERSION} header
     * @param handler the consumer's processing, not null
     * @param <V>     the value type
     * @return {@link Outcome#APPLIED} when the handler ran, {@link Outcome#SKIPPED} when the record was not newer
     * @throws IllegalArgumentException if the record has no key or no version header
     * @throws Exception                what the handler or the store threw; nothing is recorded then
     */
    public <V> Outcome handle(ConsumerRecord<String, V> record, RecordHandler<V> handler) throws Exception {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(handler, "handler");
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        if (record.key() == null) {
            throw new IllegalArgumentException("record " + where + " has no key: it cannot be version-guarded");
        }
        OptionalLong version = KafkaHeaders.entityVersion(record.headers());
        if (version.isEmpty()) {
            throw new IllegalArgumentException("record " + where + " has no " + KafkaHeaders.ENTITY_VERSION + " header");
        }
        long v = version.getAsLong();
        ReentrantLock lock = stripes[Math.floorMod(record.key().hashCode(), stripes.length)];
        lock.lock();
        try {
            OptionalLong last = store.lastApplied(record.topic(), record.key());
            if (last.isPresent() && last.getAsLong() >= v) {
                skipped.incrementAndGet();
                LOG.debug("skipped {} version {} of key {}: version {} already applied", where, v, record.key(),
                        last.getAsLong());
                return Outcome.SKIPPED;
            }
            handler.handle(record);
            store.recordApplied(record.topic(), record.key(), v);
            applied.incrementAndGet();
            return Outcome.APPLIED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param handler the consumer's processing, not null
     * @param <V>     the value type
     * @return a handler that runs {@code handler} only for records newer than what was applied
     */
    public <V> RecordHandler<V> wrap(RecordHandler<V> handler) {
        Objects.requireNonNull(handler, "handler");
        return record -> handle(record, handler);
    }

    /** @return the store of last applied versions */
    public AppliedVersionStore store() {
        return store;
    }

    /** @return records handed to the handler so far */
    public long appliedCount() {
        return applied.get();
    }

    /** @return records dropped as duplicates or stale so far */
    public long skippedCount() {
        return skipped.get();
    }

    /** Builds a {@link VersionGuard}. Not thread-safe. */
    public static final class Builder {
        private AppliedVersionStore store;
        private int lockStripes = DEFAULT_LOCK_STRIPES;

        private Builder() {
        }

        /**
         * @param store where last applied versions are kept; default a new in-memory store
         * @return this
         */
        public Builder store(AppliedVersionStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * @param lockStripes locks that serialise records of the same key; default {@value VersionGuard#DEFAULT_LOCK_STRIPES}
         * @return this
         */
        public Builder lockStripes(int lockStripes) {
            Args.atLeast(lockStripes, 1, "lockStripes");
            this.lockStripes = lockStripes;
            return this;
        }

        /** @return the guard */
        public VersionGuard build() {
            return new VersionGuard(store != null ? store : AppliedVersionStore.inMemory(), lockStripes);
        }
    }
}
