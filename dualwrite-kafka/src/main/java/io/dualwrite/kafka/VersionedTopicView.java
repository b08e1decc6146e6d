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

import io.dualwrite.ErrorKind;
import io.dualwrite.kafka.internal.KafkaErrors;
import io.dualwrite.spi.SinkException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The latest state per key of a topic the Kafka sink writes, read from the beginning through a
 * {@link VersionGuard}: what a consumer using the guard ends up holding. Useful as a small local
 * lookup table of a compacted topic, in tests (is the topic's effect equal to the primary?) and
 * in demos. It reads every partition without a consumer group and commits nothing.
 *
 * <pre>{@code
 * try (VersionedTopicView<byte[]> view = VersionedTopicView.open(Map.of("bootstrap.servers", servers),
 *         "products", new ByteArrayDeserializer())) {
 *     view.catchUp(Duration.ofSeconds(10));
 *     Map<String, Long> live = view.liveVersions();
 * }
 * }</pre>
 *
 * Thread-safe (calls are serialised).
 *
 * @param <V> the value type
 */
public final class VersionedTopicView<V> implements AutoCloseable {
    /** How long {@code open} waits for a topic's partitions to appear in the broker's metadata. */
    public static final Duration METADATA_WAIT = Duration.ofSeconds(15);
    private final String topic;
    private final KafkaConsumer<String, V> consumer;
    private final VersionGuard guard = VersionGuard.inMemory();
    private final Map<String, Entry<V>> entries = new HashMap<>();

    private VersionedTopicView(String topic, KafkaConsumer<String, V> consumer) {
        this.topic = topic;
        this.consumer = consumer;
    }

    /**
     * Opens a view of every partition of a topic from its beginning. Nothing is read until
     * {@link #catchUp(Duration)}.
     *
     * @param consumerConfig consumer settings, at least {@code bootstrap.servers}; deserializers,
     *                       group and commit settings are set by the view
     * @param topic          the topic, which must exist
     * @param values         the value deserializer
     * @param <V>            the value type
     * @return the view
     * @throws IllegalArgumentException if the topic does not exist
     */
    public static <V> VersionedTopicView<V> open(Map<String, Object> consumerConfig, String topic, Deserializer<V> values) {
        Objects.requireNonNull(consumerConfig, "consumerConfig");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(values, "values");
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(config, new StringDeserializer(), values);
        try {
            List<PartitionInfo> partitions = partitionsOf(consumer, topic);
            List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toList());
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            return new VersionedTopicView<>(topic, consumer);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /**
     * A topic created a moment ago may not be in the broker's metadata yet: its partition list
     * comes back empty for a while. Ask again until it shows up or {@link #METADATA_WAIT} passes.
     */
    private static List<PartitionInfo> partitionsOf(KafkaConsumer<String, ?> consumer, String topic) {
        long deadline = System.nanoTime() + METADATA_WAIT.toNanos();
        while (true) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, METADATA_WAIT);
            if (partitions != null && !partitions.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalArgumentException("topic " + topic + " does not exist (no partitions after "
                        + METADATA_WAIT.toSeconds() + " s)");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topic " + topic, e);
            }
        }
    }

    /**
     * Reads until the view has consumed everything that was in the topic when the call started.
     *
     * @param timeout the longest wait
     * @throws SinkException            if the end was not reached in time or the read was interrupted (TRANSIENT;
     *                                  an interrupt leaves the thread's interrupt flag set), or the topic cannot be
     *                                  read (a value the deserializer refuses is PERMANENT, other Kafka errors are
     *                                  judged as the Kafka sink's {@link KafkaSink#classifier() classifier} judges
     *                                  them)
     * @throws IllegalArgumentException if a record has no key or no version header
     */
    public synchronized void catchUp(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
            // a short timeout may end the lookup with some partitions' ends unknown: that is no end reached
            if (!end.keySet().containsAll(consumer.assignment())) {
                throw notCaughtUp(timeout, null);
            }
            while (!reached(end)) {
                if (System.nanoTime() > deadline) {
                    throw notCaughtUp(timeout, null);
                }
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(100))) {
                    apply(r);
                }
            }
        } catch (InterruptException e) {
            Thread.currentThread().interrupt(); // Kafka sets it too; it must survive whatever the caller does next
            throw new SinkException("interrupted while reading " + topic, ErrorKind.TRANSIENT, e);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw notCaughtUp(timeout, e);
        } catch (KafkaException e) {
            throw KafkaErrors.toSinkException("reading " + topic, e);
        }
    }

    private SinkException notCaughtUp(Duration timeout, Throwable cause) {
        return new SinkException("the view of " + topic + " did not catch up within " + timeout, ErrorKind.TRANSIENT,
                cause);
    }

    /**
     * @param key a record key (entity id), not null
     * @return what the view holds for the key: the newest version applied, live or deleted
     */
    public synchronized Optional<Entry<V>> get(String key) {
        Objects.requireNonNull(key, "key");
        return Optional.ofNullable(entries.get(key));
    }

    /** @return the versions of the keys whose newest record is not a delete, sorted by key */
    public synchronized Map<String, Long> liveVersions() {
        Map<String, Long> out = new TreeMap<>();
        entries.forEach((k, e) -> {
            if (!e.deleted()) {
                out.put(k, e.version());
            }
        });
        return out;
    }

    /** @return the guard the view reads through (its counts say how many records it dropped) */
    public VersionGuard guard() {
        return guard;
    }

    @Override
    public synchronized void close() {
        consumer.close();
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void apply(ConsumerRecord<String, V> record) {
        try {
            guard.handle(record, this::put);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // neither the in-memory store nor put throws a checked exception; should one appear, it is no Kafka error
            throw new SinkException("cannot apply " + record.topic() + "-" + record.partition() + "@"
                    + record.offset(), ErrorKind.PERMANENT, e);
        }
    }

    private void put(ConsumerRecord<String, V> record) {
        long version = KafkaHeaders.entityVersion(record.headers()).orElseThrow();
        entries.put(record.key(), new Entry<>(version, record.value()));
    }

    /**
     * What the view holds for one key. Immutable.
     *
     * @param <V> the value type
     */
    public static final class Entry<V> {
        private final long version;
        private final V value;

        private Entry(long version, V value) {
            this.version = version;
            this.value = value;
        }

        /** @return the entity version of the newest record applied */
        public long version() {
            return version;
        }

        /** @return the value, empty for a delete */
        public Optional<V> value() {
            return Optional.ofNullable(value);
        }

        /** @return true when the newest record was a delete (a null value) */
        public boolean deleted() {
            return value == null;
        }

        @Override
        public String toString() {
            return (deleted() ? "deleted@" : "live@") + version;
        }
    }
}
