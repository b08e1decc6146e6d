package io.dualwrite.mongo;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
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
    static final class OverlapDetectingSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final Map<String, String> inFlight = new ConcurrentHashMap<>();
        final AtomicInteger overlaps = new AtomicInteger();
        final AtomicInteger deliveries = new AtomicInteger();

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
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
        OverlapDetectingSink search = new OverlapDetectingSink();
        Map<String, OverlapDetectingSink> sinks = Map.of("search", search);
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
}
