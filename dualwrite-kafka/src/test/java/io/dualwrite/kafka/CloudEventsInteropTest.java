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

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.dualwrite.testkit.TestItem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static io.dualwrite.kafka.KafkaTestSupport.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The CloudEvents SDK's own Kafka deserializer reads the sink's records as binary-mode events. */
class CloudEventsInteropTest {

    @Test
    void theCloudEventsSdkReadsTheSinksRecords() throws Exception {
        String topic = KafkaTestSupport.newTopic("cloudevents", 1);
        TestItem chair = new TestItem("c-9", "chair", 4500, List.of("office"));
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic).build()) {
            sink.apply(upsert("c-9", 1_764_000_000_000_000L, chair));
        }
        List<ConsumerRecord<String, CloudEvent>> records = new ArrayList<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(KafkaTestSupport.clientConfig(),
                new StringDeserializer(), new CloudEventDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertEquals(1, records.size(), "one record");
        CloudEvent event = records.get(0).value();
        assertNotNull(event, "the SDK must read the record as a CloudEvent");
        assertEquals("1.0", event.getSpecVersion().toString());
        assertEquals("item/c-9@1764000000000000", event.getId(), "id = idempotency key");
        assertEquals(URI.create("/dualwrite/item"), event.getSource());
        assertEquals("io.dualwrite.item.upserted", event.getType());
        assertEquals("c-9", event.getSubject());
        assertEquals(OffsetDateTime.parse("2025-11-24T16:00:00Z"), event.getTime(), "time = commit time");
        assertEquals("application/json", event.getDataContentType());
        assertEquals("1764000000000000", String.valueOf(event.getExtension("entityversion")));
        assertEquals("corr-c-9-1764000000000000", String.valueOf(event.getExtension("correlationid")));
        assertEquals("1", String.valueOf(event.getExtension("schemaversion")));
        assertEquals(chair, KafkaTestSupport.JSON.readValue(event.getData().toBytes(), TestItem.class),
                "the data is the state as JSON");
    }
}
