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
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

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
}
