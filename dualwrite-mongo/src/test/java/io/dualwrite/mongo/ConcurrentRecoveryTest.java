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
import io.dualwrite.Operation;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Two recovery workers on one collection share the backlog and never deliver the same intent at the same time. */
@ExtendWith(MongoExtension.class)
class ConcurrentRecoveryTest {

    /** Detects two deliveries of the same entity in flight at once. */
    static final class OverlapDetectingSink<T> implements Sink<T> {
        final InMemorySink<T> target = new InMemorySink<>();
        final Map<String, String> inFlight = new ConcurrentHashMap<>();
        final AtomicInteger overlaps = new AtomicInteger();
        final AtomicInteger deliveries = new AtomicInteger();

        @Override
        public ApplyResult apply(Change<T> change) throws Exception {
            String me = Thread.currentThread().getName();
            if (inFlight.putIfAbsent(change.id(), me) != null) {
                overlaps.incrementAndGet();
            }
            try {
                deliveries.incrementAndGet();
                Thread.sleep(3); // widen the window in which an overlap would show
                return target.apply(change);
            } finally {
                inFlight.remove(change.id(), me);
            }
        }
    }

    @Test
    void twoWorkersNeverDeliverTheSameIntentConcurrently(MongoDatabase db) throws Exception {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        MutableClock clock = new MutableClock(Fixture.START);
        OverlapDetectingSink<Product> search = new OverlapDetectingSink<>();
        Map<String, OverlapDetectingSink<Product>> sinks = Map.of("search", search);
        int entities = 40;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < entities; i++) {
            ids.add("c" + i);
            Fixture.commitAndDie(store, clock, new Product("c" + i, "n" + i, i), sinks.keySet());
        }
        clock.advance(Duration.ofMinutes(2));
        try (DualWriter<Product> w1 = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w1", sinks)
                .recoveryBatchSize(5).build();
             DualWriter<Product> w2 = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w2", sinks)
                     .recoveryBatchSize(5).build();
             RecoveryWorker r1 = RecoveryWorker.builder(w1).interval(Duration.ofMillis(5)).build();
             RecoveryWorker r2 = RecoveryWorker.builder(w2).interval(Duration.ofMillis(5)).build()) {
            r1.start();
            r2.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (store.pendingCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, store.pendingCount(), "the two workers drained the backlog");
            System.out.println("deliveries=" + search.deliveries.get() + " overlaps=" + search.overlaps.get()
                    + " worker1=" + r1.totals() + " worker2=" + r2.totals());
        }
        assertEquals(0, search.overlaps.get(), "no entity was delivered by two workers at the same time");
        for (String id : ids) {
            assertEquals(store.read(id).orElseThrow().version(), search.target.versionOf(id).orElse(-1),
                    "the sink holds the primary's version of " + id);
        }
        assertEquals(entities, search.deliveries.get(), "every intent was delivered exactly once across both workers");
    }

    @Test
    void twoWorkersShareTheWriteAheadBacklogWithoutOverlap(MongoDatabase db) throws Exception {
        MongoCollection<Order> orders = db.getCollection(Collections.uniqueName("orders"), Order.class)
                .withCodecRegistry(Collections.POJOS);
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).build();
        OrderRepository repository = new OrderRepository(orders);
        MutableClock clock = new MutableClock(Fixture.START);
        OverlapDetectingSink<Order> search = new OverlapDetectingSink<>();
        int entities = 30;
        for (int i = 0; i < entities; i++) {
            Order order = new Order("w" + i, "NEW");
            store.commit(PrimaryWrite.<Order>builder().id(order.getId()).operation(Operation.UPSERT)
                    .intents(List.of(new IntentSpec("search", clock.instant()))).correlationId("c" + i)
                    .time(clock.instant()).callerWrite(() -> repository.save(order)).build());
        }
        clock.advance(Duration.ofMinutes(2));
        try (DualWriter<Order> w1 = orderWriter(store, clock, "w1", search);
             DualWriter<Order> w2 = orderWriter(store, clock, "w2", search);
             RecoveryWorker r1 = RecoveryWorker.builder(w1).interval(Duration.ofMillis(5)).build();
             RecoveryWorker r2 = RecoveryWorker.builder(w2).interval(Duration.ofMillis(5)).build()) {
            r1.start();
            r2.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (store.pendingCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, store.pendingCount(), "the two workers drained the write-ahead backlog");
            System.out.println("write-ahead deliveries=" + search.deliveries.get() + " overlaps=" + search.overlaps.get());
        }
        assertEquals(0, search.overlaps.get(), "no entity was delivered by two workers at the same time");
        assertEquals(entities, search.deliveries.get(), "every intent was delivered exactly once across both workers");
        for (int i = 0; i < entities; i++) {
            assertEquals(store.read("w" + i).orElseThrow().version(), search.target.versionOf("w" + i).orElse(-1),
                    "the sink holds the primary's version of w" + i);
        }
    }

    private static DualWriter<Order> orderWriter(MongoWriteAheadStore<Order> store, MutableClock clock, String worker,
                                                 Sink<Order> sink) {
        return DualWriter.<Order>builder().entityType("order").primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).clock(clock).gracePeriod(Fixture.GRACE)
                .workerId(worker).recoveryBatchSize(5)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", sink, Fixture.ONE_ATTEMPT).build();
    }
}
