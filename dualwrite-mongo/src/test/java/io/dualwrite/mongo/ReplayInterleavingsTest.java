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
import io.dualwrite.DeadLetter;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays interleaved with live writes, and with sinks that throw Errors.
 */
@ExtendWith(MongoExtension.class)
class ReplayInterleavingsTest {

    /** A guarded in-memory sink that fails (with whatever {@code failure} makes) the changes {@code poisoned} picks. */
    static final class ScriptedSink implements Sink<Product> {
        final InMemorySink<Product> inner = new InMemorySink<>();
        volatile Predicate<Change<Product>> poisoned = c -> false;
        volatile java.util.function.Function<Change<Product>, Throwable> failure =
                c -> new SinkException("400 refuses " + c.idempotencyKey(), ErrorKind.PERMANENT, null);
        /** A change this predicate picks waits on {@link #release} after counting down {@link #reached}. */
        volatile Predicate<Change<Product>> hold = c -> false;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            if (hold.test(change)) {
                reached.countDown();
                release.await();
            }
            if (poisoned.test(change)) {
                Throwable t = failure.apply(change);
                if (t instanceof Error e) {
                    throw e;
                }
                throw (Exception) t;
            }
            return inner.apply(change);
        }
    }

    private static DualWriter<Product> writer(MongoPrimaryStore<Product> store, MongoDeadLetterStore dls, Sink<Product> cache) {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId).primary(store)
                .deadLetterStore(dls).clock(Clock.systemUTC())
                .sink("cache", cache, SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(20)).build())
                .gracePeriod(Duration.ZERO).recoveryRetry(5, Duration.ofMillis(1), Duration.ofMillis(10))
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** Passes: a replay's delivery of V held at the sink while V+1 is saved and delivered never regresses the sink. */
    @Test
    void anInAppReplayRacingANewerSaveNeverPutsTheOlderVersionOverTheNewer(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dl")).build();
        ScriptedSink cache = new ScriptedSink();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (DualWriter<Product> w = writer(store, dls, cache)) {
            cache.poisoned = c -> true;
            long v = w.save(new Product("p-1", "kettle", 1)).version();
            w.operations().flushAcknowledgements();
            String id = DeadLetter.idOf("product", "p-1", "cache");
            assertTrue(dls.get(id).isPresent());
            cache.poisoned = c -> false;
            cache.hold = c -> c.version() == v;
            Future<SinkOutcome> replay = pool.submit(() -> w.deadLetters().replay(id));
            assertTrue(cache.reached.await(20, TimeUnit.SECONDS), "the replay's delivery of v is at the sink");
            long v2 = w.save(new Product("p-1", "kettle", 2)).version();
            assertEquals(v2, cache.inner.versionOf("p-1").orElse(-1), "the newer save is delivered meanwhile");
            cache.release.countDown();
            replay.get(20, TimeUnit.SECONDS);
            w.operations().flushAcknowledgements();
            for (int i = 0; i < 3; i++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(v2, cache.inner.versionOf("p-1").orElse(-1));
            assertEquals(new Product("p-1", "kettle", 2), cache.inner.get("p-1").orElseThrow());
            assertTrue(dls.get(id).isEmpty(), "v was delivered (or superseded): the dead letter is gone");
            assertEquals(0, store.pendingCount());
        } finally {
            cache.release.countDown();
            pool.shutdownNow();
        }
    }

    /** Passes: a sink that throws an AssertionError during an in-app replay keeps the dead letter; others flow. */
    @Test
    void anInAppReplayWhoseSinkThrowsAnErrorKeepsTheDeadLetter(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dl")).build();
        ScriptedSink cache = new ScriptedSink();
        try (DualWriter<Product> w = writer(store, dls, cache)) {
            cache.poisoned = c -> c.id().equals("p-1");
            long v = w.save(new Product("p-1", "kettle", 1)).version();
            w.operations().flushAcknowledgements();
            String id = DeadLetter.idOf("product", "p-1", "cache");
            for (String kind : List.of("assert", "overflow")) {
                cache.failure = c -> kind.equals("assert") ? new AssertionError("invariant") : new StackOverflowError();
                SinkOutcome o = w.deadLetters().replay(id);
                assertEquals(SinkOutcome.DEAD_LETTERED, o, kind);
                assertEquals(v, dls.get(id).orElseThrow().version(), kind);
                w.save(new Product("p-2", "other " + kind, 2));
                assertTrue(cache.inner.get("p-2").isPresent(), "another entity flows");
            }
        }
    }

    /** Passes: a dead letter of V, the entity deleted and created again meanwhile; the operator's replay delivers it. */
    @Test
    void anOperatorReplayAfterTheEntityWasDeletedAndCreatedAgainDeliversTheCurrentState(MongoDatabase db) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        String dl = Collections.uniqueName("dl");
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(dl).build();
        ScriptedSink cache = new ScriptedSink();
        try (DualWriter<Product> w = writer(store, dls, cache)) {
            cache.poisoned = c -> !c.isDelete();
            long v1 = w.save(new Product("p-1", "kettle", 1)).version();
            long v2 = w.delete("p-1").version();
            long v3 = w.save(new Product("p-1", "kettle again", 3)).version();
            w.operations().flushAcknowledgements();
            assertTrue(v1 < v2 && v2 < v3);
            DeadLetter d = dls.get(DeadLetter.idOf("product", "p-1", "cache")).orElseThrow();
            assertEquals(v3, d.version(), "the later failure merged into it");
            cache.poisoned = c -> false;
            Thread.sleep(Operations.ACKNOWLEDGEMENT_SETTLE.toMillis() + 100);
            Operations ops = Operations.builder(db).entity("product", products.getNamespace().getCollectionName())
                    .deadLetterCollection(dl).build();
            Operations.Replay r = ops.replay(List.of(d), "alice", "fixed").get(0);
            assertEquals(Operations.ReplayOutcome.ARMED, r.outcome(), r.detail());
            for (int i = 0; i < 3; i++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(v3, cache.inner.versionOf("p-1").orElse(-1));
            assertEquals(new Product("p-1", "kettle again", 3), cache.inner.get("p-1").orElseThrow());
            assertTrue(dls.get(d.id()).isEmpty());
            assertEquals(0, store.pendingCount());
        }
    }
}
