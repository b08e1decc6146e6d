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
package io.dualwrite.mongo;

import com.mongodb.MongoSocketReadTimeoutException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileListener;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileProgress;
import io.dualwrite.reconcile.ReconcileCancelledException;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.testkit.ForwardingReconcileStore;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconciliation requests between application instances sharing one primary (the test MongoDB): each instance has its
 * own writer, reconciler and request worker over the same collection and the same in-memory sink; one clock is
 * everyone's wall clock, moved by hand to let leases run out.
 */
@ExtendWith(MongoExtension.class)
class ReconcileRequestTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    private final InMemorySink<Product> search = new InMemorySink<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    /** The application's own listener of every instance's reconciler. */
    private volatile ReconcileListener appListener = ReconcileListener.NONE;
    /** The collection of the instances {@link #instance} makes. */
    private MongoCollection<Product> products;

    /** One application instance. */
    private final class Instance {
        final DualWriter<Product> writer;
        final Reconciler reconciler;
        final ReconcileRequestWorker worker;
        final AtomicInteger runs = new AtomicInteger();

        Instance(MongoDatabase db, MongoCollection<Product> products, String name, ReconcilableSink<Product> reader) {
            this(db, products, name, reader, null);
        }

        /** An instance whose worker polls on {@code scheduler} (null: the worker's own). */
        Instance(MongoDatabase db, MongoCollection<Product> products, String name, ReconcilableSink<Product> reader,
                 ScheduledExecutorService scheduler) {
            this(db, products, name, reader, scheduler, MongoReconcileStore.builder(db).build());
        }

        /** An instance whose reconciler keeps its checkpoints and reports in {@code store}. */
        Instance(MongoDatabase db, MongoCollection<Product> products, String name, ReconcilableSink<Product> reader,
                 ScheduledExecutorService scheduler, ReconcileStore store) {
            writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                    .primary(MongoPrimaryStore.builder(products).build()).deadLetterStore(new InMemoryDeadLetterStore())
                    .sink("search", search).meterRegistry(new SimpleMeterRegistry()).workerId(name).build();
            reconciler = Reconciler.<Product>builder().writer(writer).primary(MongoPrimaryStore.builder(products).build())
                    .sink("search", reader).store(store).chunkSize(2)
                    .meterRegistry(new SimpleMeterRegistry()).listener(new ReconcileListener() {
                        @Override
                        public void onProgress(ReconcileProgress progress) {
                            appListener.onProgress(progress);
                        }

                        @Override
                        public void onFinished(ReconcileReport report) {
                            runs.incrementAndGet();
                        }
                    }).build();
            ReconcileRequestWorker.Builder builder = ReconcileRequestWorker.builder(requests(db)).reconciler(reconciler)
                    .workerId(name).lease(LEASE);
            if (scheduler != null) {
                builder.scheduler(scheduler);
            }
            worker = builder.build();
            closing.add(worker);
            closing.add(writer);
        }
    }

    private ReconcileRequests requests(MongoDatabase db) {
        return ReconcileRequests.builder(db).clock(clock).build();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** @return the ids the search sink does not hold at the given versions */
    private List<String> notHeldAt(Map<String, Long> versions) {
        List<String> out = new ArrayList<>();
        versions.forEach((id, v) -> {
            if (search.versionOf(id).orElse(-1) != v) {
                out.add(id);
            }
        });
        return out;
    }

    /**
     * The search sink, read through a wrapper that, on its first read of the second chunk (p-3 and p-4), says so on
     * {@code reached} and waits for {@code resume} (or an interrupt).
     */
    private ReconcilableSink<Product> waitingInTheSecondChunk(CountDownLatch reached, CountDownLatch resume) {
        AtomicInteger reads = new AtomicInteger();
        return new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (ids.contains("p-3") && reads.incrementAndGet() == 1) {
                    reached.countDown();
                    resume.await();
                }
                return super.versionsOf(ids);
            }
        };
    }

    @Test
    void ofTwoInstancesRacingForARequestExactlyOneRunsItAndNobodyRunsItAgain(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        Instance a = new Instance(db, products, "app-a", search);
        Instance b = new Instance(db, products, "app-b", search);
        a.writer.save(new Product("p-1", "kettle", 2999));
        ReconcileRequests requests = requests(db);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            int rounds = 10;
            for (int round = 0; round < rounds; round++) {
                ReconcileRequest r = requests.submit("product", ReconcileScope.all(), ReconcileMode.DRY_RUN, "alice");
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Optional<ReconcileRequest>> fa = pool.submit(() -> {
                    together.await();
                    return a.worker.runOnce();
                });
                Future<Optional<ReconcileRequest>> fb = pool.submit(() -> {
                    together.await();
                    return b.worker.runOnce();
                });
                Optional<ReconcileRequest> ra = fa.get(20, TimeUnit.SECONDS);
                Optional<ReconcileRequest> rb = fb.get(20, TimeUnit.SECONDS);
                assertTrue(ra.isPresent() ^ rb.isPresent(), "round " + round + ": exactly one instance took it");
                ReconcileRequest done = requests.get(r.id()).orElseThrow();
                assertEquals(RequestStatus.COMPLETED, done.status(), "round " + round);
                assertEquals(1, done.attempts(), "taken once");
                assertEquals(ra.isPresent() ? "app-a" : "app-b", done.owner(), "the winner holds it");
                assertEquals(Optional.empty(), a.worker.runOnce(), "a finished request is never taken again");
                assertEquals(Optional.empty(), b.worker.runOnce(), "a finished request is never taken again");
            }
            assertEquals(rounds, a.runs.get() + b.runs.get(), "one run per request, all instances together");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aHolderThatStopsMidRunLosesTheRequestToAnotherInstanceWhichResumesIt(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch revive = new CountDownLatch(1);
        // instance A stops (hangs, as a process that died would, never to renew its lease) in its second chunk
        ReconcilableSink<Product> hanging = waitingInTheSecondChunk(secondChunk, revive);
        Instance a = new Instance(db, products, "app-a", hanging);
        Instance b = new Instance(db, products, "app-b", search);
        Map<String, Long> versions = new java.util.HashMap<>();
        for (int i = 1; i <= 6; i++) {
            versions.put("p-" + i, a.writer.save(new Product("p-" + i, "item " + i, 100 * i)).version());
        }
        search.clear(); // the sink lost everything: six missing
        ReconcileRequests requests = requests(db);
        ReconcileRequest r = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A reached its second chunk");
            ReconcileRequest held = requests.get(r.id()).orElseThrow();
            assertEquals(RequestStatus.RUNNING, held.status());
            assertEquals("app-a", held.owner());
            assertEquals(2, held.lastProgress().orElseThrow().idsDone(), "A recorded its first chunk");
            assertEquals(Optional.empty(), b.worker.runOnce(), "B leaves a request whose lease is alive alone");

            clock.advance(LEASE.plusSeconds(1));
            ReconcileRequest taken = b.worker.runOnce().orElseThrow();
            assertEquals(RequestStatus.COMPLETED, taken.status(), String.valueOf(taken.reason()));
            assertEquals("app-b", taken.owner(), "B took it over");
            assertEquals(2, taken.attempts());
            ReconcileReport report = taken.finalReport().orElseThrow();
            assertEquals(1, report.resumes(), "B resumed from A's checkpoint: " + report.summary());
            assertEquals(6, report.count(DriftClass.MISSING), "the counts of A's chunk were carried on");
            assertEquals(6, report.repaired(), report.summary());
            for (int i = 1; i <= 6; i++) {
                assertEquals(versions.get("p-" + i), search.versionOf("p-" + i).getAsLong(), "p-" + i + " was repaired");
            }

            revive.countDown(); // A comes back to life: it no longer holds the request, and records nothing in it
            ReconcileRequest afterA = aRun.get(20, TimeUnit.SECONDS).orElseThrow();
            assertEquals("app-b", afterA.owner());
            assertEquals(RequestStatus.COMPLETED, afterA.status());
            assertEquals(report, afterA.finalReport().orElseThrow(), "A's late end changed nothing in the request");
            assertEquals(0, a.runs.get(), "A's run stopped at its next chunk, before it stored a report of its own");
            assertEquals(1, b.runs.get(), "B's run is the one that ended");
            assertEquals(Optional.empty(), a.worker.runOnce(), "a finished request is never taken again");
            assertEquals(Optional.empty(), b.worker.runOnce(), "a finished request is never taken again");
        } finally {
            revive.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerClosedMidRunLeavesTheRequestToAnotherInstanceInsteadOfFailingIt(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        CountDownLatch secondChunk = new CountDownLatch(1);
        // instance A's run waits in its second chunk until the worker's close interrupts it, as at shutdown
        ReconcilableSink<Product> slow = waitingInTheSecondChunk(secondChunk, new CountDownLatch(1));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        Instance a = new Instance(db, products, "app-a", slow, scheduler);
        Instance b = new Instance(db, products, "app-b", search);
        for (int i = 1; i <= 4; i++) {
            a.writer.save(new Product("p-" + i, "item " + i, 100 * i));
        }
        search.clear();
        ReconcileRequests requests = requests(db);
        ReconcileRequest r = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        a.worker.start();
        assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A took the request and reached its second chunk");
        a.worker.close();
        scheduler.shutdownNow(); // interrupts the run, as close() does on the worker's own scheduler
        assertTrue(scheduler.awaitTermination(20, TimeUnit.SECONDS), "A's run ended");
        ReconcileRequest left = requests.get(r.id()).orElseThrow();
        assertEquals(RequestStatus.RUNNING, left.status(), "a closed instance's run is no failure: " + left.reason());
        assertEquals("app-a", left.owner(), "left under A's lease");

        clock.advance(LEASE.plusSeconds(1));
        ReconcileRequest taken = b.worker.runOnce().orElseThrow();
        assertEquals(RequestStatus.COMPLETED, taken.status(), String.valueOf(taken.reason()));
        assertEquals("app-b", taken.owner(), "B took it over");
        assertEquals(2, taken.attempts());
        assertEquals(4, taken.finalReport().orElseThrow().repaired(), taken.finalReport().orElseThrow().summary());
    }

    @Test
    void aRequestForAnUnknownEntityTypeOrSinkFailsWithItsReason(MongoDatabase db) {
        Instance a = new Instance(db, Collections.products(db), "app-a", search);
        ReconcileRequests requests = requests(db);
        ReconcileRequest invoices = requests.submit("invoice", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest nowhere = requests.submit("product", ReconcileScope.all().sinks("nowhere"),
                ReconcileMode.DRY_RUN, "alice");

        ReconcileRequest first = a.worker.runOnce().orElseThrow();
        assertEquals(invoices.id(), first.id(), "the oldest first");
        assertEquals(RequestStatus.FAILED, first.status());
        assertEquals("no reconciler of entity type 'invoice' runs in the application (instance app-a reconciles"
                + " [product])", first.failure().orElseThrow());
        ReconcileRequest second = a.worker.runOnce().orElseThrow();
        assertEquals(RequestStatus.FAILED, second.status());
        assertEquals("the reconciler of entity type 'product' has no sink 'nowhere' (it has [search])",
                second.failure().orElseThrow());
        assertEquals(0, a.runs.get(), "nothing ran");
        assertEquals(Optional.empty(), a.worker.runOnce(), "a failed request is never taken again");
    }

    @Test
    void aDryRunRecordsItsProgressAndItsReportByDriftClass(MongoDatabase db) {
        Instance a = new Instance(db, Collections.products(db), "app-a", search);
        long v1 = a.writer.save(new Product("p-1", "item 1", 100)).version();
        long v2 = a.writer.save(new Product("p-2", "item 2", 200)).version();
        for (int i = 3; i <= 5; i++) {
            a.writer.save(new Product("p-" + i, "item " + i, 100 * i));
        }
        a.writer.save(new Product("p-2", "item 2, renamed", 200));
        search.clear();
        search.force("p-1", v1, new Product("p-1", "item 1", 100));
        search.force("p-2", v2, new Product("p-2", "item 2", 200));
        search.force("p-9", 1, new Product("p-9", "gone", 900));
        ReconcileRequests requests = requests(db);
        ReconcileRequest r = requests.submit("product", ReconcileScope.all(), ReconcileMode.DRY_RUN, "alice");
        assertEquals(RequestStatus.PENDING, r.status());
        assertEquals(ReconcileRequests.PHASE_WAITING, r.phase());

        ReconcileRequest done = a.worker.runOnce().orElseThrow();
        assertEquals(RequestStatus.COMPLETED, done.status());
        assertEquals(ReconcileRequests.PHASE_DONE, done.phase());
        ReconcileReport report = done.finalReport().orElseThrow();
        assertEquals(report.idsCovered(), done.lastProgress().orElseThrow().idsDone(), "the last chunk's progress");
        assertTrue(done.lastProgress().orElseThrow().chunksDone() >= 3, "chunks of two");
        assertEquals(3, report.count(DriftClass.MISSING), report.summary());
        assertEquals(1, report.count(DriftClass.STALE), report.summary());
        assertEquals(1, report.count(DriftClass.ORPHAN), report.summary());
        assertEquals(0, report.actions(RepairOutcome.REPUBLISHED), "a dry run repairs nothing");
        assertFalse(search.versionOf("p-3").isPresent(), "a dry run repairs nothing");
        assertEquals(ReconcileScope.all(), done.scope());
        assertEquals("alice", done.requestedBy());
    }

    @Test
    void aMalformedIdIsRefusedAndAnUnknownOneIsNotFound(MongoDatabase db) {
        ReconcileRequests requests = requests(db);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> requests.get("42"));
        assertEquals("'42' is not a reconciliation request id (24 hexadecimal digits)", e.getMessage());
        assertEquals(Optional.empty(), requests.get("0123456789abcdef01234567"));
    }

    /**
     * A holder that hung mid-run and lost its request to an instance that completed it leaves no checkpoint either:
     * a later applied run of the same scope would resume from it, skip every id before it, and report COMPLETED.
     */
    @Test
    void aHolderThatLostItsRequestLeavesNoCheckpointThatTheNextRunResumesFrom(MongoDatabase db) throws Exception {
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch revive = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, revive),
                MongoReconcileStore.builder(db).build());
        Instance b = instance(db, "app-b", search, MongoReconcileStore.builder(db).build());
        Map<String, Long> versions = seedSix(a);
        ReconcileRequest first = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        // A comes back, finishes the chunk it was in, and stops
        ReconcileReport byB = heldWhileTheOtherTakesOver(a, b, secondChunk, revive, RequestStatus.COMPLETED, () -> { });

        assertEquals(RequestStatus.COMPLETED, requests(db).get(first.id()).orElseThrow().status());
        // days later the cache is flushed again, and an operator asks for a reconciliation of everything
        nextApplyRepairsEverything(db, b, versions, byB.runId(), "after A stopped");
    }

    // ------------------------------------------------------------------ a stale holder writing late

    /**
     * An instance over the test's collection (the same for every instance of a test), without its own worker
     * scheduler, keeping its checkpoints and reports in {@code store}.
     */
    private Instance instance(MongoDatabase db, String name, ReconcilableSink<Product> reader, ReconcileStore store) {
        if (products == null) {
            products = Collections.products(db);
        }
        return new Instance(db, products, name, reader, null, store);
    }

    /** Saves p-1..p-6 through A; then the cache is flushed: six missing. @return their versions */
    private Map<String, Long> seedSix(Instance a) {
        Map<String, Long> versions = new LinkedHashMap<>();
        for (int i = 1; i <= 6; i++) {
            versions.put("p-" + i, a.writer.save(new Product("p-" + i, "item " + i, 100 * i)).version());
        }
        search.clear();
        return versions;
    }

    /**
     * A store whose checkpoint write number {@code which} (2: after p-3 and p-4; 3: the last) says so on
     * {@code stalled}, waits for {@code land}, lands, and then runs {@code after}.
     */
    private static ReconcileStore stallingCheckpoint(ReconcileStore shared, int which, CountDownLatch stalled,
                                                     CountDownLatch land, Runnable after) {
        AtomicInteger checkpoints = new AtomicInteger();
        return new ForwardingReconcileStore(shared) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                boolean stalls = checkpoints.incrementAndGet() == which;
                if (stalls) {
                    stalled.countDown();
                    try {
                        land.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.saveCheckpoint(checkpoint);
                if (stalls) {
                    after.run();
                }
            }
        };
    }

    /**
     * A takes the pending request and runs it until {@code held} says it is held (a stalled write, a hung read); its
     * lease runs out; B takes the request over and ends it with {@code expected}; {@code meanwhile} runs; then
     * {@code release} lets A go on, and A's run ends.
     *
     * @return B's final report
     */
    private ReconcileReport heldWhileTheOtherTakesOver(Instance a, Instance b, CountDownLatch held,
                                                       CountDownLatch release, RequestStatus expected,
                                                       Runnable meanwhile) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(held.await(20, TimeUnit.SECONDS), "A is held");
            clock.advance(LEASE.plusSeconds(1)); // A's lease runs out
            ReconcileRequest byB = b.worker.runOnce().orElseThrow();
            assertEquals(expected, byB.status(), "B took the request over: " + byB.reason());
            assertEquals("app-b", byB.owner());
            meanwhile.run();
            release.countDown();
            aRun.get(20, TimeUnit.SECONDS);
            return byB.finalReport().orElseThrow();
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * Later the cache is flushed again and an operator asks for an applied run of everything: it must leave every id
     * held at its version, whatever the stale holder wrote.
     */
    private void nextApplyRepairsEverything(MongoDatabase db, Instance b, Map<String, Long> versions, String firstRun,
                                            String context) {
        search.clear();
        ReconcileRequest second = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "bob");
        ReconcileRequest done = b.worker.runOnce().orElseThrow();
        assertEquals(second.id(), done.id());
        assertEquals(RequestStatus.COMPLETED, done.status(), String.valueOf(done.reason()));
        ReconcileReport report = done.finalReport().orElseThrow();
        assertEquals(List.of(), notHeldAt(versions), context + "; the next run (" + report.runId()
                + (report.runId().equals(firstRun) ? ", the first run resumed" : ", a new run") + ", resumes "
                + report.resumes() + "): " + report.summary());
        assertEquals(0, report.resumes());
        assertEquals(6, report.count(DriftClass.MISSING), report.summary());
    }

    /**
     * A's checkpoint write stalls past its lease (between its progress record and the checkpoint landing) and lands
     * after B completed the run: the next applied run starts afresh instead of resuming from it.
     */
    @Test
    void aCheckpointThatLandsAfterItsRunCompletedIsNotResumed(MongoDatabase db) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", search, stallingCheckpoint(shared, 2, stalled, land, () -> { }));
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        String firstRun = heldWhileTheOtherTakesOver(a, b, stalled, land, RequestStatus.COMPLETED, () -> { }).runId();

        assertEquals(1, shared.checkpointCollection().countDocuments(Filters.eq("runId", firstRun)),
                "A's late checkpoint of the completed run is there");
        nextApplyRepairsEverything(db, b, versions, firstRun, "after A's late checkpoint");
    }

    /**
     * The stalled checkpoint write lands after B completed the run, and A's driver then times out on the reply: A's
     * run fails, and the report it stores (of its execution 0) does not replace B's COMPLETED one (execution 1).
     */
    @Test
    void aLateCheckpointWhoseReplyIsLostLeavesTheCompletedReport(MongoDatabase db) throws Exception {
        aLateCheckpointThenAFailureLeavesTheCompletedReport(db, search, () -> {
            throw new MongoSocketReadTimeoutException("Timeout while receiving message (injected: the write landed)",
                    new ServerAddress(), new SocketTimeoutException("Read timed out"));
        });
    }

    /**
     * The stalled checkpoint lands after B completed the run; A goes on to its next chunk, and its sink read fails
     * before A's listener learns the lease is lost: A's FAILED report does not replace B's COMPLETED one.
     */
    @Test
    void aStaleHolderWhoseNextChunkFailsLeavesTheCompletedReport(MongoDatabase db) throws Exception {
        AtomicBoolean landed = new AtomicBoolean();
        ReconcilableSink<Product> flakyForA = new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (landed.get()) {
                    throw new IOException("connection reset (injected)");
                }
                return super.versionsOf(ids);
            }
        };
        aLateCheckpointThenAFailureLeavesTheCompletedReport(db, flakyForA, () -> landed.set(true));
    }

    /**
     * A's second checkpoint write stalls past its lease; B completes the run; A's write lands and {@code afterLanding}
     * runs (it throws, or makes A's next read fail): A's run fails, B's COMPLETED report stays, and the next applied
     * run starts afresh.
     */
    private void aLateCheckpointThenAFailureLeavesTheCompletedReport(MongoDatabase db, ReconcilableSink<Product> readerOfA,
                                                                     Runnable afterLanding) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", readerOfA, stallingCheckpoint(shared, 2, stalled, land, afterLanding));
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ReconcileReport byB = heldWhileTheOtherTakesOver(a, b, stalled, land, RequestStatus.COMPLETED, () -> { });

        assertEquals(byB, shared.report("product", byB.runId()).orElseThrow(), "the stored report is B's");
        nextApplyRepairsEverything(db, b, versions, byB.runId(), "after A's failure");
    }

    /**
     * A's checkpoint write stalls; B takes the request over and its run fails (the sink is down); an operator abandons
     * the unfinished run so that the next one starts from the beginning; then A's late checkpoint lands: it is not
     * resumed.
     */
    @Test
    void aLateCheckpointOfAnAbandonedRunIsNotResumed(MongoDatabase db) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean sinkDown = new AtomicBoolean();
        ReconcilableSink<Product> readerOfB = new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (sinkDown.get()) {
                    throw new IOException("connection refused (injected)");
                }
                return super.versionsOf(ids);
            }
        };
        Instance a = instance(db, "app-a", search, stallingCheckpoint(shared, 2, stalled, land, () -> { }));
        Instance b = instance(db, "app-b", readerOfB, shared);
        Map<String, Long> versions = seedSix(a);
        requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        sinkDown.set(true);
        ReconcileReport byB = heldWhileTheOtherTakesOver(a, b, stalled, land, RequestStatus.FAILED, () -> {
            sinkDown.set(false);
            assertTrue(b.reconciler.abandon(ReconcileScope.all()).isPresent(), "B's failed run is abandoned");
            assertTrue(b.reconciler.unfinished(ReconcileScope.all()).isEmpty(), "abandoned");
        });

        assertTrue(b.reconciler.unfinished(ReconcileScope.all()).isEmpty(), "A's late checkpoint is not unfinished");
        nextApplyRepairsEverything(db, b, versions, byB.runId(), "after abandon and A's late checkpoint");
    }

    /**
     * A hangs in the sink read of its second chunk; B takes the request over and completes the run; when A comes back
     * its hung read fails: A stores no report over B's (docs/reconciliation.md: a holder that comes back "stores no
     * report of its own").
     */
    @Test
    void aHolderThatComesBackWithAFailedReadStoresNoReportOverTheOthers(MongoDatabase db) throws Exception {
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch revive = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        ReconcilableSink<Product> hangingThenReset = new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (ids.contains("p-3") && reads.incrementAndGet() == 1) {
                    reached.countDown();
                    revive.await();
                    throw new IOException("connection reset (injected, after the hang)");
                }
                return super.versionsOf(ids);
            }
        };
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", hangingThenReset, shared);
        Instance b = instance(db, "app-b", search, shared);
        seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ReconcileReport byB = heldWhileTheOtherTakesOver(a, b, reached, revive, RequestStatus.COMPLETED, () -> { });

        assertEquals(RequestStatus.COMPLETED, requests(db).get(r.id()).orElseThrow().status(), "the request is fenced");
        assertEquals(byB, shared.report("product", byB.runId()).orElseThrow(), "the stored report is B's");
    }

    /**
     * A's checkpoint write of its last chunk stalls past the lease; B takes over and completes the run; A's write then
     * lands and A's run, with no next chunk to stop at, ends: its COMPLETED report does not replace B's.
     */
    @Test
    void aHolderWhoseLastCheckpointStalledStoresNoReportOverTheOthers(MongoDatabase db) throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", search, stallingCheckpoint(shared, 3, stalled, land, () -> { }));
        Instance b = instance(db, "app-b", search, shared);
        seedSix(a);
        requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ReconcileReport byB = heldWhileTheOtherTakesOver(a, b, stalled, land, RequestStatus.COMPLETED, () -> { });

        assertEquals(byB, shared.report("product", byB.runId()).orElseThrow(), "the stored report is B's");
    }

    // ------------------------------------------------------------------ executions of one run

    /** A reader of the search sink whose versionsOf fails when it is asked for {@code id}, while {@code down}. */
    private ReconcilableSink<Product> failingOn(String id, AtomicBoolean down) {
        return new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (down.get() && (id == null || ids.contains(id))) {
                    throw new IOException("connection reset (injected)");
                }
                return super.versionsOf(ids);
            }
        };
    }

    /**
     * Exec 0 of the run fails at p-3 (checkpoint after p-2, resumes 0). A request: A takes it and resumes the run
     * (resumes 1); its first checkpoint write (after p-4) stalls past the lease. B takes the request over, resumes the
     * same checkpoint, claiming the execution after A's, and completes. A's write lands; A's next sink read fails: A's
     * FAILED report does not replace B's COMPLETED one, and its late checkpoint is not resumed.
     */
    @Test
    void aStaleHolderWithTheSameResumesLeavesTheCompletedReport(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean cDown = new AtomicBoolean(true);
        Instance c = instance(db, "app-c", failingOn("p-3", cDown), shared);
        Map<String, Long> versions = seedSix(c);
        ReconcileException first = assertThrows(ReconcileException.class,
                () -> c.reconciler.apply(ReconcileScope.all()));
        String runId = first.report().runId();

        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        AtomicBoolean aDown = new AtomicBoolean();
        Instance a = instance(db, "app-a", failingOn(null, aDown),
                stallingCheckpoint(shared, 1, stalled, land, () -> aDown.set(true)));
        Instance b = instance(db, "app-b", search, shared);
        requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ExecutorService pool = Executors.newSingleThreadExecutor();
        ReconcileReport byB;
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(stalled.await(20, TimeUnit.SECONDS), "A is held");
            clock.advance(LEASE.plusSeconds(1));
            ReconcileRequest taken = b.worker.runOnce().orElseThrow();
            assertEquals(RequestStatus.COMPLETED, taken.status(), String.valueOf(taken.reason()));
            byB = taken.finalReport().orElseThrow();
            assertEquals(runId, byB.runId(), "B resumed the run");
            assertEquals(2, byB.resumes(), "B claimed the execution after A's (1)");
            land.countDown();
            aRun.get(20, TimeUnit.SECONDS);
        } finally {
            land.countDown();
            pool.shutdownNow();
        }
        ReconcileReport stored = shared.report("product", runId).orElseThrow();
        assertAll(
                () -> assertEquals(RunStatus.COMPLETED, stored.status(), "B's COMPLETED report was replaced by stale"
                        + " A's: resumes " + stored.resumes() + " " + stored.errors()),
                () -> nextApplyRepairsEverything(db, b, versions, runId, "stored report after A came back: "
                        + stored.status() + " resumes " + stored.resumes() + " " + stored.errors()));
    }

    /**
     * Exec 0 fails at p-5 (checkpoint after p-4, resumes 0, chunks 2). Exec 1 resumes (resumes 1); its checkpoint
     * write after p-6 times out (the write is still in flight): exec 1 FAILED, resumes 1, chunks 3. abandon(): its
     * report claims an execution above exec 1 and is stored; the in-flight checkpoint lands after the abandon, and the
     * next apply starts from the beginning.
     */
    @Test
    void abandonIsRecordedAndALateCheckpointAfterItIsNotResumed(MongoDatabase db) {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean cDown = new AtomicBoolean(true);
        Instance c = instance(db, "app-c", failingOn("p-5", cDown), shared);
        Map<String, Long> versions = seedSix(c);
        String runId = assertThrows(ReconcileException.class, () -> c.reconciler.apply(ReconcileScope.all()))
                .report().runId();

        AtomicReference<ReconcileCheckpoint> inFlight = new AtomicReference<>();
        Instance d = instance(db, "app-d", search, new ForwardingReconcileStore(shared) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                if (inFlight.compareAndSet(null, checkpoint)) {
                    throw new MongoSocketReadTimeoutException("Timeout while receiving message (injected)",
                            new ServerAddress(), new SocketTimeoutException("Read timed out"));
                }
                super.saveCheckpoint(checkpoint);
            }
        });
        ReconcileException second = assertThrows(ReconcileException.class,
                () -> d.reconciler.apply(ReconcileScope.all()));
        assertEquals(runId, second.report().runId());

        Instance b = instance(db, "app-b", search, shared);
        Optional<ReconcileReport> abandoned = b.reconciler.abandon(ReconcileScope.all());
        assertTrue(abandoned.isPresent(), "abandoned");
        ReconcileReport stored = shared.report("product", runId).orElseThrow();
        String last = stored.errors().get(stored.errors().size() - 1);

        shared.saveCheckpoint(inFlight.get()); // the in-flight write lands
        assertAll(
                () -> assertTrue(last.startsWith("abandoned at sink '"), "the audit log does not record the abandon:"
                        + " it holds resumes " + stored.resumes() + " " + stored.status() + ", last error " + last
                        + "; abandon() returned a report of resumes " + abandoned.get().resumes()),
                () -> nextApplyRepairsEverything(db, b, versions, runId, "after abandon() and a late checkpoint"
                        + " after '" + inFlight.get().lastId() + "'"));
    }

    /**
     * A (execution 0) stalls writing its last checkpoint (after p-6) past its lease. B takes the request over, resumes
     * after p-4 (resumes 1) and its read of p-5 fails: request FAILED, report FAILED with resumes 1, checkpoint still
     * A's after p-4. A's write lands and is refused; with no next chunk A completes, but its report is refused (B's
     * execution is later), so A stops as cancelled and leaves the checkpoint: the run stays resumable.
     */
    @Test
    void aStaleHolderWhoseLastCheckpointStalledLeavesTheRunCompletedOrResumable(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        Instance a = instance(db, "app-a", search, stallingCheckpoint(shared, 3, stalled, land, () -> { }));
        Instance b = instance(db, "app-b", failingOn("p-5", new AtomicBoolean(true)), shared);
        seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        String runId;
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(stalled.await(20, TimeUnit.SECONDS), "A is held");
            runId = shared.checkpoint(shared.checkpointCollection().find().first().getString("_id")).orElseThrow()
                    .report().runId();
            clock.advance(LEASE.plusSeconds(1));
            ReconcileRequest byB = b.worker.runOnce().orElseThrow();
            assertEquals("app-b", byB.owner());
            land.countDown();
            aRun.get(20, TimeUnit.SECONDS);
        } finally {
            land.countDown();
            pool.shutdownNow();
        }
        ReconcileReport stored = shared.report("product", runId).orElseThrow();
        Optional<ReconcileReport> unfinished = b.reconciler.unfinished(ReconcileScope.all());
        assertTrue(stored.status() == RunStatus.COMPLETED || unfinished.isPresent(), "run " + runId + " is stuck: the"
                + " audit log says " + stored.status() + " (resumes " + stored.resumes() + ", " + stored.errors()
                + "), the request says " + requests(db).get(r.id()).orElseThrow().status() + ", A's COMPLETED report"
                + " was dropped and its checkpoint removal left nothing to resume");
    }

    /**
     * Run X failed; two executions claimed it and died before writing anything (its checkpoint's number is above every
     * report of it); then a report of X by an earlier execution says COMPLETED. The checkpoint is not stale (a later
     * execution claimed it): the next apply resumes X, and its progress is stored; the run key is never blocked.
     */
    @Test
    void aCheckpointClaimedAfterItsRunsCompletedReportIsResumedAndItsProgressStored(MongoDatabase db) {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance c = instance(db, "app-c", failingOn("p-3", new AtomicBoolean(true)), shared);
        seedSix(c);
        ReconcileReport x = assertThrows(ReconcileException.class, () -> c.reconciler.apply(ReconcileScope.all()))
                .report();
        ReconcileCheckpoint cp = shared.checkpoint(shared.checkpointCollection().find().first().getString("_id"))
                .orElseThrow();
        shared.claimResume(cp);
        shared.claimResume(cp); // two executions claimed it and died
        shared.saveReport(new ReconcileReport(x.runId(), x.entityType(), x.mode(), x.scope(), x.sinks(),
                RunStatus.COMPLETED, x.startedAt(), x.startedAt().plusSeconds(9), x.durationMillis(), 1, x.chunks(),
                x.idsCovered(), x.idsCompared(), x.contentCompared(), x.sinkCalls(), x.digestCalls(), x.counts(),
                x.actions(), List.of(), x.samples()));

        Instance d = instance(db, "app-d", failingOn("p-5", new AtomicBoolean(true)), shared);
        ReconcileReport y = assertThrows(ReconcileException.class, () -> d.reconciler.apply(ReconcileScope.all()))
                .report();
        assertEquals(x.runId(), y.runId(), "X is resumed");
        assertEquals(3, y.resumes(), "above the two executions that claimed it and died");
        ReconcileCheckpoint now = d.reconciler.unfinished(ReconcileScope.all()).isPresent()
                ? shared.checkpoint(cp.runKey()).orElseThrow() : null;
        assertEquals("p-4", now == null ? null : now.lastId(), "the resumed execution's progress is stored");
    }
    /** What {@link #abandonedWhileARunsIt} leaves: the request as stored and as A's worker returned it. */
    private record AbandonedMidRun(ReconcileRequest request, ReconcileRequest afterA, ReconcileReport abandoned) {
    }

    /**
     * Seeds p-1..p-6 and submits an applied request; A (keeping its checkpoints in {@code storeOfA}) takes it and
     * waits in its second chunk while B's reconciler abandons the run; {@code meanwhile} runs, then A's run ends.
     */
    private AbandonedMidRun abandonedWhileARunsIt(MongoDatabase db, ReconcileStore storeOfA, Instance b,
                                                  Runnable meanwhile) throws Exception {
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, resume), storeOfA);
        seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A is in its second chunk");
            ReconcileReport abandoned = b.reconciler.abandon(ReconcileScope.all()).orElseThrow();
            meanwhile.run();
            resume.countDown();
            ReconcileRequest afterA = aRun.get(20, TimeUnit.SECONDS).orElseThrow();
            return new AbandonedMidRun(requests(db).get(r.id()).orElseThrow(), afterA, abandoned);
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * An operator abandons the run of a request while its holder is in the middle of it (A waits in its second chunk).
     * A's run goes on to the end, but its COMPLETED report is refused (abandoning was a later execution of the run).
     * A still holds the request: it finishes it as FAILED at once, saying the run was taken over, instead of leaving
     * it RUNNING under its lease for another instance to run afresh once the lease ran out.
     */
    @Test
    void aRunAbandonedWhileItsHolderRunsItFinishesTheRequestAtOnce(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance b = instance(db, "app-b", search, shared);
        AbandonedMidRun run = abandonedWhileARunsIt(db, shared, b, () -> { });
        ReconcileRequest stored = run.request();
        ReconcileRequest afterA = run.afterA();
        ReconcileReport abandoned = run.abandoned();
        assertAll(
                () -> assertEquals(RequestStatus.FAILED, stored.status(), "the request is over once its run is"
                        + " abandoned; it was " + stored.status() + " under " + stored.owner() + "'s lease"),
                () -> assertEquals(stored.status(), afterA.status(), "runOnce returns the request as it stands"),
                () -> assertTrue(stored.failure().orElse("").contains(abandoned.runId()), "the reason names the run: "
                        + stored.failure()),
                () -> assertTrue(stored.failure().orElse("").contains("later execution"), "the reason says why: "
                        + stored.failure()),
                () -> assertEquals(RunStatus.FAILED, shared.report("product", abandoned.runId()).orElseThrow()
                        .status(), "the abandoned run's report stays"));
        clock.advance(LEASE.plusSeconds(1));
        assertEquals(Optional.empty(), b.worker.runOnce(), "a finished request is not run again");
    }

    /**
     * An operator's abandon() claims the run of a request while its holder is in the middle of it, and the claim lands
     * but its reply is lost: abandon() throws the store's own exception, nothing is abandoned, but the claim fences
     * the holder's run, which stops as taken over. The request fails at once saying so; the next request resumes the
     * run under a later execution number and completes it.
     */
    @Test
    void anAbandonWhoseClaimReplyIsLostStopsTheRunAndTheNextRequestResumesIt(MongoDatabase db) {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance operator = instance(db, "app-op", search, new ForwardingReconcileStore(shared) {
            @Override
            public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                super.claimResume(checkpoint);
                throw new MongoSocketReadTimeoutException("Timeout while receiving message (injected)",
                        new ServerAddress(), new java.net.SocketTimeoutException());
            }
        });
        AtomicReference<Throwable> abandonThrew = new AtomicReference<>();
        AtomicBoolean once = new AtomicBoolean(true);
        Instance a = instance(db, "app-a", search, new ForwardingReconcileStore(shared) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                super.saveCheckpoint(checkpoint);
                if (once.compareAndSet(true, false)) {
                    abandonThrew.set(assertThrows(MongoSocketReadTimeoutException.class,
                            () -> operator.reconciler.abandon(ReconcileScope.all())));
                }
            }
        });
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest afterA = a.worker.runOnce().orElseThrow();
        assertNotNull(abandonThrew.get(), "the operator's abandon ran mid-run");
        assertEquals(r.id(), afterA.id());
        assertEquals(RequestStatus.FAILED, afterA.status());
        assertTrue(afterA.failure().orElse("").startsWith("a later execution took its run over: "),
                "reason: " + afterA.failure());
        ReconcileReport left = b.reconciler.unfinished(ReconcileScope.all()).orElseThrow();
        assertEquals(1, left.resumes(), "the run is left at the claim's execution number");
        ReconcileRequest next = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "bob");
        ReconcileRequest done = b.worker.runOnce().orElseThrow();
        assertEquals(next.id(), done.id());
        assertEquals(RequestStatus.COMPLETED, done.status(), String.valueOf(done.reason()));
        ReconcileReport report = done.finalReport().orElseThrow();
        assertEquals(left.runId(), report.runId(), "the next request resumes the run");
        assertEquals(2, report.resumes());
        assertEquals(report, shared.report("product", report.runId()).orElseThrow());
        assertEquals(List.of(), notHeldAt(versions), "the sink holds every entity");
    }

    // ------------------------------------------------------------------ a run taken over while its holder runs it

    /** The search sink, read through a wrapper whose first read says so on {@code reached} and waits for {@code go}. */
    private ReconcilableSink<Product> waitingInTheFirstRead(CountDownLatch reached, CountDownLatch go) {
        AtomicInteger reads = new AtomicInteger();
        return new ForwardingSink<>(search) {
            @Override
            public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                if (reads.incrementAndGet() == 1) {
                    reached.countDown();
                    go.await();
                }
                return super.versionsOf(ids);
            }
        };
    }

    /**
     * A stalls writing its last checkpoint past its lease (its Watcher recorded the chunk in time, so it never learns
     * it lost the request); B takes the request over and resumes the run, and waits in its first read; an operator
     * abandons the run. A's write lands, its COMPLETED report is refused (a later execution), and A's worker - which
     * still thinks it holds the request - tries to fail it: the fence must keep the request B's, RUNNING.
     */
    @Test
    void aStaleHolderWhoseWatcherHadNotNoticedLeavesTheOthersRequestAlone(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch land = new CountDownLatch(1);
        CountDownLatch bReading = new CountDownLatch(1);
        CountDownLatch bGo = new CountDownLatch(1);
        Instance a = instance(db, "app-a", search, stallingCheckpoint(shared, 3, stalled, land, () -> { }));
        Instance b = instance(db, "app-b", waitingInTheFirstRead(bReading, bGo), shared);
        Instance c = instance(db, "app-c", search, shared);
        Map<String, Long> versions = seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(stalled.await(20, TimeUnit.SECONDS), "A is held in its last checkpoint");
            clock.advance(LEASE.plusSeconds(1));
            Future<Optional<ReconcileRequest>> bRun = pool.submit(b.worker::runOnce);
            assertTrue(bReading.await(20, TimeUnit.SECONDS), "B took the request over and reads");
            assertTrue(c.reconciler.abandon(ReconcileScope.all()).isPresent(), "the operator abandons the run");
            land.countDown();
            ReconcileRequest afterA = aRun.get(20, TimeUnit.SECONDS).orElseThrow();
            assertAll(
                    () -> assertEquals(RequestStatus.RUNNING, afterA.status(), "A finished B's request: "
                            + afterA.reason()),
                    () -> assertEquals("app-b", afterA.owner()),
                    () -> assertEquals(2, afterA.attempts()));
            bGo.countDown();
            ReconcileRequest afterB = bRun.get(20, TimeUnit.SECONDS).orElseThrow();
            assertEquals("app-b", afterB.owner());
            assertEquals(RequestStatus.FAILED, afterB.status(), "B's run was abandoned too: " + afterB.reason());
        } finally {
            land.countDown();
            bGo.countDown();
            pool.shutdownNow();
        }
        assertEquals(RequestStatus.FAILED, requests(db).get(r.id()).orElseThrow().status());
        nextApplyRepairsEverything(db, c, versions, "", "after the abandoned run");
    }

    /**
     * The application's own listener stops a run ({@code ReconcileCancelledException} from onProgress, which the docs
     * say any listener may throw to stop a run; here a maintenance window). No later execution took the run over:
     * the worker's documented reasons to fail a request do not apply, and the run keeps its checkpoint. The request
     * should not be failed as if its run had been taken over.
     */
    @Test
    void aRunStoppedByTheApplicationsOwnListenerIsNotFailedAsTakenOver(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", search, shared);
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        AtomicBoolean maintenance = new AtomicBoolean(true);
        appListener = new ReconcileListener() {
            @Override
            public void onProgress(ReconcileProgress progress) {
                if (maintenance.get() && progress.chunksDone() >= 2) {
                    throw new ReconcileCancelledException("maintenance window: reconciliation paused");
                }
            }
        };
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest afterA = a.worker.runOnce().orElseThrow();
        assertTrue(a.reconciler.unfinished(ReconcileScope.all()).isPresent(), "the run keeps its checkpoint");
        assertAll(
                () -> assertEquals(RequestStatus.RUNNING, afterA.status(), "a run its application paused is failed as"
                        + " taken over: " + afterA.reason()),
                () -> assertFalse(afterA.failure().orElse("").contains("took its run over"),
                        "reason: " + afterA.failure()));
        maintenance.set(false);
        clock.advance(LEASE.plusSeconds(1));
        Optional<ReconcileRequest> byB = b.worker.runOnce();
        assertTrue(byB.isPresent(), "another instance takes the request over");
        assertEquals(r.id(), byB.get().id());
        assertEquals(RequestStatus.COMPLETED, byB.get().status(), String.valueOf(byB.get().reason()));
        assertEquals(List.of(), notHeldAt(versions));
    }

    /** The two requests of {@link #twoRequestsAtOnce} as they ended, and the second as B's worker returned it. */
    private record TwoRequests(ReconcileRequest first, ReconcileRequest second, ReconcileRequest byB) {
    }

    /**
     * Submits two applied requests of the whole scope; A takes the first and is held in its second chunk
     * ({@code secondChunk}) while B takes the second and runs it; then {@code resume} lets A's run end.
     */
    private TwoRequests twoRequestsAtOnce(MongoDatabase db, Instance a, Instance b, CountDownLatch secondChunk,
                                          CountDownLatch resume) throws Exception {
        ReconcileRequest r1 = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        clock.advance(Duration.ofSeconds(1));
        ReconcileRequest r2 = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "bob");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A is in its second chunk");
            ReconcileRequest byB = b.worker.runOnce().orElseThrow();
            resume.countDown();
            assertEquals(r1.id(), aRun.get(20, TimeUnit.SECONDS).orElseThrow().id(), "A ran the first");
            return new TwoRequests(requests(db).get(r1.id()).orElseThrow(), requests(db).get(r2.id()).orElseThrow(),
                    byB);
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * Two requests of the same scope, run at once by two instances: A runs the first and waits in its second chunk; B
     * takes the second, resumes A's run and completes it. A's run then completes too, its report is refused, and A
     * fails its request at once. Every id is held at its version; the run is over.
     */
    @Test
    void twoRequestsOfOneScopeRunAtOnceOneCompletesTheOtherFailsEveryIdReconciled(MongoDatabase db)
            throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, resume), shared);
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        TwoRequests two = twoRequestsAtOnce(db, a, b, secondChunk, resume);
        ReconcileRequest first = two.first();
        ReconcileRequest second = two.second();
        ReconcileRequest byB = two.byB();
        ReconcileReport report = byB.finalReport().orElseThrow();
        assertAll(
                () -> assertEquals(second.id(), byB.id()),
                () -> assertEquals(RequestStatus.COMPLETED, second.status(), String.valueOf(second.reason())),
                () -> assertEquals(1, report.resumes(), "B resumed A's run: " + report.summary()),
                () -> assertEquals(RequestStatus.FAILED, first.status(), String.valueOf(first.reason())),
                () -> assertTrue(first.failure().orElse("").contains("later execution"), "" + first.failure()),
                () -> assertEquals(List.of(), notHeldAt(versions), "ids left unreconciled"),
                () -> assertEquals(RunStatus.COMPLETED, shared.report("product", report.runId()).orElseThrow()
                        .status()),
                () -> assertEquals(Optional.empty(), b.reconciler.unfinished(ReconcileScope.all()), "the run is over"));
        clock.advance(LEASE.plusSeconds(1));
        assertEquals(Optional.empty(), b.worker.runOnce(), "both requests are finished");
    }

    /**
     * As above, but B's resumed run fails at p-5 (its request FAILED, the run's report FAILED by execution 1, its
     * checkpoint after p-4). A then walks to the end and completes, and its report is refused: A fails its request too.
     * Every id must still be held at its version, and the run must stay resumable (nothing lost).
     */
    @Test
    void twoRequestsOfOneScopeWhenTheTakerFailsEveryIdIsStillReconciled(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, resume), shared);
        Instance b = instance(db, "app-b", failingOn("p-5", new AtomicBoolean(true)), shared);
        Instance c = instance(db, "app-c", search, shared);
        Map<String, Long> versions = seedSix(a);
        TwoRequests two = twoRequestsAtOnce(db, a, b, secondChunk, resume);
        ReconcileRequest first = two.first();
        ReconcileRequest second = two.second();
        String runId = two.byB().finalReport().orElseThrow().runId();
        ReconcileReport stored = shared.report("product", runId).orElseThrow();
        String seen = "R1 " + first.status() + " (" + first.reason() + "), R2 " + second.status() + " ("
                + second.reason() + "), stored report " + stored.status() + " resumes " + stored.resumes();
        assertAll(
                () -> assertEquals(RequestStatus.FAILED, second.status(), seen),
                () -> assertEquals(RequestStatus.FAILED, first.status(), seen),
                () -> assertEquals(List.of(), notHeldAt(versions), "ids left unreconciled: " + seen),
                () -> assertTrue(c.reconciler.unfinished(ReconcileScope.all()).isPresent(), "the run is lost: " + seen));
        ReconcileReport resumed = c.reconciler.apply(ReconcileScope.all());
        assertEquals(runId, resumed.runId(), "the next apply resumes the run");
        assertEquals(RunStatus.COMPLETED, resumed.status());
    }

    /** A dry-run request is not touched by an operator abandoning the applied run of the same scope meanwhile. */
    @Test
    void aDryRunRequestCompletesThoughTheAppliedRunOfItsScopeIsAbandonedMeanwhile(MongoDatabase db)
            throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance c = instance(db, "app-c", failingOn("p-3", new AtomicBoolean(true)), shared);
        seedSix(c);
        assertThrows(ReconcileException.class, () -> c.reconciler.apply(ReconcileScope.all()));
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, resume), shared);
        Instance b = instance(db, "app-b", search, shared);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.DRY_RUN, "alice");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ReconcileRequest afterA;
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A is in its second chunk");
            assertTrue(b.reconciler.abandon(ReconcileScope.all()).isPresent(), "the applied run is abandoned");
            resume.countDown();
            afterA = aRun.get(20, TimeUnit.SECONDS).orElseThrow();
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }
        assertEquals(r.id(), afterA.id());
        assertEquals(RequestStatus.COMPLETED, afterA.status(), String.valueOf(afterA.reason()));
        assertTrue(afterA.finalReport().isPresent(), "the dry run's report is recorded");
    }

    /**
     * An operator abandons the run while A runs it, as in aRunAbandonedWhileItsHolderRunsItFinishesTheRequestAtOnce,
     * and A's store cannot read the report back at the end (a read timeout). A's COMPLETED report was refused: the
     * run is abandoned, and the change promises the request is failed with that reason, not recorded COMPLETED with
     * a report the audit log does not hold.
     */
    @Test
    void aRunAbandonedWhileItsHolderRunsItIsNotCompletedWhenTheReportReadFails(MongoDatabase db)
            throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean readsDown = new AtomicBoolean();
        ReconcileStore flakyReads = new ForwardingReconcileStore(shared) {
            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                if (readsDown.get()) {
                    throw new MongoSocketReadTimeoutException("Timeout while receiving message (injected)",
                            new ServerAddress(), new SocketTimeoutException("Read timed out"));
                }
                return super.report(entityType, runId);
            }
        };
        Instance b = instance(db, "app-b", search, shared);
        AbandonedMidRun run = abandonedWhileARunsIt(db, flakyReads, b, () -> readsDown.set(true));
        ReconcileRequest stored = run.request();
        ReconcileReport audit = shared.report("product", run.abandoned().runId()).orElseThrow();
        assertAll(
                () -> assertEquals(RunStatus.FAILED, audit.status(), "the audit log keeps the abandon"),
                () -> assertEquals(RequestStatus.FAILED, stored.status(), "the request of an abandoned run is "
                        + stored.status() + " with report " + stored.finalReport().map(ReconcileReport::status)
                        + " while the audit log says " + audit.status() + " (" + audit.errors() + ")"));
    }

    /**
     * The run is abandoned while A's worker (polling on its own scheduler) runs it, and the worker is closed (the
     * application shuts down, interrupting the run) right as A's run learns its report was refused. The request must
     * not end COMPLETED; it ends FAILED with the reason, or is left under A's lease for another instance, which then
     * finishes it; every id ends held.
     */
    @Test
    void aWorkerClosedAsItsTakenOverRunStopsLeavesTheRequestFailedOrToAnotherInstance(MongoDatabase db)
            throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean closeOnRead = new AtomicBoolean();
        AtomicReference<ReconcileRequestWorker> worker = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        ReconcileStore closing = new ForwardingReconcileStore(shared) {
            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                Optional<ReconcileReport> r = super.report(entityType, runId);
                if (closeOnRead.compareAndSet(true, false)) {
                    worker.get().close(); // interrupts this thread, the worker's own scheduler's
                    closed.countDown();
                }
                return r;
            }
        };
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Instance a = instance(db, "app-a", waitingInTheSecondChunk(secondChunk, resume), closing);
        worker.set(a.worker);
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        try {
            a.worker.start();
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A is in its second chunk");
            assertTrue(b.reconciler.abandon(ReconcileScope.all()).isPresent());
            closeOnRead.set(true);
        } finally {
            resume.countDown();
        }
        assertTrue(closed.await(20, TimeUnit.SECONDS), "A's worker was closed as its run read its report back");
        Thread.sleep(1000); // what is left of A's run ends
        ReconcileRequest left = requests(db).get(r.id()).orElseThrow();
        assertTrue(left.status() == RequestStatus.FAILED || left.status() == RequestStatus.RUNNING
                && "app-a".equals(left.owner()), left.status() + " " + left.owner() + " " + left.reason());
        if (left.status() == RequestStatus.RUNNING) {
            clock.advance(LEASE.plusSeconds(1));
            ReconcileRequest byB = b.worker.runOnce().orElseThrow();
            assertEquals(RequestStatus.COMPLETED, byB.status(), String.valueOf(byB.reason()));
        } else {
            assertTrue(left.failure().orElse("").contains("later execution"), String.valueOf(left.failure()));
        }
        search.clear();
        b.reconciler.apply(ReconcileScope.all());
        assertEquals(List.of(), notHeldAt(versions));
    }

    // ------------------------------------------------------------------ read-backs and runs the application stops

    /**
     * The read-back of A's COMPLETED report fails once (nobody took the run over). The request fails naming the
     * store, the audit log says FAILED, the run had ended its checkpoint, and a new request runs afresh and completes.
     */
    @Test
    void aReadBackFailureFailsTheRequestAndTheNextRequestRunsAfresh(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean armed = new AtomicBoolean();
        ReconcileStore flaky = new ForwardingReconcileStore(shared) {
            @Override
            public void saveReport(ReconcileReport report) {
                super.saveReport(report);
                if (report.status() == RunStatus.COMPLETED) {
                    armed.set(true);
                }
            }

            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                if (armed.compareAndSet(true, false)) {
                    throw new MongoSocketReadTimeoutException("Timeout while receiving message (injected)",
                            new ServerAddress(), new SocketTimeoutException("Read timed out"));
                }
                return super.report(entityType, runId);
            }
        };
        Instance a = instance(db, "app-a", search, flaky);
        Instance b = instance(db, "app-b", search, shared);
        Map<String, Long> versions = seedSix(a);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest afterA = a.worker.runOnce().orElseThrow();
        assertEquals(r.id(), afterA.id());
        assertEquals(RequestStatus.FAILED, afterA.status(), String.valueOf(afterA.failure()));
        assertTrue(afterA.failure().orElse("").contains("could not read back"), String.valueOf(afterA.failure()));
        String runId = afterA.finalReport().orElseThrow().runId();
        assertEquals(RunStatus.FAILED, afterA.finalReport().orElseThrow().status());
        assertEquals(RunStatus.FAILED, shared.report("product", runId).orElseThrow().status());
        assertEquals(Optional.empty(), b.reconciler.unfinished(ReconcileScope.all()), "the run had ended its checkpoint");
        ReconcileRequest again = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest byB = b.worker.runOnce().orElseThrow();
        assertEquals(again.id(), byB.id());
        assertEquals(RequestStatus.COMPLETED, byB.status(), String.valueOf(byB.failure()));
        assertTrue(!runId.equals(byB.finalReport().orElseThrow().runId()), "a new run compares every id again");
        assertEquals(List.of(), notHeldAt(versions));
        assertEquals(Optional.empty(), b.reconciler.unfinished(ReconcileScope.all()));
    }

    /**
     * The application's own listener stops every attempt (a maintenance window longer than the leases). The request is
     * left under each holder's lease, taken again, and finally failed after maxAttempts: its reason does not blame the
     * holders' leases, since none ran out (the application stopped the runs).
     */
    @Test
    void aRunTheApplicationStopsOnEveryAttemptIsNotBlamedOnLeases(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", search, shared);
        seedSix(a);
        appListener = new ReconcileListener() {
            @Override
            public void onProgress(ReconcileProgress progress) {
                throw new ReconcileCancelledException("maintenance window: reconciliation paused");
            }
        };
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest last = null;
        for (int i = 0; i < ReconcileRequestWorker.DEFAULT_MAX_ATTEMPTS + 1; i++) {
            last = a.worker.runOnce().orElseThrow();
            assertEquals(r.id(), last.id());
            clock.advance(LEASE.plusSeconds(1));
        }
        assertEquals(RequestStatus.FAILED, last.status());
        String reason = last.failure().orElse("");
        assertFalse(reason.contains("lease ran out"), "the application's own listener stopped every run, yet: "
                + reason);
        assertTrue(reason.contains("a listener of the application stopped the run"), reason);
    }

    /** A dry-run request the application's listener stops stays under its lease; another instance ends it. */
    @Test
    void aDryRunStoppedByTheApplicationsListenerIsCompletedByAnotherInstance(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        Instance a = instance(db, "app-a", search, shared);
        Instance b = instance(db, "app-b", search, shared);
        seedSix(a);
        AtomicBoolean maintenance = new AtomicBoolean(true);
        appListener = new ReconcileListener() {
            @Override
            public void onProgress(ReconcileProgress progress) {
                if (maintenance.get()) {
                    throw new ReconcileCancelledException("maintenance window");
                }
            }
        };
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.DRY_RUN, "alice");
        ReconcileRequest afterA = a.worker.runOnce().orElseThrow();
        assertEquals(RequestStatus.RUNNING, afterA.status(), String.valueOf(afterA.failure()));
        assertEquals(Optional.empty(), b.worker.runOnce(), "still under A's lease");
        maintenance.set(false);
        clock.advance(LEASE.plusSeconds(1));
        ReconcileRequest byB = b.worker.runOnce().orElseThrow();
        assertEquals(r.id(), byB.id());
        assertEquals(RequestStatus.COMPLETED, byB.status(), String.valueOf(byB.failure()));
        assertEquals(6L, byB.finalReport().orElseThrow().count(DriftClass.MISSING));
        assertEquals(Optional.empty(), b.reconciler.unfinished(ReconcileScope.all()), "a dry run leaves no checkpoint");
    }

    /**
     * The read-back of A's COMPLETED report is served stale (a read that lags behind the write) and returns the run's
     * previous execution's FAILED report. Nobody took the run over, but nothing confirms the report was kept: the
     * request fails saying so (not as taken over) and the audit log agrees; the next run starts afresh.
     */
    @Test
    void aStaleReadBackOfAnEarlierExecutionFailsTheRequestAsUnconfirmedNotTakenOver(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        AtomicBoolean down = new AtomicBoolean(true);
        Instance first = instance(db, "app-first", failingOn("p-3", down), shared);
        Map<String, Long> versions = seedSix(first);
        ReconcileException crashed = assertThrows(ReconcileException.class,
                () -> first.reconciler.apply(ReconcileScope.all()));
        ReconcileReport previous = crashed.report();
        down.set(false);
        AtomicBoolean lagging = new AtomicBoolean();
        ReconcileStore replica = new ForwardingReconcileStore(shared) {
            @Override
            public void saveReport(ReconcileReport report) {
                super.saveReport(report);
                if (report.status() == RunStatus.COMPLETED) {
                    lagging.set(true);
                }
            }

            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                if (lagging.compareAndSet(true, false)) {
                    return Optional.of(previous);
                }
                return super.report(entityType, runId);
            }
        };
        Instance a = instance(db, "app-a", search, replica);
        ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
        ReconcileRequest afterA = a.worker.runOnce().orElseThrow();
        ReconcileReport audit = shared.report("product", previous.runId()).orElseThrow();
        assertEquals(r.id(), afterA.id());
        assertEquals(List.of(), notHeldAt(versions));
        assertEquals(RequestStatus.FAILED, afterA.status());
        String reason = afterA.failure().orElse("");
        assertTrue(reason.contains("could not read back") && !reason.contains("later execution"), reason);
        assertEquals(RunStatus.FAILED, audit.status(), "the audit log says what the request says");
        assertEquals(Optional.empty(), a.reconciler.unfinished(ReconcileScope.all()), "the run had ended its checkpoint");
    }

    // ------------------------------------------------------------------ a claim before the report, its report after

    /**
     * An operator's abandon (on B) claims the run just before A stores its COMPLETED report, and stores its abandoned
     * report only after A read its COMPLETED report back. A's read-back confirms its report, but the claim shows on the
     * checkpoint A could not end: A's run was taken over, and the request does not end COMPLETED while the audit log
     * holds the abandon's FAILED report.
     */
    @Test
    void anAbandonClaimedBeforeTheCompletedReportAndStoredAfterTheReadBack(MongoDatabase db) throws Exception {
        MongoReconcileStore shared = MongoReconcileStore.builder(db).build();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch readBackDone = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean();
        AtomicBoolean once = new AtomicBoolean(true);
        ReconcileStore storeOfB = new ForwardingReconcileStore(shared) {
            @Override
            public java.util.OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                java.util.OptionalInt r = super.claimResume(checkpoint);
                claimed.countDown();
                return r;
            }

            @Override
            public void saveReport(ReconcileReport report) {
                try {
                    readBackDone.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.saveReport(report);
            }
        };
        Instance b = instance(db, "app-b", search, storeOfB);
        AtomicReference<Future<Optional<ReconcileReport>>> abandon = new AtomicReference<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ReconcileStore storeOfA = new ForwardingReconcileStore(shared) {
            @Override
            public void saveReport(ReconcileReport report) {
                if (report.status() == RunStatus.COMPLETED && report.mode() == ReconcileMode.APPLY
                        && once.compareAndSet(true, false)) {
                    abandon.set(pool.submit(() -> b.reconciler.abandon(ReconcileScope.all())));
                    try {
                        assertTrue(claimed.await(10, TimeUnit.SECONDS), "the abandon claimed the run");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    super.saveReport(report);
                    armed.set(true);
                    return;
                }
                super.saveReport(report);
            }

            @Override
            public Optional<ReconcileReport> report(String entityType, String runId) {
                Optional<ReconcileReport> r = super.report(entityType, runId);
                if (armed.compareAndSet(true, false)) {
                    readBackDone.countDown();
                }
                return r;
            }

            @Override
            public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                Optional<ReconcileCheckpoint> c = super.checkpoint(runKey);
                if (armed.compareAndSet(true, false)) {
                    readBackDone.countDown(); // the run reads its checkpoint back before its report
                }
                return c;
            }
        };
        try {
            Instance a = instance(db, "app-a", search, storeOfA);
            seedSix(a);
            ReconcileRequest r = requests(db).submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
            a.worker.runOnce();
            ReconcileReport abandoned = abandon.get().get(20, TimeUnit.SECONDS).orElseThrow();
            ReconcileRequest stored = requests(db).get(r.id()).orElseThrow();
            ReconcileReport audit = shared.report("product", abandoned.runId()).orElseThrow();
            assertTrue(stored.status() != RequestStatus.COMPLETED || audit.status() == RunStatus.COMPLETED,
                    "the request ended " + stored.status() + " while the audit log holds " + audit.status()
                            + " (resumes " + audit.resumes() + ", last error: "
                            + audit.errors().get(audit.errors().size() - 1) + ")");
        } finally {
            readBackDone.countDown();
            pool.shutdownNow();
        }
    }
}
