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

import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.Operation;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryWrite;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The coordinator's own cost: the same write to the in-memory reference primary and the
 * in-memory sink, once straight ({@link #inMemoryDirect}: commit, then apply) and once through
 * {@code save} ({@link #coordinatorInMemory}). No network is involved, so the difference is what
 * the coordinator adds per write (intents, version and idempotency key, MDC, metrics,
 * observation, the sink's resilience decorators and the batched acknowledgement). The in-memory
 * sink bounds its own calls, so by default the coordinator calls it on the caller's thread;
 * {@link #coordinatorInMemoryHandOff} is the same with {@code clientEnforcesTimeout(false)}, the
 * road of a sink that cannot bound its calls: a hand-off to a pool thread under a time limit. Run it with
 * JMH's GC profiler ({@code -prof gc}) for bytes allocated per write; {@link BenchmarkMain} does.
 *
 * <p>{@link #threadHop} measures one part of that on its own: handing a call that does nothing to
 * a cached thread pool and waiting for it with a timeout, which is what a time limit around a
 * sink call costs when the call runs on another thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CoordinatorCostBenchmark {
    /** Entities the writes cycle through. */
    public static final int IDS = 1000;

    private InMemoryPrimaryStore<Item> store;
    private InMemorySink<Item> sink;
    private InMemoryPrimaryStore<Item> handOffStore;
    private InMemorySink<Item> handOffSink;
    private DualWriter<Item> writer;
    private DualWriter<Item> handOffWriter;
    private final String[] ids = new String[IDS];
    private ExecutorService pool;

    /** Builds the store, the sink and the writer. */
    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < IDS; i++) {
            ids[i] = "e" + i;
        }
        store = new InMemoryPrimaryStore<>();
        sink = new InMemorySink<>();
        handOffStore = new InMemoryPrimaryStore<>();
        handOffSink = new InMemorySink<>();
        DualWriterBuilder<Item> b = DualWriter.<Item>builder().entityType(BenchmarkSinks.TYPE).idOf(Item::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry())
                .sink("sink", sink);
        writer = b.build();
        // the coordinator enforcing the time limit itself, as for a sink that cannot bound its calls
        handOffWriter = DualWriter.<Item>builder().entityType(BenchmarkSinks.TYPE).idOf(Item::getId)
                .primary(handOffStore).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry())
                .sink("sink", handOffSink, SinkSettings.builder().clientEnforcesTimeout(false).build())
                .build();
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-hop");
            t.setDaemon(true);
            return t;
        });
    }

    /** Closes the writer and the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        writer.close();
        handOffWriter.close();
        pool.shutdownNow();
    }

    /** One benchmark thread's position in the id cycle. Not thread-safe. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        long price;
    }

    private Item nextItem(Cursor c) {
        c.next = (c.next + 1) % IDS;
        return new Item(ids[c.next], "item", ++c.price);
    }

    /**
     * @param c the calling thread's cursor
     * @return what the sink answered
     */
    @Benchmark
    public ApplyResult inMemoryDirect(Cursor c) {
        Item item = nextItem(c);
        Committed<Item> committed = store.commit(PrimaryWrite.<Item>builder().id(item.getId())
                .operation(Operation.UPSERT).state(item).intents(List.of())
                .requestKeyWindow(Duration.ofHours(1)).correlationId("bench").time(Instant.now()).build());
        return sink.apply(BenchmarkSinks.changeOf(item, committed.version()));
    }

    /**
     * @param c the calling thread's cursor
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorInMemory(Cursor c) {
        return checkedSave(writer, c);
    }

    /**
     * {@link #coordinatorInMemory} with {@code clientEnforcesTimeout(false)} on the sink: each call
     * is handed to a pool thread and waited for under the attempt timeout.
     *
     * @param c the calling thread's cursor
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorInMemoryHandOff(Cursor c) {
        return checkedSave(handOffWriter, c);
    }

    private WriteResult checkedSave(DualWriter<Item> w, Cursor c) {
        WriteResult r = w.save(nextItem(c));
        if (!r.fullyApplied()) {
            throw new IllegalStateException("the in-memory sink did not take " + r);
        }
        return r;
    }

    /**
     * @param c the calling thread's cursor
     * @return what the other thread returned
     * @throws InterruptedException when interrupted
     * @throws ExecutionException   when the call fails
     * @throws TimeoutException     when the wait times out
     */
    @Benchmark
    public int threadHop(Cursor c) throws InterruptedException, ExecutionException, TimeoutException {
        int next = c.next;
        return pool.submit(() -> next + 1).get(5, TimeUnit.SECONDS);
    }

    /** @return the sink (for tests) */
    InMemorySink<Item> sink() {
        return sink;
    }

    /** @return the sink of the hand-off writer (for tests) */
    InMemorySink<Item> handOffSink() {
        return handOffSink;
    }
}
