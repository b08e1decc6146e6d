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
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** The JVM-wide Kafka broker of these tests and small helpers. */
final class KafkaTestSupport {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private KafkaTestSupport() {
    }

    static EmbeddedKafka kafka() {
        return EmbeddedKafka.shared();
    }

    static String newTopic(String prefix, int partitions) {
        String name = prefix + "-" + TOPICS.incrementAndGet() + "-" + System.nanoTime() % 100_000;
        kafka().createTopic(name, partitions);
        return name;
    }

    static Map<String, Object> clientConfig() {
        return Map.of("bootstrap.servers", kafka().bootstrapServers());
    }

    static Deserializer<TestItem> items() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return JSON.readValue(data, TestItem.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    static Change<TestItem> upsert(String id, long version, TestItem item) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(item).correlationId("corr-" + id + "-" + version).time(Instant.ofEpochMilli(1_764_000_000_000L))
                .build();
    }

    static Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.DELETE)
                .correlationId("corr-" + id + "-" + version).time(Instant.ofEpochMilli(1_764_000_000_000L)).build();
    }

    /** Reads the whole topic, up to the end offsets it has now (for at most 30 s). */
    static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(clientConfig(), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())
                    && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
        }
        return out;
    }
}
