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
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.MongoWriteAheadStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
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
import org.bson.conversions.Bson;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One write of one entity, six ways, against the same MongoDB and the same kind of sink:
 * <ol>
 *   <li>{@link #rawPrimary}: the primary write alone (the floor);</li>
 *   <li>{@link #naiveDualWrite} / {@link #naiveDualWriteThreeSinks}: the primary write, then the
 *       sink call(s), nothing else (the unsafe way: a crash between the two loses the change);</li>
 *   <li>{@link #coordinatorOneSink} / {@link #coordinatorThreeSinks}: {@code save} through the
 *       coordinator with the embedded-intent {@link MongoPrimaryStore} and SYNC sinks, default
 *       {@link SinkSettings} (each sink call runs on a pool thread that enforces the time limit);</li>
 *   <li>{@link #coordinatorOneSinkClientTimeout} / {@link #coordinatorThreeSinksClientTimeout}: the
 *       same with {@link SinkSettings.Builder#clientEnforcesTimeout(boolean) clientEnforcesTimeout(true)},
 *       which every sink here qualifies for (the simulated sink waits a fixed round trip, Lettuce has
 *       a command timeout): the last SYNC sink runs on the caller's thread;</li>
 *   <li>{@link #writeAhead} / {@link #writeAheadClientTimeout}: the caller's own MongoDB write
 *       wrapped by {@code saveWith} over the {@link MongoWriteAheadStore}, default settings and
 *       {@code clientEnforcesTimeout(true)};</li>
 *   <li>{@link #writeAheadReturning}: the caller's own write wrapped by {@code saveReturning}, the
 *       write returning what it left (a {@code findOneAndUpdate} returning the document after it, or
 *       the entity a repository save returns).</li>
 * </ol>
 * Each in three flows: {@code blind} (write the new state, whatever was there), {@code rmw}
 * (read-modify-write: read the entity and its version, change it, write it back only if the
 * version is still the one read) and {@code new} (create an entity with an id never written). Every benchmark thread writes its own {@value #IDS_PER_THREAD}
 * entities in turn (collections hold {@value #SLOTS} times as many), so the figures measure cost, not contention. Latency is sampled per call
 * ({@link Mode#SampleTime}); {@link BenchmarkMain} derives throughput from it.
 *
 * <p>The MongoDB filters of each row (all of them name one {@code _id}, which the in-JVM server
 * looks up as MongoDB does; it scans the collection only for the write-ahead intents'
 * {@code entityId} queries, off the caller's path): raw and naive blind {@code replaceOne({_id})};
 * raw and naive rmw {@code find({_id})} + {@code replaceOne({_id, version})}; coordinator
 * {@code replaceOne({_id, _dw.rev})} on a revision the store remembers ({@code find({_id})} +
 * {@code insertOne} or the replace otherwise), plus a batched {@code bulkWrite} of acknowledgements
 * off the caller's path; write-ahead: the turn with the intent (one {@code update} of two statements),
 * the caller's write, a read-back by {@code _id} and the command that records the version and ends the
 * turn. {@value #DEFER_ACKS} holds the acknowledgements until the trial ends.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WriteBenchmark {
    /** Entities each benchmark thread cycles through. */
    public static final int IDS_PER_THREAD = 100;
    /** Thread slots; more threads than this share slots (and then contend). */
    public static final int SLOTS = 8;
    /** Suffix of the methods whose writer sets {@code clientEnforcesTimeout(true)} on every sink. */
    public static final String CLIENT_TIMEOUT = "ClientTimeout";

    /**
     * System property: when {@code true}, the writers hold every acknowledgement until the trial ends, so the
     * rows show what the primary's share of the acknowledgements costs the writes of this machine (a diagnostic:
     * intents then stay pending for the whole trial).
     */
    public static final String DEFER_ACKS = "bench.deferAcks";

    private static final AtomicInteger NEXT_SLOT = new AtomicInteger();

    /** The sink: {@code sim-0ms}, {@code sim-1ms} (simulated round trip) or {@code redis} (real). */
    @Param({"sim-0ms", "sim-1ms", "redis"})
    public String sink;

    /** {@code blind}, {@code rmw} (read-modify-write with the version read) or {@code new} (a new id each time). */
    @Param({"blind", "rmw", "new"})
    public String flow;

    private BenchmarkServers servers;
    private MongoCollection<Item> items;
    private final List<Sink<Item>> sinks = new ArrayList<>();
    private DualWriter<Item> writer;
    private boolean rmw;
    private boolean newIds;
    /** Entities per thread slot; tests lower it. */
    int idsPerThread = IDS_PER_THREAD;

    /**
     * Opens the servers and prepares only what the benchmark method of this trial uses.
     *
     * @param params JMH's parameters of this trial
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        open(benchmark.substring(benchmark.lastIndexOf('.') + 1));
    }

    /**
     * Prepares the collection, sinks and writer that {@code method} uses, with the entities of
     * every slot already written.
     *
     * @param method the benchmark method's name
     */
    public void open(String method) {
        if (!List.of("blind", "rmw", "new").contains(flow)) {
            throw new IllegalArgumentException("flow must be blind, rmw or new, was " + flow);
        }
        rmw = flow.equals("rmw");
        newIds = flow.equals("new");
        servers = BenchmarkServers.open();
        MongoDatabase db = servers.database();
        items = db.getCollection(method, Item.class);
        int sinkCount = method.contains("ThreeSinks") ? 3 : 1;
        boolean clientTimeout = method.endsWith(CLIENT_TIMEOUT);
        for (int i = 0; i < sinkCount; i++) {
            sinks.add(BenchmarkSinks.create(sink, servers, method + "-" + i));
        }
        switch (method) {
            case "rawPrimary", "naiveDualWrite", "naiveDualWriteThreeSinks" -> items.insertMany(initialItems(1L, idsPerThread));
            case "coordinatorOneSink", "coordinatorThreeSinks",
                 "coordinatorOneSinkClientTimeout", "coordinatorThreeSinksClientTimeout" -> {
                MongoPrimaryStore<Item> store = MongoPrimaryStore.builder(items).build();
                prefillThrough(store, idsPerThread);
                writer = writer(store, db, clientTimeout);
            }
            case "writeAhead", "writeAheadClientTimeout", "writeAheadReturning" -> {
                items.insertMany(initialItems(1L, idsPerThread));
                writer = writer(MongoWriteAheadStore.builder(db, items).versionField("version").build(), db,
                        clientTimeout);
            }
            default -> throw new IllegalArgumentException("no such benchmark method: " + method);
        }
    }

    private DualWriter<Item> writer(PrimaryStore<Item> store, MongoDatabase db, boolean clientTimeout) {
        DualWriterBuilder<Item> b = DualWriter.<Item>builder().entityType(BenchmarkSinks.TYPE).idOf(Item::getId)
                .primary(store).deadLetterStore(MongoDeadLetterStore.builder(db).build())
                .meterRegistry(new SimpleMeterRegistry());
        if (Boolean.getBoolean(DEFER_ACKS)) {
            b.acknowledgements(Integer.MAX_VALUE, Duration.ofDays(1)); // flushed when the writer closes
        }
        SinkSettings settings = SinkSettings.builder().clientEnforcesTimeout(clientTimeout).build();
        for (int i = 0; i < sinks.size(); i++) {
            b.sink("sink" + i, sinks.get(i), settings);
        }
        return b.build();
    }

    /** Writes the initial entities through a writer without sinks, so they carry dualwrite's versions. */
    private static void prefillThrough(PrimaryStore<Item> store, int perSlot) {
        try (DualWriter<Item> loader = DualWriter.<Item>builder().entityType(BenchmarkSinks.TYPE).idOf(Item::getId)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            for (Item item : initialItems(null, perSlot)) {
                loader.save(item);
            }
        }
    }

    private static List<Item> initialItems(Long version, int perSlot) {
        List<Item> out = new ArrayList<>(SLOTS * perSlot);
        for (int slot = 0; slot < SLOTS; slot++) {
            for (int i = 0; i < perSlot; i++) {
                Item item = new Item(idOf(slot, i), "item " + i, 100 + i);
                item.setVersion(version);
                out.add(item);
            }
        }
        return out;
    }

    static String idOf(int slot, int i) {
        return "t" + slot + "-" + i;
    }

    /** Closes the writer (flushing its acknowledgements), drops the database and the Redis keys. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            servers.close();
        }
    }

    /** One benchmark thread's place: its own entities and its own version counter. Not thread-safe. */
    @State(Scope.Thread)
    public static class Caller {
        int slot;
        int next;
        long created;
        long version;
        long price;

        /** Takes the next slot; this thread's MongoDB commands are the caller's path ({@link CommandCounter}). */
        @Setup(Level.Trial)
        public void setUp() {
            CommandCounter.callerThread();
            slot = Math.floorMod(NEXT_SLOT.getAndIncrement(), SLOTS);
            version = System.currentTimeMillis() * 1000;
        }

        String nextId(int perSlot) {
            next = (next + 1) % perSlot;
            return idOf(slot, next);
        }

        String newId() {
            return "n" + slot + "-" + (++created);
        }

        Item blindState(String id) {
            Item item = new Item(id, "item " + id, ++price);
            item.setVersion(++version);
            return item;
        }
    }

    // ------------------------------------------------------------------ (a) the primary write alone

    /**
     * @param c the calling thread's state
     * @return the version written
     */
    @Benchmark
    public long rawPrimary(Caller c) {
        return rawWrite(c).getVersion();
    }

    /** The entity of the caller's next operation; every operation takes exactly one, so this counts them too. */
    private String idFor(Caller c) {
        CommandCounter.operation();
        return newIds ? c.newId() : c.nextId(idsPerThread);
    }

    private Item rawWrite(Caller c) {
        String id = idFor(c);
        if (newIds) {
            Item item = c.blindState(id);
            items.insertOne(item);
            return item;
        }
        if (!rmw) {
            Item item = c.blindState(id);
            items.replaceOne(Filters.eq("_id", id), item, new ReplaceOptions().upsert(true));
            return item;
        }
        Item item = items.find(Filters.eq("_id", id)).first();
        long read = item.getVersion();
        item.setPrice(++c.price);
        item.setVersion(read + 1);
        versionChecked(id, read, item);
        return item;
    }

    // ------------------------------------------------------------------ (b) the naive unsafe dual write

    /**
     * @param c the calling thread's state
     * @return what the sink answered
     * @throws Exception when the sink fails
     */
    @Benchmark
    public Object naiveDualWrite(Caller c) throws Exception {
        Item item = rawWrite(c);
        return sinks.get(0).apply(BenchmarkSinks.changeOf(item, item.getVersion()));
    }

    /**
     * The naive write to three sinks, one after the other, as hand-written code usually does.
     *
     * @param c the calling thread's state
     * @return what the last sink answered
     * @throws Exception when a sink fails
     */
    @Benchmark
    public Object naiveDualWriteThreeSinks(Caller c) throws Exception {
        Item item = rawWrite(c);
        Object last = null;
        for (Sink<Item> s : sinks) {
            last = s.apply(BenchmarkSinks.changeOf(item, item.getVersion()));
        }
        return last;
    }

    // ------------------------------------------------------------------ (c) save through the coordinator

    /**
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorOneSink(Caller c) {
        return coordinatorSave(c);
    }

    /**
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorThreeSinks(Caller c) {
        return coordinatorSave(c);
    }

    /**
     * {@link #coordinatorOneSink} with {@code clientEnforcesTimeout(true)}: no thread hand-off.
     *
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorOneSinkClientTimeout(Caller c) {
        return coordinatorSave(c);
    }

    /**
     * {@link #coordinatorThreeSinks} with {@code clientEnforcesTimeout(true)}.
     *
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult coordinatorThreeSinksClientTimeout(Caller c) {
        return coordinatorSave(c);
    }

    private WriteResult coordinatorSave(Caller c) {
        String id = idFor(c);
        WriteResult r;
        if (!rmw) {
            r = writer.save(c.blindState(id));
        } else {
            Snapshot<Item> read = writer.operations().snapshot(id).orElseThrow();
            Item item = read.state().orElseThrow();
            item.setPrice(++c.price);
            r = writer.save(item, WriteOptions.builder().expectedVersion(read.version()).build());
        }
        return checked(r);
    }

    // ------------------------------------------------------------------ (d) write-ahead around the caller's save

    /**
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult writeAhead(Caller c) {
        return writeAheadSave(c);
    }

    /**
     * {@link #writeAhead} with {@code clientEnforcesTimeout(true)}.
     *
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult writeAheadClientTimeout(Caller c) {
        return writeAheadSave(c);
    }

    /**
     * The caller's write returns what it left: {@code findOneAndUpdate} returning the document after the
     * update (blind), the entity a version-checked repository save returns (rmw), the inserted entity (new).
     *
     * @param c the calling thread's state
     * @return the result
     */
    @Benchmark
    public WriteResult writeAheadReturning(Caller c) {
        String id = idFor(c);
        if (newIds) {
            Item item = newDocument(c, id);
            return checked(writer.saveReturning(id, () -> {
                items.insertOne(item);
                return item;
            }));
        }
        if (!rmw) {
            FindOneAndUpdateOptions returning = new FindOneAndUpdateOptions().upsert(true)
                    .returnDocument(ReturnDocument.AFTER);
            return checked(writer.saveReturning(id, () -> items.findOneAndUpdate(Filters.eq("_id", id),
                    blindUpdate(c, id), returning)));
        }
        Item item = items.find(Filters.eq("_id", id)).first();
        long read = item.getVersion();
        item.setPrice(++c.price);
        item.setVersion(read + 1);
        return checked(writer.saveReturning(id, () -> {
            versionChecked(id, read, item);
            return item;
        }));
    }

    /** A new entity as a repository inserts it: its version field 0. */
    private static Item newDocument(Caller c, String id) {
        Item item = new Item(id, "item " + id, ++c.price);
        item.setVersion(0L);
        return item;
    }

    private static Bson blindUpdate(Caller c, String id) {
        return Updates.combine(Updates.set("name", "item " + id), Updates.set("price", ++c.price),
                Updates.inc("version", 1L));
    }

    /** The caller's optimistic lock: replaces the entity only if its version field is still the one read. */
    private void versionChecked(String id, long read, Item item) {
        UpdateResult r = items.replaceOne(Filters.and(Filters.eq("_id", id), Filters.eq("version", read)), item);
        if (r.getMatchedCount() != 1) {
            throw new IllegalStateException("lost the compare-and-set on " + id + ": another writer came first");
        }
    }

    private WriteResult writeAheadSave(Caller c) {
        String id = idFor(c);
        if (newIds) {
            Item item = newDocument(c, id);
            return checked(writer.saveWith(id, () -> items.insertOne(item)));
        }
        if (!rmw) {
            Bson update = blindUpdate(c, id);
            return checked(writer.saveWith(id, () -> items.updateOne(Filters.eq("_id", id), update,
                    new UpdateOptions().upsert(true))));
        }
        // the caller's repository: read, change, save guarded by its own @Version field
        Item item = items.find(Filters.eq("_id", id)).first();
        long read = item.getVersion();
        item.setPrice(++c.price);
        item.setVersion(read + 1);
        return checked(writer.saveWith(id, () -> versionChecked(id, read, item)));
    }

    private static WriteResult checked(WriteResult r) {
        if (!r.fullyApplied()) {
            throw new IllegalStateException("a sink did not take " + r.idempotencyKey() + ": " + r);
        }
        return r;
    }
}
