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

import io.dualwrite.testkit.TestItem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.dualwrite.kafka.KafkaTestSupport.delete;
import static io.dualwrite.kafka.KafkaTestSupport.upsert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consumer half: duplicates and reordered records in, each version's effect once and in order out. */
class VersionGuardTest {

    /** Each key's effects as the consumer's handler performed them. */
    private static final class Effects {
        final Map<String, List<Long>> applied = new ConcurrentHashMap<>();
        final Map<String, Optional<TestItem>> state = new ConcurrentHashMap<>();

        void apply(ConsumerRecord<String, TestItem> r) {
            long v = KafkaHeaders.entityVersion(r.headers()).orElseThrow();
            applied.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>()).add(v);
            state.put(r.key(), Optional.ofNullable(r.value()));
        }
    }

    @Test
    void duplicatesAndReorderedRecordsThroughARealTopicHaveExactlyOnceEffect() throws Exception {
        long seed = System.nanoTime();
        System.out.println("VersionGuardTest seed " + seed);
        Random random = new Random(seed);
        String topic = KafkaTestSupport.newTopic("guard", 3);
        int keys = 20;
        int versionsPerKey = 8;
        List<io.dualwrite.Change<TestItem>> changes = new ArrayList<>();
        Map<String, Long> newest = new TreeMap<>();
        Map<String, Boolean> newestIsDelete = new HashMap<>();
        for (int k = 0; k < keys; k++) {
            String id = "k" + k;
            for (int v = 1; v <= versionsPerKey; v++) {
                boolean del = v == versionsPerKey && k % 4 == 0; // some entities end deleted
                changes.add(del ? delete(id, v) : upsert(id, v, TestItem.variant(id, v)));
                newest.put(id, (long) v);
                newestIsDelete.put(id, del);
            }
        }
        // every change at least once, a third of them twice, then a shuffle: duplicates and older after newer
        List<io.dualwrite.Change<TestItem>> sent = new ArrayList<>(changes);
        for (io.dualwrite.Change<TestItem> c : changes) {
            if (random.nextInt(3) == 0) {
                sent.add(c);
            }
        }
        Collections.shuffle(sent, random);
        try (KafkaSink<TestItem> sink = KafkaSink.builder("item", TestItem.class)
                .bootstrapServers(KafkaTestSupport.kafka().bootstrapServers()).topic(topic)
                .recentVersionsCapacity(0) // send everything: the topic gets every duplicate and stale record
                .build()) {
            for (int from = 0; from < sent.size(); from += 25) {
                sink.applyAll(sent.subList(from, Math.min(sent.size(), from + 25)))
                        .forEach(i -> assertTrue(i.succeeded(), "every send must succeed: " + i.error()));
            }
        }

        VersionGuard guard = VersionGuard.inMemory();
        Effects effects = new Effects();
        RecordHandler<TestItem> handler = guard.wrap(effects::apply);
        Map<String, Object> config = new HashMap<>(KafkaTestSupport.clientConfig());
        config.put("group.id", "guard-test-" + seed);
        config.put("auto.offset.reset", "earliest");
        int consumed = 0;
        try (KafkaConsumer<String, TestItem> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                KafkaTestSupport.items())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumed < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, TestItem> r : consumer.poll(Duration.ofMillis(200))) {
                    handler.handle(r);
                    consumed++;
                }
                consumer.commitSync();
            }
        }
        assertEquals(sent.size(), consumed, "the consumer must read every record sent (seed " + seed + ")");
        System.out.printf("VersionGuardTest: %d records in (%d distinct changes), %d applied, %d dropped%n",
                consumed, changes.size(), guard.appliedCount(), guard.skippedCount());
        assertEquals(consumed, guard.appliedCount() + guard.skippedCount(), "every record is applied or dropped");
        assertTrue(guard.skippedCount() >= sent.size() - changes.size(),
                "at least every duplicate must be dropped (seed " + seed + ")");
        for (Map.Entry<String, Long> e : newest.entrySet()) {
            String id = e.getKey();
            List<Long> applied = effects.applied.get(id);
            for (int i = 1; i < applied.size(); i++) {
                assertTrue(applied.get(i) > applied.get(i - 1), "effects of " + id + " must be applied once each and in"
                        + " increasing version order, were " + applied + " (seed " + seed + ")");
            }
            assertEquals(e.getValue(), applied.get(applied.size() - 1),
                    "the last effect of " + id + " must be its newest version (seed " + seed + ")");
            Optional<TestItem> expected = newestIsDelete.get(id) ? Optional.empty()
                    : Optional.of(TestItem.variant(id, e.getValue().intValue()));
            assertEquals(expected, effects.state.get(id), "the consumer must end with the newest state of " + id
                    + " (seed " + seed + ")");
        }
        assertEquals(newest, ((InMemoryAppliedVersionStore) guard.store()).versions(topic),
                "the store must hold each key's newest version");
    }

    private static ConsumerRecord<String, String> record(String key, long version, String value) {
        RecordHeaders h = new RecordHeaders();
        h.add(KafkaHeaders.ENTITY_VERSION, Long.toString(version).getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>("t", 0, version, 0L, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                0, 0, key, value, h, Optional.empty());
    }

    @Test
    void concurrentHandlingOfOneKeyRunsEachNewerVersionAtMostOnceAndEndsAtTheHighest() throws Exception {
        VersionGuard guard = VersionGuard.builder().lockStripes(4).build();
        List<Long> effects = Collections.synchronizedList(new ArrayList<>());
        List<Long> versions = new ArrayList<>();
        for (long v = 1; v <= 200; v++) {
            versions.add(v);
            versions.add(v);
        }
        long seed = 42;
        Collections.shuffle(versions, new Random(seed));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int me = t;
                fs.add(pool.submit(() -> {
                    for (int i = me; i < versions.size(); i += 4) {
                        long v = versions.get(i);
                        guard.handle(record("k", v, "v" + v), r -> effects.add(v));
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(effects.size(), effects.stream().distinct().count(), "no version's effect may run twice");
        for (int i = 1; i < effects.size(); i++) {
            assertTrue(effects.get(i) > effects.get(i - 1), "effects must run in increasing version order: " + effects);
        }
        assertEquals(200L, effects.get(effects.size() - 1), "the highest version must be applied last");
        assertEquals(400, guard.appliedCount() + guard.skippedCount());
    }

    @Test
    void aFailingHandlerRecordsNothingSoTheRedeliveryIsHandled() throws Exception {
        VersionGuard guard = VersionGuard.inMemory();
        assertThrows(IllegalStateException.class, () -> guard.handle(record("k", 5, "x"), r -> {
            throw new IllegalStateException("database down");
        }));
        assertTrue(guard.store().lastApplied("t", "k").isEmpty(), "a failed handler must not record its version");
        List<String> seen = new ArrayList<>();
        assertEquals(VersionGuard.Outcome.APPLIED, guard.handle(record("k", 5, "x"), r -> seen.add(r.value())));
        assertEquals(VersionGuard.Outcome.SKIPPED, guard.handle(record("k", 5, "x"), r -> seen.add(r.value())));
        assertEquals(VersionGuard.Outcome.SKIPPED, guard.handle(record("k", 4, "old"), r -> seen.add(r.value())));
        assertEquals(List.of("x"), seen, "the redelivery runs once; a duplicate and an older one do not");
    }

    @Test
    void recordsWithoutKeyOrVersionAreRefusedClearly() {
        VersionGuard guard = VersionGuard.inMemory();
        ConsumerRecord<String, String> noVersion = new ConsumerRecord<>("t", 0, 7L, "k", "v");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> guard.handle(noVersion, r -> { }));
        assertTrue(e.getMessage().contains("t-0@7"), "the message must say which record: " + e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> guard.handle(record(null, 1, "v"), r -> { }));
    }

    @Test
    void theInMemoryStoreNeverLowersAVersion() {
        InMemoryAppliedVersionStore store = AppliedVersionStore.inMemory();
        store.recordApplied("t", "k", 9);
        store.recordApplied("t", "k", 3);
        assertEquals(9L, store.lastApplied("t", "k").orElseThrow());
        assertTrue(store.lastApplied("other", "k").isEmpty(), "topics are separate");
    }
}
