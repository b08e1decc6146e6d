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
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's tool ({@code dualwrite dead-letters replay}, i.e. {@link Operations#replay}) dies (killed, Ctrl-C
 * during a long replay by filter, the host goes away) in the middle of replaying one dead letter. It arms the
 * entity's delivery first and removes the dead letter second, so whatever moment it dies at, the dead letter or the
 * armed delivery holds the undelivered version.
 */
@ExtendWith(MongoExtension.class)
class OperatorReplayCrashTest {

    /** The tool's process ends here: nothing after this instruction runs. */
    static final class ToolKilled extends Error {
        ToolKilled() {
            super("the operator's tool was killed");
        }
    }

    /** The database as the tool sees it, with the entity collection's commands scripted by {@code hooks}. */
    private static MongoDatabase scripted(MongoDatabase db, String entityCollection, HookedCollection hooks) {
        return (MongoDatabase) Proxy.newProxyInstance(OperatorReplayCrashTest.class.getClassLoader(),
                new Class<?>[]{MongoDatabase.class}, (proxy, method, args) -> {
                    Object r;
                    try {
                        r = method.invoke(db, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("getCollection") && entityCollection.equals(args[0])) {
                        return hooks.wrap((MongoCollection<?>) r);
                    }
                    return r;
                });
    }

    /** The tool dies right before it re-arms the delivery: the dead letter is still there. */
    @Test
    void aReplayWhoseToolDiesMidwayLeavesTheDeadLetterOrAnArmedDelivery(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        String collection = products.getNamespace().getCollectionName();
        String dlCollection = Collections.uniqueName("dead_letters");
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MongoDeadLetterStore deadLetters = MongoDeadLetterStore.builder(db).collectionName(dlCollection).build();
        OperatorReplayClockSkewTest.PoisonSink cache = new OperatorReplayClockSkewTest.PoisonSink();
        try (DualWriter<Product> app = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(deadLetters).clock(Clock.systemUTC())
                .sink("cache", cache, SinkSettings.builder().maxAttempts(1).build()).gracePeriod(Duration.ZERO)
                .recoveryRetry(5, Duration.ofMillis(1), Duration.ofMillis(10))
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            long v = app.save(new Product("p-1", "kettle", 2999)).version();
            app.operations().flushAcknowledgements();
            assertEquals(0, store.pendingCount(), "the failed delivery went to the dead-letter store");
            Thread.sleep(Operations.ACKNOWLEDGEMENT_SETTLE.toMillis() + 100); // an old dead letter: no settle wait
            cache.poisoned.set(false); // the cause is fixed

            HookedCollection hooks = new HookedCollection().first("updateOne", () -> {
                throw new ToolKilled();
            });
            Operations tool = Operations.builder(scripted(db, collection, hooks)).entity("product", collection)
                    .deadLetterCollection(dlCollection).build();
            DeadLetter d = tool.deadLetter("product/p-1#cache");
            assertThrows(ToolKilled.class, () -> tool.replay(List.of(d), "alice", "cache limit raised"));
            assertTrue(hooks.done(), "the tool died right before it re-armed the delivery");

            // the application's recovery runs as it always does
            for (int i = 0; i < 5; i++) {
                app.operations().recoverDue();
                app.operations().flushAcknowledgements();
            }
            boolean delivered = cache.inner.versionOf("p-1").orElse(-1) == v;
            boolean kept = deadLetters.get("product/p-1#cache").isPresent();
            assertTrue(delivered || kept, "product/p-1@" + v + " is committed; after the replaying tool died the"
                    + " cache holds " + cache.inner.versionOf("p-1") + ", " + store.pendingCount() + " deliveries are"
                    + " pending and the dead letter is " + (kept ? "kept" : "gone"));
        }
    }
}
