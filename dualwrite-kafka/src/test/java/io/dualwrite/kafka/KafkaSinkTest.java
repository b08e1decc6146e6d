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

import com.fasterxml.jackson.databind.JsonNode;
import io.dualwrite.ErrorKind;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.dualwrite.kafka.KafkaTestSupport.delete;
import static io.dualwrite.kafka.KafkaTestSupport.upsert;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the Kafka sink writes, record by record, on a real broker. */
class KafkaSinkTest {

    private static String header(Headers h, String name) {
        return KafkaHeaders.text(h, name).orElse(null);
    }

    @Test
    void recordsCarryKeyJsonValueTombstoneAndCloudEventsHeaders() throws Exception {
        String topic = KafkaTestSupport.newTopic("headers", 1);
        TestItem lamp = new TestItem("p-1", "lamp", 1999, List.of("home"));
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic)
                .source(URI.create("/shop/catalog")).build()) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("p-1", 1_000_001L, lamp)));
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("p-1", 1_000_002L)));
        }
        List<ConsumerRecord<String, byte[]>> records = KafkaTestSupport.readAll(topic);
        assertEquals(2, records.size(), "one record per change");
        ConsumerRecord<String, byte[]> up = records.get(0);
        assertEquals("p-1", up.key(), "the key is the entity id");
        assertEquals(lamp, KafkaTestSupport.JSON.readValue(up.value(), TestItem.class), "the value is the state as JSON");
        Headers h = up.headers();
        assertEquals("1.0", header(h, KafkaHeaders.SPEC_VERSION));
        assertEquals("item/p-1@1000001", header(h, KafkaHeaders.ID), "ce_id is the idempotency key");
        assertEquals("/shop/catalog", header(h, KafkaHeaders.SOURCE));
        assertEquals("io.dualwrite.item.upserted", header(h, KafkaHeaders.TYPE));
        assertEquals("2025-11-24T16:00:00Z", header(h, KafkaHeaders.TIME), "ce_time is the commit time, RFC 3339");
        assertEquals("p-1", header(h, KafkaHeaders.SUBJECT), "ce_subject is the entity id");
        assertEquals("1000001", header(h, KafkaHeaders.ENTITY_VERSION));
        assertEquals("corr-p-1-1000001", header(h, KafkaHeaders.CORRELATION_ID));
        assertEquals("1", header(h, KafkaHeaders.SCHEMA_VERSION));
        assertEquals("application/json", header(h, KafkaHeaders.CONTENT_TYPE));

        ConsumerRecord<String, byte[]> del = records.get(1);
        assertEquals("p-1", del.key());
        assertNull(del.value(), "a delete is a tombstone: a null value");
        assertEquals("io.dualwrite.item.deleted", header(del.headers(), KafkaHeaders.TYPE));
        assertEquals(1_000_002L, KafkaHeaders.entityVersion(del.headers()).orElseThrow());
        assertNull(del.headers().lastHeader(KafkaHeaders.CONTENT_TYPE), "a tombstone has no content type");
    }

    @Test
    void theValueIsWhatTheApplicationsJackson3MapperWrites() throws Exception {
        String topic = KafkaTestSupport.newTopic("jackson3", 1);
        JsonMapper upperCamel = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic)
                .json(Jackson3Json.of(upperCamel)).build()) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("j3", 7, new TestItem("j3", "lamp", 1200, List.of()))));
        }
        List<ConsumerRecord<String, byte[]>> records = KafkaTestSupport.readAll(topic);
        assertEquals(1, records.size(), "one record");
        JsonNode value = KafkaTestSupport.JSON.readTree(records.get(0).value());
        assertEquals("lamp", value.path("Name").asText(), "the mapper's naming strategy named the field: " + value);
        assertEquals(1200, value.path("Price").asLong(), "price, as the mapper named it: " + value);
        assertFalse(value.has("name"), "no field under Jackson's default name: " + value);
        assertEquals("application/json", header(records.get(0).headers(), KafkaHeaders.CONTENT_TYPE), "a JSON value");
    }

    @Test
    void applyAllSendsTheBatchAndSkipsWhatItKnowsIsNotNewer() throws Exception {
        String topic = KafkaTestSupport.newTopic("batch", 2);
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic).build()) {
            sink.apply(upsert("a", 10, TestItem.variant("a", 10)));
            List<Sink.BatchItem> items = sink.applyAll(List.of(
                    upsert("a", 9, TestItem.variant("a", 9)),
                    upsert("b", 1, TestItem.variant("b", 1)),
                    delete("c", 3),
                    upsert("a", 11, TestItem.variant("a", 11))));
            assertEquals(List.of(ApplyResult.ALREADY_CURRENT, ApplyResult.APPLIED, ApplyResult.APPLIED, ApplyResult.APPLIED),
                    items.stream().map(Sink.BatchItem::result).collect(Collectors.toList()),
                    "a version the sink knows is stale is not sent; the others are");
        }
        assertEquals(4, KafkaTestSupport.readAll(topic).size(),
                "the topic holds the first send and the three sent in the batch");
    }

    @Test
    void settingsThatWeakenDeliveryAreRefused() {
        String servers = KafkaTestSupport.kafka().bootstrapServers();
        assertThrows(IllegalStateException.class, () -> KafkaSink.builder("item", TestItem.class).topic("t")
                .producerConfig(Map.of("bootstrap.servers", servers, "acks", "1")).build(), "acks=1 must be refused");
        assertThrows(IllegalStateException.class, () -> KafkaSink.builder("item", TestItem.class).topic("t")
                .producerConfig(Map.of("bootstrap.servers", servers, "enable.idempotence", "false")).build(),
                "a non-idempotent producer must be refused");
        assertThrows(IllegalStateException.class, () -> KafkaSink.builder("item", TestItem.class).topic("t").build(),
                "bootstrap servers or a producer are required");
        assertThrows(IllegalArgumentException.class, () -> KafkaSink.builder("item", TestItem.class).topic(" "),
                "a blank topic must be refused");
    }

    @Test
    void anUnreachableBrokerIsARetryableFailure() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class).topic("nowhere")
                .producerConfig(Map.of("bootstrap.servers", "127.0.0.1:" + deadPort, "max.block.ms", 300,
                        "request.timeout.ms", 300, "delivery.timeout.ms", 600))
                .sendTimeout(Duration.ofSeconds(5)).build()) {
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("x", 1, TestItem.variant("x", 1))),
                    "a send to a broker that is not there must fail");
            ErrorKind kind = sink.classifier().classify(e);
            assertTrue(kind.isRetryable(), "a missing broker must be retried, not dead-lettered; was " + kind + ": " + e);
        }
    }

    @Test
    void theClassifierReadsKafkaErrors() {
        io.dualwrite.ErrorClassifier c = io.dualwrite.kafka.internal.KafkaErrors.CLASSIFIER;
        assertEquals(ErrorKind.PERMANENT, c.classify(new org.apache.kafka.common.errors.RecordTooLargeException("big")));
        assertEquals(ErrorKind.PERMANENT, c.classify(new org.apache.kafka.common.errors.TopicAuthorizationException("t")));
        assertEquals(ErrorKind.PERMANENT, c.classify(new org.apache.kafka.common.errors.SaslAuthenticationException("s")));
        assertEquals(ErrorKind.PERMANENT, c.classify(new org.apache.kafka.common.errors.SerializationException("s")));
        assertEquals(ErrorKind.TRANSIENT, c.classify(new org.apache.kafka.common.errors.NotLeaderOrFollowerException("n")));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new org.apache.kafka.common.errors.TimeoutException("t")),
                "a delivery timeout may have reached the broker");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new java.util.concurrent.ExecutionException(
                new org.apache.kafka.common.errors.NetworkException("n"))), "wrapped errors are unwrapped");
    }

    @Test
    void headerReadersRefuseAMalformedVersion() {
        org.apache.kafka.common.header.internals.RecordHeaders h = new org.apache.kafka.common.header.internals.RecordHeaders();
        h.add(KafkaHeaders.ENTITY_VERSION, "twelve".getBytes(StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> KafkaHeaders.entityVersion(h));
        assertTrue(KafkaHeaders.idempotencyKey(h).isEmpty(), "an absent header is empty");
        assertArrayEquals("twelve".getBytes(StandardCharsets.UTF_8), h.lastHeader(KafkaHeaders.ENTITY_VERSION).value());
    }

    @Test
    void concurrentDeliveriesOfOneChangeAreSentOnceAndAppliedOnce() throws Exception {
        String topic = KafkaTestSupport.newTopic("once", 1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic).build()) {
            io.dualwrite.Change<TestItem> change = upsert("same", 77, TestItem.variant("same", 77));
            List<java.util.concurrent.Future<ApplyResult>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> sink.apply(change)));
            }
            List<ApplyResult> outcomes = new ArrayList<>();
            for (java.util.concurrent.Future<ApplyResult> f : results) {
                outcomes.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(1, outcomes.stream().filter(r -> r == ApplyResult.APPLIED).count(),
                    "exactly one of eight concurrent deliveries of one change is APPLIED, the others ALREADY_CURRENT: " + outcomes);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, KafkaTestSupport.readAll(topic).size(), "the change must be on the topic once");
    }
}
