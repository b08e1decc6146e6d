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
package io.dualwrite;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrencyAndInputTest {
    private final WriterFixture fx = new WriterFixture();

    @Test
    void concurrentSavesOfOneEntityEndWithEverySinkAtTheHighestVersion() throws Exception {
        InMemorySink<Product> a = new InMemorySink<>();
        InMemorySink<Product> b = new InMemorySink<>();
        InMemorySink<Product> c = new InMemorySink<>();
        int threads = 8;
        int perThread = 200;
        try (DualWriter<Product> w = fx.builder().sink("a", a, WriterFixture.fast().build())
                .sink("b", b, WriterFixture.fast().build()).sink("c", c, WriterFixture.fast().build()).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> maxima = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                maxima.add(pool.submit(() -> {
                    start.await();
                    long max = 0;
                    for (int i = 0; i < perThread; i++) {
                        max = Math.max(max, w.save(new Product("hot", "t" + thread, i)).version());
                    }
                    return max;
                }));
            }
            start.countDown();
            long highest = 0;
            for (Future<Long> f : maxima) {
                highest = Math.max(highest, f.get(60, TimeUnit.SECONDS));
            }
            pool.shutdown();
            Snapshot<Product> primary = w.operations().snapshot("hot").orElseThrow();
            long first = primary.version() - threads * perThread + 1;
            assertEquals(highest, primary.version(), "the primary holds the highest version any writer saw");
            assertTrue(first > 0, "versions are consecutive from the first write");
            for (InMemorySink<Product> s : List.of(a, b, c)) {
                assertEquals(primary.version(), s.versionOf("hot").getAsLong(), "every sink ends at the highest version");
                assertEquals(primary.state(), s.get("hot"), "and holds the primary's state");
            }
        }
    }

    @Test
    void rejectsBadInputBeforeWritingAnything() {
        InMemorySink<Product> sink = new InMemorySink<>();
        try (DualWriter<Product> w = fx.builder().sink("a", sink).build()) {
            assertThrows(NullPointerException.class, () -> w.save(null));
            assertThrows(NullPointerException.class, () -> w.save(new Product(null, "x", 1)), "null id");
            assertThrows(NullPointerException.class, () -> w.delete(null));
            assertThrows(NullPointerException.class, () -> w.save(new Product("p", "x", 1), null));
            assertEquals(0, fx.primary.size(), "nothing was written");
        }
    }

    /** Jackson cannot serialize it: a field whose getter throws. */
    @JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE)
    static final class Unserializable {
        final String id;

        Unserializable(String id) {
            this.id = id;
        }

        public String getId() {
            return id;
        }

        public Object getBroken() {
            throw new IllegalStateException("cannot read");
        }
    }

    @Test
    void unserializableEntityGetsAClearExceptionAndNothingIsWritten() {
        InMemoryPrimaryStore<Unserializable> store = new InMemoryPrimaryStore<>();
        InMemorySink<Unserializable> sink = new InMemorySink<>();
        try (DualWriter<Unserializable> w = DualWriter.<Unserializable>builder().entityType("thing")
                .idOf(u -> u.id).primary(store).deadLetterStore(new InMemoryDeadLetterStore()).sink("a", sink)
                .meterRegistry(fx.meters).build()) {
            EntitySerializationException e = assertThrows(EntitySerializationException.class,
                    () -> w.save(new Unserializable("u1")));
            assertEquals(Optional.of("u1"), e.entityId());
            assertTrue(e.getMessage().contains("thing/u1"), e.getMessage());
            assertTrue(store.read("u1").isEmpty(), "nothing was written");
            assertTrue(sink.liveVersions().isEmpty(), "no sink was touched");
        }
    }

    @Test
    void builderRejectsMissingAndConflictingSettings() {
        assertThrows(IllegalStateException.class, () -> DualWriter.<Product>builder().entityType("p")
                .deadLetterStore(fx.deadLetters).build(), "no primary");
        assertThrows(IllegalStateException.class, () -> DualWriter.<Product>builder().entityType("p")
                .primary(fx.primary).build(), "no dead-letter store");
        assertThrows(IllegalStateException.class, () -> DualWriter.<Product>builder().primary(fx.primary)
                .deadLetterStore(fx.deadLetters).build(), "no entity type");
        DualWriterBuilder<Product> b = fx.builder().sink("a", new InMemorySink<>());
        assertThrows(IllegalArgumentException.class, () -> b.sink("a", new InMemorySink<>()), "duplicate name");
        assertThrows(IllegalArgumentException.class, () -> b.sink("a.b", new InMemorySink<>()), "dotted name");
        assertThrows(IllegalArgumentException.class, () -> b.sink(" ", new InMemorySink<>()), "blank name");
        // a dead letter's id is <type>/<id>#<sink>: with '#' in a sink name, entity x#cache at sink eu and entity x at
        // sink cache#eu would share one; with '/' in a type, type a/b's c and type a's b/c would
        assertThrows(IllegalArgumentException.class, () -> b.sink("cache#eu", new InMemorySink<>()), "'#' in a name");
        assertThrows(IllegalArgumentException.class, () -> DualWriter.<Product>builder().entityType("shop/product"),
                "'/' in a type");
        assertEquals("p/x#cache#eu", new DeadLetter("p", "x#cache", 1, "eu", 1, ErrorKind.PERMANENT, "e", "e", "c",
                "k", java.time.Instant.EPOCH, java.time.Instant.EPOCH).id(), "an entity id may hold '#': the last one"
                + " starts the sink");
        assertThrows(IllegalArgumentException.class, () -> SinkSettings.builder().rampPercent(101));
        assertThrows(IllegalArgumentException.class, () -> SinkSettings.builder().maxAttempts(0));
        assertThrows(IllegalArgumentException.class,
                () -> SinkSettings.builder().backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)));
        try (DualWriter<Product> noId = DualWriter.<Product>builder().entityType("p").primary(fx.primary)
                .deadLetterStore(fx.deadLetters).meterRegistry(fx.meters).build()) {
            assertThrows(IllegalStateException.class, () -> noId.save(new Product("p", "x", 1)), "no id function");
            assertThrows(UnsupportedOperationException.class, () -> noId.saveWith("p", () -> { }),
                    "the in-memory store has no write-ahead mode");
        }
    }

    @Test
    void closedWriterRefusesWritesAndLeavesNothingOnAGivenScheduler() {
        java.util.concurrent.ScheduledThreadPoolExecutor scheduler = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
        scheduler.setRemoveOnCancelPolicy(true);
        try {
            DualWriter<Product> w = fx.builder().scheduler(scheduler).build();
            assertEquals(1, scheduler.getQueue().size(), "the acknowledgement flush is scheduled");
            w.close();
            w.close();
            assertThrows(IllegalStateException.class, () -> w.save(new Product("p", "x", 1)));
            assertTrue(scheduler.getQueue().isEmpty(), "closing the writer cancels its periodic flush");
            assertFalse(scheduler.isShutdown(), "a given scheduler is not shut down");
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void primaryFailureIsClearAndTouchesNoSink() {
        InMemorySink<Product> sink = new InMemorySink<>();
        InMemoryPrimaryStore<Product> real = new InMemoryPrimaryStore<>();
        io.dualwrite.spi.PrimaryStore<Product> down = new DelegatingStore<>(real) {
            @Override
            public Committed<Product> commit(PrimaryWrite<Product> write) {
                throw new java.io.UncheckedIOException(new java.net.ConnectException("connection refused"));
            }
        };
        try (DualWriter<Product> w = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(down).deadLetterStore(fx.deadLetters).sink("a", sink).meterRegistry(fx.meters).build()) {
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> w.save(new Product("p", "x", 1)));
            assertEquals(ErrorKind.TRANSIENT, e.kind());
            assertTrue(e.getMessage().contains("no sink was touched"), e.getMessage());
            assertTrue(sink.liveVersions().isEmpty());
        }
    }

    @Test
    void eachWriteIsObservedWithItsKeys() {
        List<Observation.Context> seen = new CopyOnWriteArrayList<>();
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStop(Observation.Context context) {
                seen.add(context);
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        try (DualWriter<Product> w = fx.builder().observationRegistry(registry).sink("a", new InMemorySink<>()).build()) {
            WriteResult r = w.save(new Product("p1", "x", 1));
            assertEquals(1, seen.size());
            Observation.Context ctx = seen.get(0);
            assertEquals(DualWriteMetrics.WRITE, ctx.getName());
            assertEquals("product", ctx.getLowCardinalityKeyValue(DualWriteMetrics.TAG_TYPE).getValue());
            assertEquals(r.correlationId(), ctx.getHighCardinalityKeyValue("dualwrite.correlation_id").getValue());
            assertEquals(r.idempotencyKey().orElseThrow(),
                    ctx.getHighCardinalityKeyValue("dualwrite.idempotency_key").getValue());
        }
    }
}
