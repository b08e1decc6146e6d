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
