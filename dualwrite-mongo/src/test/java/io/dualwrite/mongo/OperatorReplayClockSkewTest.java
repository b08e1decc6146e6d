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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator replays a dead letter from the command line ({@link Operations#replay}) on a host whose clock
 * disagrees with the application's, while the application's acknowledgement of the dead letter (which removes the
 * dead-lettered intent) is still on its way. Were the replay to re-arm the delivery first, that acknowledgement would
 * remove the re-armed intent, and the committed version would be neither delivered nor in the dead-letter store. The
 * replay waits, by its own elapsed time, until the document no longer holds the dead-lettered intent.
 */
@ExtendWith(MongoExtension.class)
class OperatorReplayClockSkewTest {

    /** A guarded in-memory sink that rejects everything permanently while poisoned. */
    static final class PoisonSink implements Sink<Product> {
        final InMemorySink<Product> inner = new InMemorySink<>();
        final AtomicBoolean poisoned = new AtomicBoolean(true);

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            if (poisoned.get()) {
                throw new SinkException("400 the cache refuses " + change.id(), ErrorKind.PERMANENT, null);
            }
            return inner.apply(change);
        }
    }

    /**
     * The application's acknowledgement batch lands {@code ackDelay} after the dead letter was stored — well within
     * the two seconds the tool waits for it — while the operator replays at once.
     */
    private static void replayWhileTheAcknowledgementIsOnItsWay(MongoDatabase db, Duration operatorClockAhead) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        String dlCollection = Collections.uniqueName("dead_letters");
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MongoDeadLetterStore deadLetters = MongoDeadLetterStore.builder(db).collectionName(dlCollection).build();
        PoisonSink cache = new PoisonSink();
        Duration ackDelay = Duration.ofMillis(400);
        // the application flushes its acknowledgements itself here, ackDelay after the dead letter: a long interval
        // keeps its own timer out of the way
        try (DualWriter<Product> app = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(deadLetters).clock(Clock.systemUTC())
                .sink("cache", cache, SinkSettings.builder().maxAttempts(1).build())
                .acknowledgements(1000, Duration.ofHours(1)).gracePeriod(Duration.ZERO)
                .recoveryRetry(5, Duration.ofMillis(1), Duration.ofMillis(10))
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            Operations ops = Operations.builder(db).entity("product", products.getNamespace().getCollectionName())
                    .deadLetterCollection(dlCollection)
                    .clock(Clock.offset(Clock.systemUTC(), operatorClockAhead)).build();

            long v = app.save(new Product("p-1", "kettle", 2999)).version();
            DeadLetter read = ops.deadLetter("product/p-1#cache");
            assertEquals(v, read.version());
            // the application's next acknowledgement batch, on its way
            Thread acknowledger = new Thread(() -> {
                try {
                    Thread.sleep(ackDelay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                app.operations().flushAcknowledgements();
            });
            acknowledger.start();

            cache.poisoned.set(false); // the cause is fixed; the operator replays
            Operations.Replay replay = ops.replay(List.of(read), "alice", "cache limit raised").get(0);
            acknowledger.join();

            // the application's recovery runs as it always does; the re-armed intent is due by the operator's clock,
            // which may be ahead of the application's by the skew
            long deadline = System.nanoTime() + operatorClockAhead.plusSeconds(5).toNanos();
            do {
                app.operations().recoverDue();
                app.operations().flushAcknowledgements();
                Thread.sleep(20);
            } while (cache.inner.versionOf("p-1").orElse(-1) != v && System.nanoTime() < deadline);

            Optional<DeadLetter> stillDead = deadLetters.get("product/p-1#cache");
            boolean delivered = cache.inner.versionOf("p-1").orElse(-1) == v;
            assertTrue(delivered || stillDead.isPresent(), "replay " + replay.outcome() + " (" + replay.detail()
                    + ") from an operator whose clock is " + operatorClockAhead + " ahead: product/p-1@" + v
                    + " was committed, the cache holds " + cache.inner.versionOf("p-1") + ", nothing is pending ("
                    + store.pendingCount() + ") and the dead letter is gone: the delivery is lost");
        }
    }

    /** Control: clocks that agree. The tool waits, the acknowledgement lands first, the replay is delivered. */
    @Test
    void withClocksThatAgreeTheReplayIsDelivered(MongoDatabase db) throws Exception {
        replayWhileTheAcknowledgementIsOnItsWay(db, Duration.ZERO);
    }

    /** The operator's host runs 3 s ahead of the application's: the replay still waits for the acknowledgement. */
    @Test
    void withTheOperatorsClockAheadTheReplayIsNotLost(MongoDatabase db) throws Exception {
        replayWhileTheAcknowledgementIsOnItsWay(db, Duration.ofSeconds(3));
    }
}
