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
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reconciliation request whose holder (instance A) hangs mid-run, loses its lease, and comes back after instance B
 * took the request over and completed it (reconciliation.md: "a holder that comes back after losing its lease records
 * nothing in the request any more; its run stops at the end of the chunk it was in"). Its run must not leave the
 * reconciler's checkpoint either: B's completed run removed it, and a checkpoint written after that would have the
 * next applied run of the same scope "resume" from it and skip every id before it while reporting COMPLETED.
 */
@ExtendWith(MongoExtension.class)
class ReconcileLostHolderCheckpointTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
    private final InMemorySink<Product> search = new InMemorySink<>();
    private final List<AutoCloseable> closing = new ArrayList<>();

    /** One application instance: its writer, reconciler (MongoDB checkpoints, two ids a chunk) and request worker. */
    private final class Instance {
        final DualWriter<Product> writer;
        final Reconciler reconciler;
        final ReconcileRequestWorker worker;

        Instance(MongoDatabase db, MongoCollection<Product> products, String name, ReconcilableSink<Product> reader) {
            writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                    .primary(MongoPrimaryStore.builder(products).build()).deadLetterStore(new InMemoryDeadLetterStore())
                    .sink("search", search).meterRegistry(new SimpleMeterRegistry()).workerId(name).build();
            reconciler = Reconciler.<Product>builder().writer(writer).primary(MongoPrimaryStore.builder(products).build())
                    .sink("search", reader).store(MongoReconcileStore.builder(db).build()).chunkSize(2)
                    .meterRegistry(new SimpleMeterRegistry()).build();
            worker = ReconcileRequestWorker.builder(requests(db)).reconciler(reconciler).workerId(name).lease(LEASE)
                    .build();
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

    /** The search sink, read through a wrapper that hangs on its first read of the second chunk (p-3, p-4). */
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

    /** The next completed run of the scope covers every id: nothing stays missing from the sink. */
    @Test
    void aHolderThatLostItsRequestLeavesNoCheckpointThatTheNextRunResumesFrom(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        CountDownLatch secondChunk = new CountDownLatch(1);
        CountDownLatch revive = new CountDownLatch(1);
        Instance a = new Instance(db, products, "app-a", waitingInTheSecondChunk(secondChunk, revive));
        Instance b = new Instance(db, products, "app-b", search);
        Map<String, Long> versions = new LinkedHashMap<>();
        for (int i = 1; i <= 6; i++) {
            versions.put("p-" + i, a.writer.save(new Product("p-" + i, "item " + i, 100 * i)).version());
        }
        search.clear(); // the cache was flushed: six missing
        ReconcileRequests requests = requests(db);
        ReconcileRequest first = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<ReconcileRequest>> aRun = pool.submit(a.worker::runOnce);
            assertTrue(secondChunk.await(20, TimeUnit.SECONDS), "A reached its second chunk");
            clock.advance(LEASE.plusSeconds(1)); // A's lease runs out
            ReconcileRequest byB = b.worker.runOnce().orElseThrow();
            assertEquals(RequestStatus.COMPLETED, byB.status(), "B took the request over and completed it");
            assertEquals("app-b", byB.owner());
            revive.countDown(); // A comes back, finishes the chunk it was in, and stops
            aRun.get(20, TimeUnit.SECONDS);
            assertEquals(first.id(), requests.get(first.id()).map(ReconcileRequest::id).orElseThrow());
            assertEquals(RequestStatus.COMPLETED, requests.get(first.id()).orElseThrow().status());
        } finally {
            revive.countDown();
            pool.shutdownNow();
        }

        // days later the cache is flushed again, and an operator asks for a reconciliation of everything
        search.clear();
        ReconcileRequest second = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "bob");
        ReconcileRequest done = b.worker.runOnce().orElseThrow();
        assertEquals(second.id(), done.id());
        assertEquals(RequestStatus.COMPLETED, done.status(), String.valueOf(done.reason()));
        ReconcileReport report = done.finalReport().orElseThrow();
        List<String> stillMissing = new ArrayList<>();
        versions.forEach((id, v) -> {
            if (search.versionOf(id).orElse(-1) != v) {
                stillMissing.add(id);
            }
        });
        assertEquals(List.of(), stillMissing, "a COMPLETED apply of scope 'all' (resumes " + report.resumes()
                + ", run id " + report.runId() + ", same as the first request's run: "
                + report.runId().equals(requests.get(first.id()).orElseThrow().finalReport().orElseThrow().runId())
                + ") leaves these ids missing from the sink: " + report.summary());
    }
}
