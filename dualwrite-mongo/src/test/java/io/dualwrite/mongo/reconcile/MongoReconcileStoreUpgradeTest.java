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

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.testkit.contract.AbstractReconcileStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checkpoints written before executions were numbered beside them (no {@code resumes} field, the number only in the
 * report's JSON): a claim continues above the report's number, and the writer of the checkpoint is fenced after it.
 */
@ExtendWith(MongoExtension.class)
class MongoReconcileStoreUpgradeTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** @return a checkpoint of execution 3, stored as before numbers were kept beside checkpoints */
    private static ReconcileCheckpoint legacyCheckpoint(MongoReconcileStore store) {
        String key = "product|APPLY|all|search";
        ReconcileCheckpoint cp = new ReconcileCheckpoint(key, "search", "p-0005",
                AbstractReconcileStoreContractTest.ofExecution(
                        AbstractReconcileStoreContractTest.report("run-x", "product", T0, RunStatus.RUNNING), 3), T0);
        store.saveCheckpoint(cp);
        store.checkpointCollection().updateOne(Filters.eq("_id", key), Updates.unset("resumes"));
        return cp;
    }

    @Test
    void claimsOfACheckpointWithoutItsNumberContinueAboveItsReport(MongoDatabase db) {
        MongoReconcileStore store = MongoReconcileStore.builder(db).build();
        ReconcileCheckpoint cp = legacyCheckpoint(store);
        String key = cp.runKey();

        assertEquals(4, store.claimResume(cp).orElseThrow());
        assertEquals(5, store.claimResume(cp).orElseThrow());
        store.saveCheckpoint(new ReconcileCheckpoint(key, "search", "p-0009", cp.report(), T0.plusSeconds(1)));
        assertEquals("p-0005", store.checkpoint(key).orElseThrow().lastId(), "the checkpoint's writer is fenced");
        assertEquals(1, store.checkpointCollection().countDocuments(Filters.and(Filters.eq("_id", key),
                Filters.eq("resumes", 5))));
    }
    /** Concurrent first claims of such a checkpoint: each gets its own number, all above the report's. */
    @Test
    void concurrentClaimsOfACheckpointWithoutItsNumberAreDistinct(MongoDatabase db) throws Exception {
        MongoReconcileStore store = MongoReconcileStore.builder(db).build();
        ReconcileCheckpoint cp = legacyCheckpoint(store);
        int threads = 8;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Integer> numbers = new ArrayList<>();
        try {
            List<Future<Integer>> claims = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                claims.add(pool.submit(() -> {
                    together.await();
                    return store.claimResume(cp).orElseThrow();
                }));
            }
            for (Future<Integer> f : claims) {
                numbers.add(f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        Collections.sort(numbers);
        assertEquals(List.of(4, 5, 6, 7, 8, 9, 10, 11), numbers, "each claim its own number, above the report's 3");
    }
}
