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
package io.dualwrite.benchmarks;

import com.mongodb.client.MongoCollection;
import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Draining a backlog: {@link #backlog} entities each with one pending intent (as after a sink
 * outage) delivered by the coordinator's recovery ({@link #drainBacklog}: passes of
 * {@code recoverDue()} until nothing is due), against the same sink taking the same number of
 * changes in raw batches of the same size with nothing else ({@link #rawBatchWrite}). One run
 * of each is one measurement ({@link Mode#SingleShotTime}); the backlog is rebuilt before each.
 *
 * <p>The primary is the in-memory reference store, or {@link MongoPrimaryStore} when {@link #primary}
 * is {@code mongo}. On the in-JVM MongoDB server every query other than by {@code _id} scans the
 * whole collection, so there recovery's due query measures that server: {@link BenchmarkMain} runs
 * the {@code mongo} rows with a smaller backlog unless {@value BenchmarkServers#MONGO_URI_VARIABLE}
 * names a real MongoDB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class DrainBenchmark {
    /** Pending intents to drain. */
    @Param({"100000"})
    public int backlog;

    /**
     * Changes per recovery pass ({@code recoveryBatchSize}) and per raw batch: the coordinator's
     * default ({@value DualWriterBuilder#DEFAULT_RECOVERY_BATCH_SIZE}) and a larger one, which
     * shares each pass's fixed cost among more changes.
     */
    @Param({"100", "1000"})
    public int batch;

    /** The sink: {@code redis} (real) or {@code sim-<n>ms} (a simulated round trip per batch). */
    @Param({"redis", "sim-1ms"})
    public String sink;

    /** {@code memory} (the in-memory reference store) or {@code mongo} ({@link MongoPrimaryStore}). */
    @Param({"memory"})
    public String primary;

    private BenchmarkServers servers;
    private String method;
    private int round;
    private DualWriter<Item> writer;
    private PrimaryStore<Item> store;
    private List<Change<Item>> changes;
    private Sink<Item> target;

    /** @param params JMH's parameters of this trial */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        open(benchmark.substring(benchmark.lastIndexOf('.') + 1));
    }

    /** @param method the benchmark method this trial runs */
    public void open(String method) {
        if (!primary.equals("memory") && !primary.equals("mongo")) {
            throw new IllegalArgumentException("primary must be memory or mongo, was " + primary);
        }
        this.method = method;
        servers = BenchmarkServers.open();
    }

    /** Builds the backlog (or the raw batch's changes) for the next measurement, on a fresh sink. */
    @Setup(Level.Iteration)
    public void prepare() {
        round++;
        target = BenchmarkSinks.create(sink, servers, method + "-" + round);
        if (method.equals("rawBatchWrite")) {
            changes = new ArrayList<>(backlog);
            long version = System.currentTimeMillis() * 1000;
            for (int i = 0; i < backlog; i++) {
                changes.add(BenchmarkSinks.changeOf(item(i), version));
            }
            return;
        }
        if (primary.equals("mongo")) {
            MongoCollection<Item> items = servers.database().getCollection("drain_" + round, Item.class);
            store = MongoPrimaryStore.builder(items).build();
        } else {
            store = new InMemoryPrimaryStore<>();
        }
        DualWriterBuilder<Item> b = DualWriter.<Item>builder().entityType(BenchmarkSinks.TYPE).idOf(Item::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry())
                // ASYNC: the saves leave every intent pending and due at once, as an outage would;
                // both sinks bound their own calls (a fixed wait, Lettuce's command timeout)
                .sink("sink", target, SinkSettings.builder().policy(DeliveryPolicy.ASYNC)
                        .clientEnforcesTimeout(true).build())
                .gracePeriod(Duration.ZERO)
                .recoveryBatchSize(batch);
        writer = b.build();
        fill(writer);
        long pending = store.pendingCount();
        if (pending != backlog) {
            throw new IllegalStateException("expected a backlog of " + backlog + ", found " + pending);
        }
    }

    private void fill(DualWriter<Item> w) {
        ExecutorService pool = Executors.newFixedThreadPool(primary.equals("mongo") ? 8 : 1);
        try {
            int parts = primary.equals("mongo") ? 8 : 1;
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                int part = p;
                done.add(pool.submit(() -> {
                    for (int i = part; i < backlog; i += parts) {
                        w.save(item(i));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not build the backlog", e);
        } finally {
            pool.shutdown();
        }
    }

    private static Item item(int i) {
        return new Item(String.format("e%07d", i), "item " + i, 100 + i);
    }

    /** Checks the measurement did its work, then closes the writer and frees the sink's keys. */
    @TearDown(Level.Iteration)
    public void finish() {
        try {
            if (writer != null) {
                writer.operations().flushAcknowledgements();
                long left = store.pendingCount();
                writer.close();
                writer = null;
                if (left != 0) {
                    throw new IllegalStateException(left + " intents were left after the drain");
                }
            }
        } finally {
            servers.clearRedis();
            changes = null;
        }
    }

    /** Closes the servers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        servers.close();
    }

    /** @return the intents delivered: recovery passes until a pass finds nothing due */
    @Benchmark
    public int drainBacklog() {
        int delivered = 0;
        RecoveryReport r;
        do {
            r = writer.operations().recoverDue();
            delivered += r.delivered();
            if (r.deferred() > 0 || r.deadLettered() > 0) {
                throw new IllegalStateException("the sink refused part of the backlog: " + r);
            }
        } while (r.claimed() > 0);
        return delivered;
    }

    /** @return the changes applied: the same sink, the same changes, raw batches of the same size */
    @Benchmark
    public int rawBatchWrite() {
        int applied = 0;
        for (int from = 0; from < changes.size(); from += batch) {
            List<Sink.BatchItem> out = target.applyAll(changes.subList(from, Math.min(changes.size(), from + batch)));
            for (Sink.BatchItem item : out) {
                if (!item.succeeded()) {
                    throw new IllegalStateException("the sink refused a change", item.error());
                }
                applied++;
            }
        }
        return applied;
    }

    /** @return the number of intents the writer of this measurement has pending (for tests) */
    long pending() {
        return store.pendingCount();
    }
}
