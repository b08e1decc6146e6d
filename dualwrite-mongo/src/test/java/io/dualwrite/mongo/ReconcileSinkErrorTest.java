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
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.mongo.reconcile.ReconcileRequestWorker;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sink whose mapping throws for one entity only (a poison entity): the delivery road classifies whatever it throws
 * — an {@code Error} included — as that entity's own permanent failure (guarantees.md, promise 5: "Everything a sink
 * throws is classified for the entity it was thrown for — an Error too ... So a poison entity blocks no other
 * entity"), and reconciliation.md says of a content comparison: "an entity whose mapping throws is an error of the
 * report ..., not drift". A content reconciliation handles a {@code RuntimeException} from the poison entity's mapping
 * that way, but an {@code AssertionError} or a {@code StackOverflowError} escapes the whole run: no other entity of
 * the run is repaired, every later run stops at the same chunk, and a {@link ReconcileRequestWorker} that runs it
 * stops polling for good.
 */
@ExtendWith(MongoExtension.class)
class ReconcileSinkErrorTest {

    /**
     * A guarded sink holding what it applied (an in-memory sink inside), reading its content from what it holds
     * (as the Redis and OpenSearch sinks do) and mapping with a mapping that throws for one entity.
     */
    static final class PoisonMappingSink implements ContentDigestingSink<Product> {
        final InMemorySink<Product> inner = new InMemorySink<>();
        volatile String poisonId;
        volatile Supplier<Throwable> poison;

        private void map(Change<Product> change) {
            if (change.id().equals(poisonId)) {
                sneaky(poison.get());
            }
        }

        @Override
        public ApplyResult apply(Change<Product> change) {
            map(change);
            return inner.apply(change);
        }

        @Override
        public Map<String, Long> versionsOf(Collection<String> ids) {
            return inner.versionsOf(ids);
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) {
            return inner.idsAfter(afterExclusive, limit);
        }

        @Override
        public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception {
            return inner.contentDigestsOf(ids);
        }

        @Override
        public ContentDigest expectedContentDigest(Change<Product> change) throws Exception {
            map(change);
            return inner.expectedContentDigest(change);
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneaky(Throwable t) throws E {
        throw (E) t;
    }

    private static Supplier<Throwable> failure(String kind) {
        return switch (kind) {
            case "IllegalStateException" -> () -> new IllegalStateException("the mapping cannot handle p-1");
            case "AssertionError" -> () -> new AssertionError("mapping invariant broken by p-1");
            case "StackOverflowError" -> () -> new StackOverflowError("mapping p-1 recursed too deep");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Three entities delivered; then the sink's mapping breaks on p-1, p-3 goes stale and p-9 is an orphan. */
    private static final class World implements AutoCloseable {
        final MongoPrimaryStore<Product> primary;
        final PoisonMappingSink search = new PoisonMappingSink();
        final DualWriter<Product> writer;
        final long v3;

        World(MongoDatabase db, String kind) {
            MongoCollection<Product> products = Collections.products(db);
            primary = MongoPrimaryStore.builder(products).build();
            writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId).primary(primary)
                    .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                    .meterRegistry(new SimpleMeterRegistry()).build();
            writer.save(new Product("p-1", "kettle", 2999));
            writer.save(new Product("p-2", "toaster", 1999));
            v3 = writer.save(new Product("p-3", "blender", 4999)).version();
            writer.operations().flushAcknowledgements();
            // the sink's new mapping cannot handle p-1 (it still holds p-1 as delivered before)
            search.poisonId = "p-1";
            search.poison = failure(kind);
            // drift without an intent: an index restored from an old snapshot set p-3 back, and holds p-9
            search.inner.force("p-3", v3 - 1, new Product("p-3", "blender", 10));
            search.inner.force("p-9", 5, new Product("p-9", "never in the primary", 1));
        }

        Reconciler reconciler() {
            return Reconciler.<Product>builder().writer(writer).primary(primary).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build();
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    /**
     * For AssertionError and StackOverflowError as for IllegalStateException: the content reconciliation
     * reports p-1 and repairs the others.
     */
    @ParameterizedTest
    @ValueSource(strings = {"IllegalStateException", "AssertionError", "StackOverflowError"})
    void aPoisonEntitysMappingErrorBlocksNoOtherEntityOfAReconciliation(String kind, MongoDatabase db) {
        try (World w = new World(db, kind)) {
            Reconciler reconciler = w.reconciler();
            Throwable escaped = null;
            ReconcileReport report = null;
            for (int run = 0; run < 2; run++) { // the scheduled run, and the next one
                try {
                    report = reconciler.apply(ReconcileScope.all());
                } catch (Throwable t) {
                    escaped = t;
                }
            }
            assertEquals(w.v3, w.search.inner.versionOf("p-3").orElse(-1),
                    "p-3 is stale in the sink and must be republished; the run ended with "
                            + (escaped != null ? "an escaped " + escaped : report.summary()));
            assertTrue(w.search.inner.get("p-9").isEmpty(), "orphan p-9 must be removed; the run ended with "
                    + (escaped != null ? "an escaped " + escaped : report.summary()));
            assertNull(escaped, "a " + kind + " thrown by the sink's mapping of product/p-1 alone escaped the whole run");
            assertTrue(report.errors().stream().anyMatch(e -> e.contains("p-1")), report.errors().toString());
        }
    }

    /**
     * For AssertionError and StackOverflowError as for IllegalStateException: the request that met the
     * poison entity ends (COMPLETED with the error in its report, or FAILED with the reason), and the worker goes on
     * to run the next request. With an Error the worker's polling thread dies: the first request stays RUNNING under
     * its lease and the next one stays PENDING for ever, even after the mapping is fixed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"IllegalStateException", "AssertionError", "StackOverflowError"})
    void aRequestWorkerOutlivesAPoisonEntitysMappingError(String kind, MongoDatabase db) throws Exception {
        try (World w = new World(db, kind)) {
            ReconcileRequests requests = ReconcileRequests.builder(db)
                    .collectionName(Collections.uniqueName("reconcile_requests")).build();
            try (ReconcileRequestWorker worker = ReconcileRequestWorker.builder(requests).reconciler(w.reconciler())
                    .workerId("shop-1").interval(Duration.ofMillis(50)).build()) {
                worker.start();
                ReconcileRequest first = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "alice");
                ReconcileRequest firstNow = await(requests, first.id(), 10);

                w.search.poisonId = null; // the mapping is fixed
                ReconcileRequest second = requests.submit("product", ReconcileScope.all(), ReconcileMode.APPLY, "bob");
                ReconcileRequest secondNow = await(requests, second.id(), 10);
                String what = "the request that met the " + kind + " of product/p-1 is " + firstNow.status() + " ("
                        + firstNow.phase() + ", held by " + firstNow.owner() + ", reason " + firstNow.reason()
                        + "); the next one, submitted after the mapping was fixed, is " + secondNow.status() + " ("
                        + secondNow.phase() + ")";
                assertEquals(RequestStatus.COMPLETED, secondNow.status(), "the worker runs the next request: " + what);
                assertTrue(firstNow.status() == RequestStatus.COMPLETED || firstNow.status() == RequestStatus.FAILED,
                        "the request that met the poison entity ends, completed or failed with the reason: " + what);
            }
        }
    }

    /** @return the request once it is COMPLETED or FAILED, or as it stands after the timeout */
    private static ReconcileRequest await(ReconcileRequests requests, String id, int seconds) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ReconcileRequest r = requests.get(id).orElseThrow();
        while (System.nanoTime() < end && r.status() != RequestStatus.COMPLETED && r.status() != RequestStatus.FAILED) {
            Thread.sleep(50);
            r = requests.get(id).orElseThrow();
        }
        return r;
    }
}
