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
package io.dualwrite.reconcile;

import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A writer over an in-memory primary with two in-memory sinks ("cache" and "search"), a fixed
 * clock so two fixtures built alike hold the same versions, and helpers that inject drift.
 */
final class ReconcileFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    final InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
    final InMemorySink<Item> search = new InMemorySink<>();
    final InMemorySink<Item> cache = new InMemorySink<>();
    final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    final RecordingStore store = new RecordingStore();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final DualWriter<Item> writer;

    ReconcileFixture() {
        SinkSettings fast = SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(5)).build();
        writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(deadLetters).sink("search", search, fast).sink("cache", cache, fast)
                .meterRegistry(meters).clock(clock).build();
    }

    static String id(int i) {
        return String.format("i-%04d", i);
    }

    /** Saves items 0..n-1 through the writer: every sink in sync. */
    ReconcileFixture seed(int n) {
        for (int i = 0; i < n; i++) {
            writer.save(new Item(id(i), "item " + i, 1));
        }
        writer.operations().flushAcknowledgements();
        return this;
    }

    ReconcilerBuilder<Item> reconciler() {
        return reconciler(search, cache);
    }

    ReconcilerBuilder<Item> reconciler(ReconcilableSink<Item> searchReader, ReconcilableSink<Item> cacheReader) {
        return Reconciler.<Item>builder().writer(writer).primary(primary).sink("search", searchReader)
                .sink("cache", cacheReader).store(store).meterRegistry(meters).clock(clock).chunkSize(8)
                .digestLeafSize(2).repairsPerSecond(1_000_000);
    }

    /**
     * Leaves an applied run of the scope unfinished: it compares every id, but its COMPLETED report cannot be stored,
     * so it fails with its checkpoint left (execution 0).
     *
     * @return the run's id
     */
    String leaveUnfinished(ReconcileScope scope) {
        AtomicBoolean failOnce = new AtomicBoolean(true);
        ReconcileStore failing = new DelegatingReconcileStore(store) {
            @Override
            public void saveReport(ReconcileReport report) {
                if (report.status() == RunStatus.COMPLETED && failOnce.compareAndSet(true, false)) {
                    throw new IllegalStateException("store down (injected)");
                }
                super.saveReport(report);
            }
        };
        ReconcileException failed = assertThrows(ReconcileException.class,
                () -> reconciler().store(failing).build().apply(scope));
        assertEquals(RunStatus.FAILED, failed.report().status());
        return reconciler().build().unfinished(scope).orElseThrow(() -> new AssertionError("no checkpoint left"))
                .runId();
    }

    /** Waits for a latch a test's other thread opens, at most 20 seconds. */
    static void await(CountDownLatch l) {
        try {
            if (!l.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A write the primary committed but no sink ever heard of (its intents lost). */
    void commitUnseen(Item item) {
        primary.commit(PrimaryWrite.<Item>builder().id(item.id()).operation(Operation.UPSERT).state(item)
                .intents(List.of()).correlationId("test").time(clock.instant()).build());
    }

    /** A delete the primary committed but no sink ever heard of. */
    void deleteUnseen(String id) {
        primary.commit(PrimaryWrite.<Item>builder().id(id).operation(Operation.DELETE).intents(List.of())
                .correlationId("test").time(clock.instant()).build());
    }

    long version(String id) {
        return primary.read(id).orElseThrow().version();
    }

    /** The live versions the primary holds, sorted by id. */
    Map<String, Long> primaryLive() {
        Map<String, Long> out = new TreeMap<>();
        for (Snapshot<Item> s : primary.scan(null, Integer.MAX_VALUE)) {
            if (!s.deleted()) {
                out.put(s.id(), s.version());
            }
        }
        return out;
    }

    /**
     * Drift in every sink: i-9000 committed to the primary only (MISSING everywhere) and i-0011
     * deleted in the primary only (an ORPHAN everywhere: the delete never reached the sinks).
     */
    void injectCommon() {
        commitUnseen(new Item("i-9000", "written while the sinks were away", 1));
        deleteUnseen(id(11));
    }

    /**
     * Drift in one sink: i-0003 lost (MISSING), i-0007 one version behind (STALE), zz-ghost never in
     * the primary (ORPHAN), i-0015 ahead of the primary (AHEAD, a phantom).
     */
    void injectInto(InMemorySink<Item> sink) {
        sink.force(id(3), 0, null); // a tombstone at version 0: the sink holds nothing live for it
        sink.force(id(7), version(id(7)) - 1, new Item(id(7), "older", 0));
        sink.force("zz-ghost", 42, new Item("zz-ghost", "never in the primary", 1));
        sink.force(id(15), version(id(15)) + 5, new Item(id(15), "a phantom", 9));
    }

    @Override
    public void close() {
        writer.close();
    }

    /** The in-memory reconcile store, keeping a list of every checkpoint saved. */
    static final class RecordingStore extends DelegatingReconcileStore {
        private final List<ReconcileCheckpoint> saved = new CopyOnWriteArrayList<>();

        RecordingStore() {
            super(new InMemoryReconcileStore());
        }

        /** @return every checkpoint saved, in order */
        List<ReconcileCheckpoint> checkpointsSeen() {
            return List.copyOf(saved);
        }

        @Override
        public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
            saved.add(checkpoint);
            super.saveCheckpoint(checkpoint);
        }
    }
}
