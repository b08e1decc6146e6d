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
package io.dualwrite.testkit.proxy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.sink.MongoVersionedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A sink's connection cut in the middle of a delivery: the write is committed and the sink
 * DEFERRED; once the connection is restored, recovery delivers the latest state.
 */
class SinkConnectionCutTest {

    @Test
    void aDeliveryCutMidFlightIsDeferredAndRecoveredAfterRestore() throws Exception {
        InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        try (InJvmMongo mongo = InJvmMongo.start();
             FaultProxy proxy = FaultProxy.start("127.0.0.1", mongo.port());
             MongoClient client = MongoClients.create(MongoClientSettings.builder()
                     .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + proxy.port()))
                     .applyToClusterSettings(b -> b.serverSelectionTimeout(500, TimeUnit.MILLISECONDS))
                     .applyToSocketSettings(b -> b.connectTimeout(500, TimeUnit.MILLISECONDS)
                             .readTimeout(2, TimeUnit.SECONDS))
                     .applyToServerSettings(b -> b.heartbeatFrequency(100, TimeUnit.MILLISECONDS)
                             .minHeartbeatFrequency(50, TimeUnit.MILLISECONDS))
                     .build())) {
            MongoVersionedSink<TestItem> search = new MongoVersionedSink<>(client.getDatabase("cut"), "search",
                    TestItem.class);
            try (DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                    .primary(primary).deadLetterStore(new InMemoryDeadLetterStore())
                    .meterRegistry(new SimpleMeterRegistry()).gracePeriod(Duration.ZERO)
                    .recoveryRetry(50, Duration.ofMillis(1), Duration.ofMillis(5))
                    .sink("search", search, SinkSettings.builder().attemptTimeout(Duration.ofSeconds(3)).maxAttempts(1)
                            .build())
                    .build()) {
                assertEquals(SinkOutcome.APPLIED, writer.save(TestItem.variant("a", 1)).outcome("search").orElseThrow(),
                        "healthy: delivered on the caller's path");

                proxy.latency(Duration.ofMillis(400));
                CompletableFuture<WriteResult> inFlight = CompletableFuture.supplyAsync(
                        () -> writer.save(TestItem.variant("a", 2)));
                Thread.sleep(150);
                proxy.cut();
                WriteResult cut = inFlight.get(10, TimeUnit.SECONDS);
                assertEquals(SinkOutcome.DEFERRED, cut.outcome("search").orElseThrow(),
                        "a delivery whose connection is cut mid-flight must be deferred, not lost");

                proxy.restore();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (writer.operations().backlog() > 0 && System.nanoTime() < deadline) {
                    writer.operations().recoverDue();
                    writer.operations().flushAcknowledgements();
                    Thread.sleep(20);
                }
                assertEquals(0, writer.operations().backlog(), "recovery must deliver once the connection is back");
                Convergence.<TestItem>check().primary(primary).sink("search", search).assertConverged();
                assertEquals(TestItem.variant("a", 2), search.get("a").orElseThrow(), "the sink holds the latest state");
            }
        }
    }
}
