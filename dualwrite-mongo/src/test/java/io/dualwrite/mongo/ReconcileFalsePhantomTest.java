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
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileMetrics;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reconciliation run while writes continue (operations.md: "the run stays correct (re-checks protect every
 * concurrent write)"). A save committed and delivered between the run's scan of the primary and its read of the sink
 * leaves the sink one version above the snapshot the run compares with. Every repairing class is re-checked against
 * the primary before it acts, but AHEAD is not: the run reports a committed, correctly delivered write as a phantom —
 * "a version the primary never committed", logged at ERROR and counted in {@code dualwrite.reconcile.phantoms}, which
 * the runbook says to page someone for.
 */
@ExtendWith(MongoExtension.class)
class ReconcileFalsePhantomTest {

    /** A save committed and delivered while the run passes is not reported as a phantom write. */
    @Test
    void aSaveDeliveredWhileTheRunPassesIsNotAPhantom(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> primary = MongoPrimaryStore.builder(products).build();
        InMemorySink<Product> search = new InMemorySink<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DualWriter<Product> writer = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Product("p-1", "kettle", 1));
            writer.save(new Product("p-2", "toaster", 2));
            AtomicBoolean once = new AtomicBoolean();
            // the application saves p-2 again while the run is between its primary scan and its sink read
            ForwardingSink<Product> reader = new ForwardingSink<>(search) {
                @Override
                public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                    if (ids.contains("p-2") && once.compareAndSet(false, true)) {
                        writer.save(new Product("p-2", "toaster", 3));
                    }
                    return super.versionsOf(ids);
                }
            };
            Reconciler reconciler = Reconciler.<Product>builder().writer(writer).primary(primary).sink("search", reader)
                    .useDigests(false).meterRegistry(meters).build();
            ReconcileReport report = reconciler.apply(ReconcileScope.all());

            long v2 = primary.read("p-2").orElseThrow().version();
            assertEquals(v2, search.versionOf("p-2").orElse(-1), "the sink holds the primary's committed version");
            Counter phantoms = meters.find(ReconcileMetrics.PHANTOMS).counter();
            assertEquals(0, report.count(DriftClass.AHEAD), "p-2 at version " + v2 + " was committed by the primary"
                    + " and delivered; the run reports it as a phantom write: " + report.summary() + " samples "
                    + report.samples() + ", " + ReconcileMetrics.PHANTOMS + " = "
                    + (phantoms == null ? 0 : phantoms.count()));
        }
    }
}
