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
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.ReconcileCancelledException;
import io.dualwrite.reconcile.ReconcileAbandonUnconfirmedException;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.ReconcileTakenOverException;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RunStatus;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconciliation requests run by three application instances at once, with seeded faults: sink reads that fail or
 * pause; checkpoint and report writes that stall, fail before they land or land and lose their reply; store reads,
 * claims and checkpoint ends that fail or lose their reply; leases that run out mid-run (the shared clock jumps); an
 * operator abandoning the run in progress; writes to the primary and drift in the sink throughout. Whatever happened,
 * once the faults stop and the leases run out, every request ends COMPLETED or FAILED (none stays RUNNING or PENDING,
 * and a COMPLETED one carries its run's COMPLETED report, the one the audit log holds; an abandon() that returned a
 * report took effect), no unfinished run blocks the scope, and two fault-free applied runs leave the sink holding
 * every entity at its primary version.
 *
 * <p>The seed is printed; {@code -Ddualwrite.reconcileRandom.seed=N} repeats one, and
 * {@code -Ddualwrite.reconcileRandom.seeds=K} runs K seeds from it (default 4). Thread scheduling is not seeded, so a
 * seed repeats the faults, not always the same interleaving.
 */
@ExtendWith(MongoExtension.class)
class ReconcileRequestRandomTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final int IDS = 10;
    private static final int ROUNDS = 6;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    /** Faults drawn from one seeded source; off once the test quiesces. */
    private static final class Faults {
        private final Random random;
        final AtomicBoolean on = new AtomicBoolean(true);

        Faults(long seed) {
            random = new Random(seed);
        }

        synchronized boolean chance(double p) {
            return on.get() && random.nextDouble() < p;
        }

        synchronized int below(int n) {
            return random.nextInt(n);
        }

        void pause() {
            int ms = chance(0.3) ? below(15) : 0;
            if (ms > 0) {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static MongoSocketReadTimeoutException lostReply() {
        return new MongoSocketReadTimeoutException("Timeout while receiving message (injected)", new ServerAddress(),
                new SocketTimeoutException("Read timed out"));
    }

    /** One application instance: writer, reconciler and worker over the shared collection, store and sink. */
    private final class Instance {
        final DualWriter<Product> writer;
        final Reconciler reconciler;
        final ReconcileRequestWorker worker;

        Instance(MongoDatabase db, MongoCollection<Product> products, String type, String name,
                 InMemorySink<Product> search, Faults faults, MutableClock clock) {
            ReconcileStore store = new ForwardingReconcileStore(MongoReconcileStore.builder(db).build()) {
                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    faults.pause();
                    if (faults.chance(0.04)) {
                        throw lostReply(); // before it lands
                    }
                    super.saveCheckpoint(checkpoint);
                    if (faults.chance(0.04)) {
                        throw lostReply(); // landed, reply lost
                    }
                }

                @Override
                public void saveReport(ReconcileReport report) {
                    faults.pause();
                    if (faults.chance(0.04)) {
                        throw lostReply();
                    }
                    super.saveReport(report);
                    if (faults.chance(0.04)) {
                        throw lostReply(); // landed, reply lost
                    }
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    faults.pause();
                    if (faults.chance(0.08)) {
                        throw lostReply();
                    }
                    return super.report(entityType, runId);
                }

                @Override
                public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                    if (faults.chance(0.03)) {
                        throw lostReply();
                    }
                    return super.checkpoint(runKey);
                }

                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    faults.pause();
                    if (faults.chance(0.05)) {
                        throw lostReply();
                    }
                    super.endCheckpoint(runKey, runId, resumes);
                    if (faults.chance(0.05)) {
                        throw lostReply();
                    }
                }

                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    faults.pause();
                    if (faults.chance(0.03)) {
                        throw lostReply();
                    }
                    OptionalInt n = super.claimResume(checkpoint);
                    if (faults.chance(0.03)) {
                        throw lostReply();
                    }
                    return n;
                }
            };
            ForwardingSink<Product> reader = new ForwardingSink<>(search) {
                @Override
                public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                    faults.pause();
                    if (faults.chance(0.05)) {
                        throw new IOException("connection reset (injected)");
                    }
                    return super.versionsOf(ids);
                }
            };
            writer = DualWriter.<Product>builder().entityType(type).idOf(Product::getId)
                    .primary(MongoPrimaryStore.builder(products).build()).deadLetterStore(new InMemoryDeadLetterStore())
                    .sink("search", search).meterRegistry(new SimpleMeterRegistry()).workerId(name).build();
            reconciler = Reconciler.<Product>builder().writer(writer).primary(MongoPrimaryStore.builder(products).build())
                    .sink("search", reader).store(store).chunkSize(2).meterRegistry(new SimpleMeterRegistry()).build();
            worker = ReconcileRequestWorker.builder(ReconcileRequests.builder(db).clock(clock).build())
                    .reconciler(reconciler).workerId(name).lease(LEASE).maxAttempts(3).build();
            closing.add(worker);
            closing.add(writer);
        }
    }

    @Test
    void requestsUnderRandomFaultsAllEndAndTheSinkConverges(MongoDatabase db) throws Exception {
        long first = Long.getLong("dualwrite.reconcileRandom.seed", System.nanoTime());
        int seeds = Integer.getInteger("dualwrite.reconcileRandom.seeds", 4);
        for (long seed = first; seed < first + seeds; seed++) {
            System.out.println("ReconcileRequestRandomTest seed " + seed
                    + " (repeat with -Ddualwrite.reconcileRandom.seed=" + seed + " -Ddualwrite.reconcileRandom.seeds=1)");
            runSeed(db, seed);
        }
    }

    /** @return whether a store exception out of abandon() came from reading or claiming the run's checkpoint */
    private static boolean failedToClaim(RuntimeException e) {
        for (StackTraceElement el : e.getStackTrace()) {
            if (el.getClassName().startsWith("io.dualwrite.reconcile.internal.DefaultReconciler$Settings")
                    && el.getMethodName().equals("claim")) {
                return true;
            }
        }
        return false;
    }

    private void runSeed(MongoDatabase db, long seed) throws Exception {
        Faults faults = new Faults(seed);
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
        InMemorySink<Product> search = new InMemorySink<>();
        MongoCollection<Product> products = Collections.products(db);
        String type = "product-" + seed; // each seed's runs, checkpoints and requests apart from the others'
        List<Instance> apps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            apps.add(new Instance(db, products, type, "app-" + i, search, faults, clock));
        }
        Instance operator = new Instance(db, products, type, "operator", search, faults, clock);
        ReconcileRequests requests = ReconcileRequests.builder(db).clock(clock).build();
        Map<String, Long> versions = new ConcurrentHashMap<>();
        for (int i = 0; i < IDS; i++) {
            save(apps.get(0), versions, "p-" + i, 0);
        }
        List<String> submitted = new ArrayList<>();
        int abandons = 0;
        List<ReconcileReport> abandonedRuns = new ArrayList<>();
        String context = "seed " + seed;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                drift(faults, search);
                int n = 1 + faults.below(2);
                for (int k = 0; k < n; k++) {
                    ReconcileMode mode = faults.chance(0.25) ? ReconcileMode.DRY_RUN : ReconcileMode.APPLY;
                    submitted.add(requests.submit(type, ReconcileScope.all(), mode, "alice").id());
                }
                List<Future<?>> running = new ArrayList<>();
                for (Instance app : apps) {
                    running.add(pool.submit(() -> {
                        for (int tries = 0; tries < 3 && app.worker.runOnce().isPresent(); tries++) {
                            faults.pause();
                        }
                        return null;
                    }));
                }
                // meanwhile: writes, drift, leases running out, an operator's abandon
                for (int step = 0; step < 8; step++) {
                    faults.pause();
                    if (faults.chance(0.4)) {
                        save(apps.get(faults.below(3)), versions, "p-" + faults.below(IDS), round * 100 + step);
                    }
                    if (faults.chance(0.2)) {
                        clock.advance(LEASE.plusSeconds(1));
                    }
                    if (faults.chance(0.08)) {
                        try {
                            Optional<ReconcileReport> gaveUp = operator.reconciler.abandon(ReconcileScope.all());
                            if (gaveUp.isPresent()) {
                                abandonedRuns.add(gaveUp.get());
                                abandons++;
                            }
                        } catch (ReconcileAbandonUnconfirmedException e) {
                            // the store failed once abandon() had claimed the run (javadoc of abandon()); a
                            // ReconcileTakenOverException is a ReconcileCancelledException, not caught here
                        } catch (ReconcileCancelledException e) {
                            assertTrue(e instanceof ReconcileTakenOverException, "seed " + seed + ": " + e);
                        } catch (RuntimeException e) {
                            // the store's own exception is only for a failure before abandon() wrote anything:
                            // reading or claiming the checkpoint
                            assertTrue(failedToClaim(e), "seed " + seed + ": abandon() let the store's " + e
                                    + " through after it claimed the run");
                        }
                    }
                }
                for (Future<?> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
        } finally {
            pool.shutdownNow();
        }

        // quiesce: no more faults; every lease runs out and the workers take what is left
        faults.on.set(false);
        for (int i = 0; i < 12; i++) {
            clock.advance(LEASE.plusSeconds(1));
            while (apps.get(i % 3).worker.runOnce().isPresent()) {
                // take the next
            }
        }
        MongoReconcileStore auditLog = MongoReconcileStore.builder(db).build();
        Map<String, Integer> ends = new java.util.TreeMap<>();
        for (String id : submitted) {
            ReconcileRequest r = requests.get(id).orElseThrow();
            ends.merge(r.status() + (r.attempts() > 1 ? " after " + r.attempts() + " takes" : "")
                    + r.failure().map(f -> ": " + f.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<run>")
                            .replaceAll("[0-9]+", "N")).orElse(""), 1, Integer::sum);
            assertTrue(r.status().finished(), context + ": request " + id + " is " + r.status() + " (attempts "
                    + r.attempts() + ", owner " + r.owner() + ")");
            if (r.status() == RequestStatus.COMPLETED) {
                ReconcileReport report = r.finalReport().orElseThrow();
                assertEquals(RunStatus.COMPLETED, report.status(), context + ": request " + id);
                if (report.mode() == ReconcileMode.APPLY) {
                    // the audit log does not contradict a request that says its run completed
                    ReconcileReport audit = auditLog.report(type, report.runId()).orElseThrow();
                    assertTrue(audit.status() == RunStatus.COMPLETED && audit.resumes() == report.resumes(),
                            context + ": request " + id + " COMPLETED with execution " + report.resumes() + " of run "
                                    + report.runId() + ", the audit log: " + audit.status() + " by execution "
                                    + audit.resumes() + " " + audit.errors());
                }
            }
        }
        for (ReconcileReport gaveUp : abandonedRuns) {
            // an abandon() that returned its report took effect: the audit log holds that report, not a later one
            ReconcileReport audit = auditLog.report(type, gaveUp.runId()).orElseThrow();
            assertTrue(audit.resumes() == gaveUp.resumes() && audit.status() == RunStatus.FAILED, context
                    + ": abandon() returned execution " + gaveUp.resumes() + " of run " + gaveUp.runId() + ", the audit"
                    + " log: " + audit.status() + " by execution " + audit.resumes() + " " + audit.errors());
        }
        System.out.println("  " + submitted.size() + " requests, " + abandons + " run(s) abandoned meanwhile; requests"
                + " ended: " + ends);
        // two fault-free applies: the first may resume a run left unfinished, the second starts from the beginning
        for (int pass = 1; pass <= 2; pass++) {
            String id = requests.submit(type, ReconcileScope.all(), ReconcileMode.APPLY, "bob").id();
            ReconcileRequest done = apps.get(pass).worker.runOnce().orElseThrow();
            assertEquals(id, done.id(), context);
            assertEquals(RequestStatus.COMPLETED, done.status(), context + ", final apply " + pass + ": "
                    + done.reason());
        }
        List<String> off = new ArrayList<>();
        versions.forEach((id, v) -> {
            if (search.versionOf(id).orElse(-1) != v) {
                off.add(id + " held at " + search.versionOf(id) + ", primary at " + v);
            }
        });
        assertEquals(List.of(), off, context + ": the sink after two fault-free applies");
        for (Instance app : apps) {
            assertEquals(Optional.empty(), app.reconciler.unfinished(ReconcileScope.all()), context);
        }
    }

    private static void save(Instance app, Map<String, Long> versions, String id, long price) {
        synchronized (versions) {
            versions.put(id, app.writer.save(new Product(id, "item " + id, price)).version());
        }
    }

    /** Puts some ids back to an old version in the sink, or loses everything. */
    private static void drift(Faults faults, InMemorySink<Product> search) {
        if (faults.chance(0.2)) {
            search.clear();
            return;
        }
        for (int i = 0; i < IDS; i++) {
            if (faults.chance(0.3)) {
                search.force("p-" + i, 1, new Product("p-" + i, "old", 1));
            }
        }
    }
}
