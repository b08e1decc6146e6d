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

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static io.dualwrite.kafka.KafkaTestSupport.delete;
import static io.dualwrite.kafka.KafkaTestSupport.upsert;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka sink under faults, against a real KRaft broker in the test JVM; each test asserts what
 * docs/sinks-opensearch-kafka.md documents.
 */
class KafkaSinkFaultsTest {

    private static String h(ConsumerRecord<String, byte[]> r, String name) {
        return KafkaHeaders.text(r.headers(), name).orElse(null);
    }

    private static KafkaSink.Builder<TestItem> sink(String topic) {
        return KafkaSink.builder("item", TestItem.class).bootstrapServers(KafkaTestSupport.kafka().bootstrapServers())
                .topic(topic);
    }

    private static TestItem big(String id, int bytes) {
        return new TestItem(id, "x".repeat(bytes), 1, List.of());
    }

    /**
     * Eight threads deliver every version of six entities twice, in shuffled order, through one sink: each entity's
     * records sit in one partition and their versions only grow (the sink serialises one key's sends and never sends
     * a version it has had acknowledged, or an older one).
     */
    @Test
    void perEntityOrderHoldsUnderConcurrentShuffledRedeliveries() throws Exception {
        String topic = KafkaTestSupport.newTopic("order", 3);
        List<Change<TestItem>> work = new ArrayList<>();
        for (int v = 1; v <= 30; v++) {
            for (int k = 0; k < 6; k++) {
                work.add(upsert("k" + k, v, TestItem.variant("k" + k, v)));
                work.add(upsert("k" + k, v, TestItem.variant("k" + k, v)));
            }
        }
        Collections.shuffle(work, new Random(42));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (KafkaSink<TestItem> sink = sink(topic).build()) {
            List<Future<ApplyResult>> results = new ArrayList<>();
            for (Change<TestItem> c : work) {
                results.add(pool.submit(() -> sink.apply(c)));
            }
            for (Future<ApplyResult> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, List<Long>> versions = new HashMap<>();
        Map<String, Set<Integer>> partitions = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : KafkaTestSupport.readAll(topic)) {
            versions.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(KafkaHeaders.entityVersion(r.headers()).orElseThrow());
            partitions.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.partition());
        }
        for (int k = 0; k < 6; k++) {
            List<Long> vs = versions.get("k" + k);
            for (int i = 1; i < vs.size(); i++) {
                assertTrue(vs.get(i) > vs.get(i - 1), "k" + k + ": versions only grow in the topic: " + vs);
            }
            assertEquals(30L, vs.get(vs.size() - 1), "k" + k + " ends at its newest version");
            assertEquals(1, partitions.get("k" + k).size(), "one partition per entity");
        }
    }

    /**
     * An acknowledgement that does not come in time (sendTimeout 1 ms) is UNKNOWN_OUTCOME; the record still lands, so
     * the retry appends a duplicate. Every copy must carry the same key, value and CloudEvents id, version and
     * correlation id, and a consumer's VersionGuard applies it once. Then a restarted sink (no memory) re-sends it.
     */
    @Test
    void aLostAcknowledgementRetriedGivesIdenticalDuplicatesThatTheGuardAppliesOnce() throws Exception {
        String topic = KafkaTestSupport.newTopic("lostack", 3);
        Change<TestItem> change = upsert("dup", 7, TestItem.variant("dup", 7));
        int unknown = 0;
        int attempts = 0;
        // the producer may wait for the topic's metadata (its own max.block.ms, which the settings give here), so the
        // record always leaves; only the acknowledgement is not waited for
        // linger.ms 0: each record goes out at once, before the sink's close (bounded by the same 1 ms) could drop it
        try (KafkaSink<TestItem> hasty = sink(topic).producerConfig(Map.of("max.block.ms", 10_000, "linger.ms", 0))
                .sendTimeout(Duration.ofMillis(1)).build()) {
            try {
                hasty.apply(upsert("warm", 1, TestItem.variant("warm", 1))); // metadata
            } catch (Exception ignored) {
                // the warm-up may time out too
            }
            for (; attempts < 5; attempts++) {
                try {
                    hasty.apply(change);
                    attempts++;
                    break;
                } catch (Exception e) {
                    assertEquals(ErrorKind.UNKNOWN_OUTCOME, hasty.classifier().classify(e),
                            "no acknowledgement in time is an unknown outcome: " + e);
                    unknown++;
                }
            }
            // the producer's own thread sends what the calls gave up waiting for; the sink's close (bounded by the
            // same 1 ms) would drop a record not sent yet
            Thread.sleep(1000);
        }
        try (KafkaSink<TestItem> restarted = sink(topic).build()) {
            assertEquals(ApplyResult.APPLIED, restarted.apply(change), "a restarted sink does not know it was sent");
            assertEquals(ApplyResult.ALREADY_CURRENT, restarted.apply(change), "but now it does");
        }
        List<ConsumerRecord<String, byte[]>> copies = KafkaTestSupport.readAll(topic).stream()
                .filter(r -> "dup".equals(r.key()))
                .collect(Collectors.toList());
        System.out.println("lost ack: " + unknown + " unknown outcome(s) in " + attempts + " attempt(s); "
                + copies.size() + " record(s) of the change");
        assertTrue(copies.size() >= 2, "the retries appended duplicates: " + copies.size());
        ConsumerRecord<String, byte[]> first = copies.get(0);
        for (ConsumerRecord<String, byte[]> r : copies) {
            assertEquals(first.partition(), r.partition(), "same partition");
            assertArrayEquals(first.value(), r.value(), "same value");
            assertEquals("item/dup@7", h(r, KafkaHeaders.ID), "the same idempotency key");
            assertEquals("7", h(r, KafkaHeaders.ENTITY_VERSION));
            assertEquals("corr-dup-7", h(r, KafkaHeaders.CORRELATION_ID));
            assertEquals(h(first, KafkaHeaders.TIME), h(r, KafkaHeaders.TIME));
        }
        VersionGuard guard = VersionGuard.inMemory();
        List<Long> effects = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : copies) {
            guard.handle(r, rec -> effects.add(KafkaHeaders.entityVersion(rec.headers()).orElseThrow()));
        }
        assertEquals(List.of(7L), effects, "the guard applies the change once");
    }

    /**
     * A broker that has gone away after the sink had sent to it: retryable, and the call ends within the sink's
     * sendTimeout (plus slack), not after Kafka's own two-minute or one-minute defaults.
     */
    @Test
    void aBrokerThatWentDownIsRetryableWithinTheSendTimeout() throws Exception {
        EmbeddedKafka own = EmbeddedKafka.start();
        String servers = own.bootstrapServers();
        String topic = "down-" + System.nanoTime() % 100_000;
        own.createTopic(topic, 1);
        KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class).bootstrapServers(servers).topic(topic)
                .sendTimeout(Duration.ofSeconds(3)).build();
        try {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("d", 1, TestItem.variant("d", 1))));
            own.close();
            long t0 = System.nanoTime();
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("d", 2, TestItem.variant("d", 2))));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            ErrorKind kind = sink.classifier().classify(e);
            System.out.println("broker went down: " + kind + " after " + took.toMillis() + " ms: " + e);
            assertTrue(kind.isRetryable(), "a broker that is down is retried, never dead-lettered: " + kind);
            assertTrue(took.compareTo(Duration.ofSeconds(3 + 3)) < 0, "bounded by sendTimeout (3 s): " + took);
        } finally {
            Thread t = new Thread(sink::close); // the producer's close may wait for the dead broker
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * A broker that cannot be reached at all (never came up, wrong address), with the sink's defaults and a 3 s
     * sendTimeout: retryable, and bounded by the sink's own time limit. The producer's send() waits for metadata for
     * max.block.ms (60 s by default), which the sink neither sets nor bounds.
     */
    @Test
    void anUnreachableBrokerWithDefaultSettingsFailsWithinTheSendTimeout() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class).bootstrapServers("127.0.0.1:" + deadPort)
                .topic("nowhere").sendTimeout(Duration.ofSeconds(3)).build();
        try {
            long t0 = System.nanoTime();
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("n", 1, TestItem.variant("n", 1))));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            ErrorKind kind = sink.classifier().classify(e);
            System.out.println("unreachable broker: " + kind + " after " + took.toMillis() + " ms: " + e);
            assertTrue(kind.isRetryable(), "retryable: " + kind);
            assertTrue(took.compareTo(Duration.ofSeconds(3 + 3)) < 0,
                    "a call must end within the sink's sendTimeout (3 s) plus slack; took " + took);
        } finally {
            Thread t = new Thread(sink::close);
            t.setDaemon(true);
            t.start();
        }
    }

    /** A record the broker refuses as too large (the topic's max.message.bytes) is PERMANENT; the others land. */
    @Test
    void aRecordTheBrokerFindsTooLargeIsPermanentAndTheOthersLand() throws Exception {
        String topic = "toolarge-" + System.nanoTime() % 100_000;
        KafkaTestSupport.kafka().createTopic(topic, 1, Map.of("max.message.bytes", "20000"));
        try (KafkaSink<TestItem> sink = sink(topic).producerConfig(Map.of("max.request.size", 5_000_000)).build()) {
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("huge", 1, big("huge", 200_000))));
            assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "too large for the topic: " + e);
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("small", 1, big("small", 1_000))));
        }
        assertEquals(List.of("small"), KafkaTestSupport.readAll(topic).stream().map(ConsumerRecord::key)
                .collect(Collectors.toList()));
    }

    /**
     * A batch (recovery's applyAll) of eight healthy 3 KB records and one poison 200 KB record to a topic whose
     * max.message.bytes is 10 000: the poison is PERMANENT and every healthy record is APPLIED, within bounded time
     * (docs: "a poison entity never blocks any other entity").
     */
    @Test
    void aPoisonRecordInABatchFailsAloneEvenWhenTheBatchExceedsTheTopicLimit() throws Exception {
        String topic = "batchlimit-" + System.nanoTime() % 100_000;
        KafkaTestSupport.kafka().createTopic(topic, 1, Map.of("max.message.bytes", "10000"));
        List<Change<TestItem>> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(upsert("ok" + i, 1, big("ok" + i, 3_000)));
        }
        batch.add(4, upsert("poison", 1, big("poison", 200_000)));
        long t0 = System.nanoTime();
        List<Sink.BatchItem> items;
        try (KafkaSink<TestItem> sink = sink(topic).sendTimeout(Duration.ofSeconds(45))
                .producerConfig(Map.of("max.request.size", 5_000_000, "linger.ms", 50)).build()) {
            items = sink.applyAll(batch);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Sink.BatchItem it = items.get(i);
                outcomes.add(batch.get(i).id() + "=" + (it.succeeded() ? it.result().toString()
                        : sink.classifier().classify(it.error()) + "(" + it.error().getMessage() + ")"));
            }
            System.out.println("batch over the topic limit, " + took.toMillis() + " ms: " + outcomes);
            for (int i = 0; i < batch.size(); i++) {
                Sink.BatchItem it = items.get(i);
                if (batch.get(i).id().equals("poison")) {
                    assertTrue(!it.succeeded() && sink.classifier().classify(it.error()) == ErrorKind.PERMANENT,
                            "the poison is PERMANENT: " + outcomes);
                } else {
                    assertTrue(it.succeeded() && it.result() == ApplyResult.APPLIED,
                            "every healthy record lands: " + outcomes);
                }
            }
        }
    }

    /**
     * A delete is a tombstone (null value, .deleted type, no content type); an older upsert after it, from the same
     * sink, is not sent; from a restarted sink it is appended, and a guarded consumer still ends with the entity gone.
     */
    @Test
    void aDeleteIsATombstoneAndAnOlderUpsertAfterItStaysOutForAGuardedConsumer() throws Exception {
        String topic = "tomb-" + System.nanoTime() % 100_000;
        KafkaTestSupport.kafka().createTopic(topic, 2, Map.of("cleanup.policy", "compact"));
        try (KafkaSink<TestItem> sink = sink(topic).build()) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("t", 1, TestItem.variant("t", 1))));
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("t", 2)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t", 1, TestItem.variant("t", 1))));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("t", 2)));
        }
        try (KafkaSink<TestItem> restarted = sink(topic).build()) {
            restarted.apply(upsert("t", 1, TestItem.variant("t", 1)));
        }
        List<ConsumerRecord<String, byte[]>> records = KafkaTestSupport.readAll(topic);
        assertEquals(3, records.size(), "upsert, tombstone, and the restarted sink's stale upsert");
        ConsumerRecord<String, byte[]> tomb = records.get(1);
        assertNull(tomb.value(), "a tombstone");
        assertEquals("io.dualwrite.item.deleted", h(tomb, KafkaHeaders.TYPE));
        assertEquals("item/t@2", h(tomb, KafkaHeaders.ID));
        assertNull(tomb.headers().lastHeader(KafkaHeaders.CONTENT_TYPE));
        Map<String, byte[]> view = new ConcurrentHashMap<>();
        VersionGuard guard = VersionGuard.inMemory();
        for (ConsumerRecord<String, byte[]> r : records) {
            guard.handle(r, rec -> {
                if (rec.value() == null) {
                    view.remove(rec.key());
                } else {
                    view.put(rec.key(), rec.value());
                }
            });
        }
        assertTrue(view.isEmpty(), "the guarded consumer ends with the entity deleted: " + view.keySet()
                + " " + Arrays.toString(records.stream().map(r -> h(r, KafkaHeaders.ENTITY_VERSION)).toArray()));
    }
}
