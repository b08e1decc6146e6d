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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.internal.Args;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;
import io.dualwrite.kafka.internal.KafkaErrors;
import io.dualwrite.kafka.internal.RecentVersions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.SinkException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes each entity's state to a Kafka topic: key = entity id (so all versions of an entity
 * land in one partition, in order, and a compacted topic keeps the latest), value = the state as
 * JSON, a null value (a tombstone) for a delete, and the headers of {@link KafkaHeaders}
 * (CloudEvents binary mode plus the entity version, correlation id and schema version).
 *
 * <p><b>What it promises.</b> Kafka is an append-only log: it cannot refuse an older version. The
 * producer is idempotent ({@code enable.idempotence=true}, {@code acks=all}), so its own retries
 * never duplicate a record, but a redelivery by the coordinator, a retry after an unknown outcome
 * or a late recovery delivery can still append a duplicate or an older version after a newer
 * one. The version guard is therefore on the consumer side: consumers wrap their handler in a
 * {@link VersionGuard}, which drops every record not newer than what it applied for that key.
 * To spare consumers most of that work the sink also remembers the highest version it has had
 * acknowledged per key (a bounded, in-process cache) and reports a change it knows is not newer
 * as {@link ApplyResult#ALREADY_CURRENT} without sending it. Sends of one key are serialised
 * in the process (the next one is judged after the previous one was acknowledged), so that
 * answer is only given for a version the broker has acknowledged.
 *
 * <p><b>Mapping, then I/O.</b> {@link #map} is the mapping step, without I/O: it runs the
 * {@link ValueSerializer} and builds the record with its headers. A failure there (the serializer
 * throws, or returns null for an upsert) is the entity's own: the coordinator dead-letters it at
 * once as {@link ErrorKind#PERMANENT}, never retries it and never counts it against the sink's
 * circuit breaker. {@link #send} and {@link #sendAll} are the I/O: they hand records to the
 * producer and wait for the acknowledgements.
 *
 * <p><b>Failures</b> ({@link #classifier()}): retriable Kafka errors are
 * {@link ErrorKind#TRANSIENT}; a record too large, a serialization failure, authorization and
 * authentication failures, an invalid topic are {@link ErrorKind#PERMANENT}; a delivery timeout
 * (or no answer within {@link Builder#sendTimeout(Duration)}) is {@link ErrorKind#UNKNOWN_OUTCOME}.
 *
 * <pre>{@code
 * KafkaSink<Product> events = KafkaSink.builder("product", Product.class)
 *         .bootstrapServers("localhost:9092").topic("products").build();
 * DualWriter<Product> writer = DualWriter.<Product>builder()...sink("events", events).build();
 * }</pre>
 *
 * Thread-safe.
 *
 * @param <T> the entity type
 */
public final class KafkaSink<T> implements MappingSink<T, ProducerRecord<String, byte[]>>, AutoCloseable {
    /** Default time {@link #send} waits for the broker's acknowledgement. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(40);
    /** Default {@code delivery.timeout.ms} of a producer the sink creates (Kafka's own default is 2 minutes). */
    public static final int DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
    /** Default {@code request.timeout.ms} of a producer the sink creates. */
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
    /** Default number of keys whose last acknowledged version the sink remembers. */
    public static final int DEFAULT_RECENT_VERSIONS_CAPACITY = 100_000;
    /** Default prefix of {@code ce_type}: {@code <prefix>.<entity type>.upserted|deleted}. */
    public static final String DEFAULT_TYPE_PREFIX = "io.dualwrite";
    /** Default {@code ce_source} prefix: {@code /dualwrite/<entity type>}. */
    public static final String DEFAULT_SOURCE_PREFIX = "/dualwrite/";

    /** Locks that serialise sends of the same key, so a version is acknowledged before the next is judged. */
    private static final int LOCK_STRIPES = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
    private static final byte[] JSON_CONTENT_TYPE = "application/json".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SPEC_VERSION = KafkaHeaders.CLOUDEVENTS_SPEC_VERSION.getBytes(StandardCharsets.UTF_8);

    private final Producer<String, byte[]> producer;
    private final boolean ownsProducer;
    private final String topic;
    private final ValueSerializer<T> values;
    private final URI source;
    private final String typePrefix;
    private final Duration sendTimeout;
    private final RecentVersions recent;
    private final ReentrantLock[] stripes = new ReentrantLock[LOCK_STRIPES];

    private final String entityType;

    private KafkaSink(Builder<T> b, Producer<String, byte[]> producer, boolean ownsProducer) {
        this.entityType = b.entityType;
        this.producer = producer;
        this.ownsProducer = ownsProducer;
        this.topic = b.topic;
        this.values = b.values != null ? b.values : ValueSerializer.json(b.json != null ? b.json
                : Jackson2Json.of(JsonMapper.builder().addModule(new JavaTimeModule())
                        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build()));
        this.source = b.source;
        this.typePrefix = b.typePrefix;
        this.sendTimeout = b.sendTimeout;
        this.recent = new RecentVersions(b.recentVersionsCapacity);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Starts a Kafka sink. Every sink of the library is built the same way:
     * {@code KafkaSink.builder(entityType, entityClass)} names what it follows, the setters say where it
     * writes, and {@code build()} checks that nothing required is missing.
     *
     * @param entityType  the entity type this sink follows: the writer's, or the writer refuses the sink at build
     * @param entityClass the entity class
     * @param <T>         the entity type
     * @return a builder; a topic and either bootstrap servers, producer settings or a producer are required
     * @throws IllegalArgumentException if the entity type is blank
     */
    public static <T> Builder<T> builder(String entityType, Class<T> entityClass) {
        Objects.requireNonNull(entityClass, "entityClass");
        return new Builder<>(entityType);
    }

    /** @return the entity type this sink was built for: a writer of another type refuses it */
    @Override
    public Optional<String> boundEntityType() {
        return Optional.of(entityType);
    }

    /** @return the entity type this sink follows */
    public String entityType() {
        return entityType;
    }

    /** @return the topic this sink writes to */
    public String topic() {
        return topic;
    }

    /**
     * Maps a change to its record, without I/O: key = entity id, value = the serialised state (null
     * for a delete), and the headers of {@link KafkaHeaders}.
     *
     * @param change the change
     * @return the record
     * @throws Exception what the {@link ValueSerializer} throws, or a {@link MappingException} when it
     *                   returns null for an upsert (a null value means delete)
     */
    @Override
    public ProducerRecord<String, byte[]> map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        Args.sameEntityType("Kafka sink", entityType, change);
        byte[] value = null;
        if (!change.isDelete()) {
            value = values.serialize(change.requireState());
            if (value == null) {
                throw new MappingException("the value serializer returned null for " + change.idempotencyKey()
                        + " (a null value means delete)", null);
            }
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(KafkaHeaders.SPEC_VERSION, SPEC_VERSION);
        headers.add(KafkaHeaders.ID, utf8(change.idempotencyKey()));
        headers.add(KafkaHeaders.SOURCE, utf8(source != null ? source.toString() : DEFAULT_SOURCE_PREFIX + change.entityType()));
        headers.add(KafkaHeaders.TYPE, utf8(typePrefix + "." + change.entityType() + (change.isDelete() ? ".deleted" : ".upserted")));
        headers.add(KafkaHeaders.TIME, utf8(change.time().toString()));
        headers.add(KafkaHeaders.SUBJECT, utf8(change.id()));
        headers.add(KafkaHeaders.ENTITY_VERSION, utf8(Long.toString(change.version())));
        headers.add(KafkaHeaders.CORRELATION_ID, utf8(change.correlationId()));
        headers.add(KafkaHeaders.SCHEMA_VERSION, utf8(Integer.toString(change.schemaVersion())));
        if (value != null) {
            headers.add(KafkaHeaders.CONTENT_TYPE, JSON_CONTENT_TYPE);
        }
        return new ProducerRecord<>(topic, null, change.id(), value, headers);
    }

    /**
     * Sends the record and waits for the broker's acknowledgement.
     *
     * @param change the change
     * @param record its record, from {@link #map}
     * @return {@link ApplyResult#APPLIED} once acknowledged; {@link ApplyResult#ALREADY_CURRENT}
     *         without sending when the sink remembers an acknowledged version at least as new
     * @throws SinkException classified as described in the class documentation
     */
    @Override
    public ApplyResult send(Change<T> change, ProducerRecord<String, byte[]> record) throws SinkException {
        ReentrantLock lock = stripes[stripe(change.id())];
        lock.lock();
        try {
            if (recent.covers(change.id(), change.version())) {
                return ApplyResult.ALREADY_CURRENT;
            }
            long start = System.nanoTime();
            Future<RecordMetadata> sent = send(record, change);
            // one deadline for the call: the time send() blocked (for metadata, for buffer space) counts too
            Duration left = sendTimeout.minusNanos(System.nanoTime() - start);
            await(sent, change, left.isNegative() ? Duration.ZERO : left);
            return ApplyResult.APPLIED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends every record, flushes the producer once, then collects each acknowledgement.
     *
     * @param mapped the changes with their records, never null
     * @return one outcome per change, in order
     */
    @Override
    public List<BatchItem> sendAll(List<Mapped<T, ProducerRecord<String, byte[]>>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        if (mapped.isEmpty()) {
            return List.of();
        }
        BatchItem[] out = new BatchItem[mapped.size()];
        // lock every key's stripe in ascending order (send holds one stripe at a time: no deadlock)
        TreeSet<Integer> held = new TreeSet<>();
        mapped.forEach(m -> held.add(stripe(m.change().id())));
        List<ReentrantLock> locked = new ArrayList<>(held.size());
        try {
            for (int st : held) {
                stripes[st].lock();
                locked.add(stripes[st]);
            }
            sendBatch(mapped, out);
        } finally {
            locked.forEach(ReentrantLock::unlock);
        }
        return Arrays.asList(out);
    }

    private void sendBatch(List<Mapped<T, ProducerRecord<String, byte[]>>> mapped, BatchItem[] out) {
        List<Future<RecordMetadata>> futures = new ArrayList<>(mapped.size());
        // send() may block (for the topic's metadata, for buffer space) up to max.block.ms per record: the batch
        // stops sending once sendTimeout has gone by, and what it did not send never left
        long sendUntil = System.nanoTime() + sendTimeout.toNanos();
        for (int i = 0; i < mapped.size(); i++) {
            Change<T> c = mapped.get(i).change();
            futures.add(null);
            try {
                if (recent.covers(c.id(), c.version())) {
                    out[i] = BatchItem.of(ApplyResult.ALREADY_CURRENT);
                } else if (System.nanoTime() - sendUntil >= 0) {
                    out[i] = BatchItem.failed(new SinkException(c.idempotencyKey() + " was not sent to " + topic
                            + ": the batch's sendTimeout of " + sendTimeout + " ran out first", ErrorKind.TRANSIENT,
                            null));
                } else {
                    futures.set(i, send(mapped.get(i).request(), c));
                }
            } catch (SinkException e) {
                out[i] = BatchItem.failed(e);
            }
        }
        try {
            producer.flush();
        } catch (RuntimeException e) {
            LOG.debug("flush of a batch to {} failed: {}", topic, e.toString()); // each future says its own outcome
        }
        for (int i = 0; i < mapped.size(); i++) {
            if (out[i] == null) {
                try {
                    await(futures.get(i), mapped.get(i).change(), sendTimeout);
                    out[i] = BatchItem.of(ApplyResult.APPLIED);
                } catch (SinkException e) {
                    out[i] = BatchItem.failed(e);
                }
            }
        }
    }

    @Override
    public ErrorClassifier classifier() {
        return KafkaErrors.CLASSIFIER;
    }

    /** Closes the producer if the sink created it (waiting up to the send timeout); a producer passed in stays open. */
    @Override
    public void close() {
        if (ownsProducer) {
            producer.close(sendTimeout);
        }
    }

    // ------------------------------------------------------------------ internals

    private Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Change<T> c) throws SinkException {
        try {
            return producer.send(record);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            // raised by send itself: no metadata or no buffer space in time, so the record never left
            throw new SinkException("sending " + c.idempotencyKey() + " to " + topic + " timed out before it left",
                    ErrorKind.TRANSIENT, e);
        } catch (RuntimeException e) {
            throw KafkaErrors.toSinkException("sending " + c.idempotencyKey() + " to " + topic, e);
        }
    }

    private void await(Future<RecordMetadata> sent, Change<T> c, Duration timeout) throws SinkException {
        String what = "sending " + c.idempotencyKey() + " to " + topic;
        try {
            RecordMetadata md = sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            recent.sent(c.id(), c.version());
            LOG.debug("{} acknowledged at partition {} offset {}", what, md.partition(), md.offset());
        } catch (ExecutionException e) {
            throw KafkaErrors.toSinkException(what, e.getCause() != null ? e.getCause() : e);
        } catch (TimeoutException e) {
            throw new SinkException(what + ": no acknowledgement within " + timeout, ErrorKind.UNKNOWN_OUTCOME, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkException(what + ": interrupted while waiting for the acknowledgement",
                    ErrorKind.UNKNOWN_OUTCOME, e);
        }
    }

    private static int stripe(String id) {
        return Math.floorMod(id.hashCode(), LOCK_STRIPES);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Builds a {@link KafkaSink}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private String topic;
        private Map<String, Object> producerConfig;
        private Producer<String, byte[]> producer;
        private ValueSerializer<T> values;
        private Json json;
        private URI source;
        private String typePrefix = DEFAULT_TYPE_PREFIX;
        private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
        private int recentVersionsCapacity = DEFAULT_RECENT_VERSIONS_CAPACITY;

        private final String entityType;

        private Builder(String entityType) {
            this.entityType = Args.notBlank(entityType, "entityType");
        }

        /**
         * @param topic the topic of this entity type, required, not blank
         * @return this
         */
        public Builder<T> topic(String topic) {
            Objects.requireNonNull(topic, "topic");
            Args.notBlank(topic, "topic");
            this.topic = topic;
            return this;
        }

        /**
         * @param bootstrapServers the brokers, for example {@code localhost:9092}; the sink creates an
         *                         idempotent producer and closes it in {@link KafkaSink#close()}
         * @return this
         */
        public Builder<T> bootstrapServers(String bootstrapServers) {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            return producerConfig(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        }

        /**
         * @param config producer settings (security, compression, linger…) merged over the sink's
         *               defaults; the sink sets the serializers, {@code enable.idempotence=true} and
         *               {@code acks=all}, and refuses settings that contradict them; it closes the producer
         *               in {@link KafkaSink#close()}
         * @return this
         */
        public Builder<T> producerConfig(Map<String, ?> config) {
            Objects.requireNonNull(config, "config");
            if (producerConfig == null) {
                producerConfig = new HashMap<>();
            }
            producerConfig.putAll(config);
            return this;
        }

        /**
         * @param producer a producer the application owns and closes; it must be configured with
         *                 {@code enable.idempotence=true} and {@code acks=all}, which the sink cannot check
         * @return this
         */
        public Builder<T> producer(Producer<String, byte[]> producer) {
            this.producer = Objects.requireNonNull(producer, "producer");
            return this;
        }

        /**
         * @param values state to record value; default {@link ValueSerializer#json(Json)} with {@link #json(Json)}
         * @return this
         */
        public Builder<T> valueSerializer(ValueSerializer<T> values) {
            this.values = Objects.requireNonNull(values, "values");
            return this;
        }

        /**
         * @param objectMapper the Jackson 2 mapper of the default value serializer; the same as
         *                     {@code json(Jackson2Json.of(objectMapper))}
         * @return this
         */
        public Builder<T> objectMapper(ObjectMapper objectMapper) {
            return json(Jackson2Json.of(Objects.requireNonNull(objectMapper, "objectMapper")));
        }

        /**
         * @param json the JSON mapping of the default value serializer: the application's Jackson 2 or Jackson 3
         *             mapper ({@link Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of}); default a
         *             Jackson 2 mapper with Java time support writing ISO-8601 dates
         * @return this
         */
        public Builder<T> json(Json json) {
            this.json = Objects.requireNonNull(json, "json");
            return this;
        }

        /**
         * @param source the {@code ce_source} of every record; default {@code /dualwrite/<entity type>}
         * @return this
         */
        public Builder<T> source(URI source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /**
         * @param typePrefix the prefix of {@code ce_type}; default {@value KafkaSink#DEFAULT_TYPE_PREFIX}
         * @return this
         */
        public Builder<T> typePrefix(String typePrefix) {
            Objects.requireNonNull(typePrefix, "typePrefix");
            Args.notBlank(typePrefix, "typePrefix");
            this.typePrefix = typePrefix;
            return this;
        }

        /**
         * @param sendTimeout how long {@code send} waits for the acknowledgement before reporting an
         *                    unknown outcome; default 40 s (above the default delivery timeout of 30 s). A sink
         *                    built from producer settings also lets the producer block for the topic's metadata
         *                    or for buffer space ({@code max.block.ms}) this long, unless the settings say otherwise
         * @return this
         */
        public Builder<T> sendTimeout(Duration sendTimeout) {
            Objects.requireNonNull(sendTimeout, "sendTimeout");
            Args.positive(sendTimeout, "sendTimeout");
            this.sendTimeout = sendTimeout;
            return this;
        }

        /**
         * @param capacity keys whose last acknowledged version the sink remembers to skip stale and
         *                 duplicate sends; 0 sends everything; default {@value KafkaSink#DEFAULT_RECENT_VERSIONS_CAPACITY}
         * @return this
         */
        public Builder<T> recentVersionsCapacity(int capacity) {
            Args.atLeast(capacity, 0, "capacity");
            this.recentVersionsCapacity = capacity;
            return this;
        }

        /**
         * @return the sink
         * @throws IllegalStateException if the topic is missing, if neither a producer nor producer
         *                               settings were given (or both), or if the settings turn off
         *                               idempotence or ask for fewer acknowledgements than all
         */
        public KafkaSink<T> build() {
            if (topic == null) {
                throw new IllegalStateException("a topic is required");
            }
            if (producer != null && producerConfig != null) {
                throw new IllegalStateException("give either a producer or producer settings, not both");
            }
            if (producer != null) {
                return new KafkaSink<>(this, producer, false);
            }
            if (producerConfig == null || !producerConfig.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new IllegalStateException("bootstrap servers (or a producer) are required");
            }
            Map<String, Object> config = new HashMap<>();
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DEFAULT_DELIVERY_TIMEOUT_MS);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, DEFAULT_REQUEST_TIMEOUT_MS);
            // send() blocks for the topic's metadata (or buffer space) before its acknowledgement is awaited: without
            // this bound an unreachable broker held a call for Kafka's default of 60 s, whatever sendTimeout said
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, sendTimeout.toMillis());
            config.putAll(producerConfig);
            Object idempotence = config.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
            if (idempotence != null && !Boolean.parseBoolean(idempotence.toString())) {
                throw new IllegalStateException("the Kafka sink needs enable.idempotence=true");
            }
            Object acks = config.get(ProducerConfig.ACKS_CONFIG);
            if (acks != null && !"all".equals(acks.toString()) && !"-1".equals(acks.toString())) {
                throw new IllegalStateException("the Kafka sink needs acks=all, was acks=" + acks);
            }
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
            config.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
            return new KafkaSink<>(this, new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()), true);
        }
    }
}
