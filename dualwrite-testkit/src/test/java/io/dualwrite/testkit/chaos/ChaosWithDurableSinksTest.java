package io.dualwrite.testkit.chaos;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.mongo.TestMongo;
import io.dualwrite.testkit.sink.MongoVersionedSink;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chaos run with sinks on the test MongoDB: the destination's own version guard (a
 * conditional upsert) keeps every promise under duplicates, reordering and lost acknowledgements.
 */
class ChaosWithDurableSinksTest {

    @Test
    void durableSinksConvergeAndApplyEachVersionOnce() {
        MongoDatabase db = TestMongo.client().getDatabase("dw_chaos_durable");
        db.drop();
        AtomicInteger n = new AtomicInteger();
        List<MongoVersionedSink<TestItem>> sinks = new ArrayList<>();
        ChaosReport report = ChaosRunner.builder().seed(5).operations(300).threads(2).entities(20)
                .attemptTimeout(Duration.ofMillis(300))
                .sinkFactory(() -> {
                    MongoVersionedSink<TestItem> s = new MongoVersionedSink<>(db, "sink" + n.incrementAndGet(),
                            TestItem.class);
                    sinks.add(s);
                    return s;
                }).build().run();
        report.assertPromisesKept();
        assertEquals(3, sinks.size(), "one durable sink per registered sink");
        for (MongoVersionedSink<TestItem> s : sinks) {
            assertEquals(List.of(), s.repeatedEffects(), "the collection records no repeated effect: " + s);
            assertTrue(s.effects() > 0, "the collection recorded effects: " + s);
        }
        db.drop();
    }
}
