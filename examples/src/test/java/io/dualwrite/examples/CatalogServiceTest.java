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
package io.dualwrite.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.testkit.RecordingSink;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.fault.FaultySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How an application tests its own wiring with the testkit: MongoDB from the extension (a real
 * server when {@code DUALWRITE_MONGO_URI} is set, else Testcontainers or the in-JVM server), the
 * search sink behind a fault-injecting wrapper, and a convergence assertion once faults heal.
 */
@ExtendWith(MongoExtension.class)
class CatalogServiceTest {

    @Test
    void catalogConvergesAfterSearchOutageAndPoisonedProduct(MongoDatabase db) {
        long seed = 20261126L;
        System.out.println("seed " + seed);
        InMemorySink<Product> index = new InMemorySink<>();
        RecordingSink<Product> recorded = new RecordingSink<>(index);
        FaultySink<Product> search = FaultySink.wrap(recorded).seed(seed)
                .failProbability(0.3, ErrorKind.TRANSIENT)   // a flaky index
                .duplicate(0.1)                              // and a network that delivers twice
                .poison("p-13")                              // one document the index always rejects
                .build();
        MongoPrimaryStore<Product> primary = MongoPrimaryStore.builder(db.getCollection("products", Product.class))
                .build();
        MongoDeadLetterStore deadLetters = MongoDeadLetterStore.builder(db).build();
        try (DualWriter<Product> writer = DualWriter.<Product>builder()
                .entityType("product").idOf(Product::id)
                .primary(primary).deadLetterStore(deadLetters)
                .sink("search", search, SinkSettings.builder().maxAttempts(1).build())
                .gracePeriod(Duration.ZERO)                  // recovery may take over at once in a test
                .build()) {
            Random random = new Random(seed);
            int deferred = 0;
            for (int i = 0; i < 200; i++) {
                String id = String.format("p-%02d", random.nextInt(30));
                WriteResult r = random.nextInt(10) == 0 ? writer.delete(id)
                        : writer.save(new Product(id, "Product " + i, "books", 100 + i));
                if (r.outcome("search").orElse(null) == SinkOutcome.DEFERRED) {
                    deferred++;
                }
            }
            assertTrue(deferred > 0, "the flaky index must have deferred some writes (seed " + seed + ")");

            search.heal();                                   // the outage ends; the poison stays
            for (int pass = 0; pass < 10 && primary.pendingCount() > 0; pass++) {
                writer.operations().recoverDue();
            }
            writer.operations().flushAcknowledgements();

            assertEquals(0, primary.pendingCount(), "recovery must finish every delivery (seed " + seed + ")");
            Convergence.<Product>check().primary(primary).sink("search", index).deadLetters(deadLetters)
                    .entityType("product").assertConverged();
            recorded.assertEachVersionAppliedAtMostOnce();
            assertTrue(writer.deadLetters().inspect("product/p-13#search").isPresent(),
                    "the poisoned product waits in the dead letters with its reason");
        }
    }
}
