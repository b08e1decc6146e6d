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
package io.dualwrite.mongo.reconcile;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.mongo.Product;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.ReconcilerBuilder;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.testkit.contract.AbstractReconcileStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.pojo.PojoCodecProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reconciliation's checkpoints and audit log in MongoDB, and a whole run over the MongoDB primary. */
@ExtendWith(MongoExtension.class)
class MongoReconcileStoreTest {
    private static final AtomicInteger N = new AtomicInteger();

    private static MongoReconcileStore store(MongoDatabase db) {
        int n = N.incrementAndGet();
        return MongoReconcileStore.builder(db).checkpointsCollection("cp_" + n).reportsCollection("rep_" + n).build();
    }

    // the contract (checkpoints, audit log) is MongoReconcileStoreContractTest's; here, what operators see in MongoDB

    @Test
    void oneDocumentPerRunKeyAndReportFieldsOperatorsCanQuery(MongoDatabase db) {
        MongoReconcileStore store = store(db);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            store.saveCheckpoint(new ReconcileCheckpoint("item|APPLY|all|search", "search", "p-" + i,
                    AbstractReconcileStoreContractTest.report("r1", "item", t, RunStatus.RUNNING), t.plusSeconds(i)));
        }
        assertEquals(1, store.checkpointCollection().countDocuments(), "one document per run key");
        store.saveReport(AbstractReconcileStoreContractTest.report("b", "item", t, RunStatus.FAILED));
        Document doc = store.reportCollection().find(new Document("_id", "b")).first();
        assertEquals("FAILED", doc.getString("status"), "the status is a plain field for operators' queries");
        assertEquals(10L, doc.get("drift", Number.class).longValue());
        assertEquals(10L, doc.get("repaired", Number.class).longValue());
        assertThrows(IllegalStateException.class,
                () -> MongoReconcileStore.builder(db).checkpointsCollection("x").reportsCollection("x").build());
    }

    /** Reads another sink, failing the comparison that asks for one id: a crash halfway through a run. */
    private static final class CrashingReader implements ReconcilableSink<Product> {
        final InMemorySink<Product> target;
        final String failOn;

        CrashingReader(InMemorySink<Product> target, String failOn) {
            this.target = target;
            this.failOn = failOn;
        }

        @Override
        public io.dualwrite.spi.ApplyResult apply(io.dualwrite.Change<Product> change) {
            return target.apply(change);
        }

        @Override
        public Map<String, Long> versionsOf(Collection<String> ids) throws IOException {
            if (ids.contains(failOn)) {
                throw new IOException("the sink went away (injected)");
            }
            return target.versionsOf(ids);
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) {
            return target.idsAfter(afterExclusive, limit);
        }
    }

    @Test
    void aRunOverTheMongoPrimaryResumesAfterARestartFromItsStoredCheckpoint(MongoDatabase db) {
        MongoCollection<Product> products = db.getCollection("rp_" + N.incrementAndGet(), Product.class)
                .withCodecRegistry(CodecRegistries.fromRegistries(MongoClientSettings.getDefaultCodecRegistry(),
                        CodecRegistries.fromProviders(PojoCodecProvider.builder().automatic(true).build())));
        MongoPrimaryStore<Product> primary = MongoPrimaryStore.builder(products).build();
        InMemorySink<Product> search = new InMemorySink<>();
        String checkpoints = "cp_" + N.incrementAndGet();
        String reports = "rep_" + N.incrementAndGet();
        try (DualWriter<Product> writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            for (int i = 0; i < 30; i++) {
                writer.save(new Product(String.format("p-%03d", i), "product " + i, i));
            }
            writer.operations().flushAcknowledgements();
            for (int i = 0; i < 30; i += 3) {
                search.force(String.format("p-%03d", i), 0, null); // lost by the sink
            }
            search.force("p-999", 5, new Product("p-999", "never in the primary", 1));
            writer.delete("p-001");
            search.force("p-001", primary.read("p-001").map(s -> s.version() - 1).orElse(1L),
                    new Product("p-001", "the delete never arrived", 1));

            ReconcilerBuilder<Product> base = Reconciler.<Product>builder().writer(writer).primary(primary)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(5).repairsPerSecond(10_000);
            Reconciler crashing = base.sink("search", new CrashingReader(search, "p-015"))
                    .store(MongoReconcileStore.builder(db).checkpointsCollection(checkpoints)
                            .reportsCollection(reports).build()).build();
            ReconcileException crash = assertThrows(ReconcileException.class, () -> crashing.apply(ReconcileScope.all()));
            assertEquals(3, crash.report().chunks(), "three chunks finished before the fourth chunk's comparison failed");

            // a new process: a new store object over the same collections finds the checkpoint
            Reconciler restarted = Reconciler.<Product>builder().writer(writer).primary(primary).sink("search", search)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(5).repairsPerSecond(10_000)
                    .store(MongoReconcileStore.builder(db).checkpointsCollection(checkpoints)
                            .reportsCollection(reports).build()).build();
            assertEquals(3, restarted.unfinished(ReconcileScope.all()).orElseThrow().chunks());
            ReconcileReport done = restarted.apply(ReconcileScope.all());

            assertEquals(RunStatus.COMPLETED, done.status(), done.summary());
            assertEquals(crash.report().runId(), done.runId(), "the same run, resumed");
            assertEquals(10, done.count(DriftClass.MISSING), done.summary());
            assertEquals(2, done.count(DriftClass.ORPHAN), "p-001 deleted and p-999 never there: " + done.summary());
            assertEquals(12, done.repaired(), done.summary());
            Map<String, Long> primaryLive = new TreeMap<>();
            primary.scan(null, 1000).stream().filter(s -> !s.deleted()).forEach(s -> primaryLive.put(s.id(), s.version()));
            assertEquals(primaryLive, search.liveVersions(), "the sink matches the MongoDB primary");
            assertEquals(0, restarted.apply(ReconcileScope.all()).drift(), "a second run finds nothing");
            List<ReconcileReport> history = restarted.history(10);
            assertEquals(2, history.size(), "the resumed run and the second run: " + history);
            assertEquals(done, history.get(1), "the audit log holds the resumed run's final report");
        }
    }
}
