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

import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer "dies" at each point of the write path (abandons it) after the primary write; a
 * fresh writer's recovery brings every sink to the primary's latest version, and no sink ever
 * holds a version the primary never committed.
 */
@ExtendWith(MongoExtension.class)
class CrashSafetyTest {
    private MongoPrimaryStore<Product> store;
    private MutableClock clock;
    private Map<String, InMemorySink<Product>> sinks;
    private final Set<Long> committed = new HashSet<>();

    @BeforeEach
    void setUp(MongoDatabase db) {
        store = MongoPrimaryStore.builder(Collections.products(db)).build();
        clock = new MutableClock(Fixture.START);
        sinks = Fixture.sinks("search", "cache");
    }

    private DualWriter<Product> freshWriter(String worker) {
        return Fixture.writer(store, new InMemoryDeadLetterStore(), clock, worker, sinks).build();
    }

    private void assertNoPhantoms(String id) {
        for (Map.Entry<String, InMemorySink<Product>> e : sinks.entrySet()) {
            e.getValue().versionOf(id).ifPresent(v -> assertTrue(committed.contains(v),
                    "sink " + e.getKey() + " holds version " + v + " of " + id + ", which the primary committed"));
            long primary = store.read(id).map(s -> s.version()).orElse(Long.MAX_VALUE);
            e.getValue().versionOf(id).ifPresent(v -> assertTrue(v <= primary,
                    "sink " + e.getKey() + " is never ahead of the primary"));
        }
    }

    @Test
    void diesAfterThePrimaryWriteBeforeAnySinkCall() {
        try (DualWriter<Product> w = freshWriter("w1")) {
            committed.add(w.save(new Product("p1", "kettle", 30)).version());
        }
        Committed<Product> c = Fixture.commitAndDie(store, clock, new Product("p1", "kettle", 25), sinks.keySet());
        committed.add(c.version());
        assertNoPhantoms("p1");
        assertEquals(c.version() - 1, sinks.get("search").versionOf("p1").orElseThrow(),
                "the dead writer reached no sink");
        try (DualWriter<Product> w2 = freshWriter("w2")) {
            Fixture.recoverAll(w2, store, clock);
        }
        Fixture.assertConverged(store, "p1", sinks);
        assertNoPhantoms("p1");
    }

    @Test
    void diesBetweenSinks() throws Exception {
        Committed<Product> c = Fixture.commitAndDie(store, clock, new Product("p2", "teapot", 40), sinks.keySet());
        committed.add(c.version());
        sinks.get("search").apply(Fixture.changeOf(c)); // the first sink got it, then the process died
        assertTrue(sinks.get("cache").get("p2").isEmpty(), "the second sink was never called");
        assertNoPhantoms("p2");
        try (DualWriter<Product> w2 = freshWriter("w2")) {
            Fixture.recoverAll(w2, store, clock);
        }
        Fixture.assertConverged(store, "p2", sinks);
        assertNoPhantoms("p2");
    }

    @Test
    void diesAfterSinkCallsBeforeTheAcknowledgement() {
        WriteResult r;
        try (DualWriter<Product> dying = Fixture.writer(Fixture.droppingAcks(store), new InMemoryDeadLetterStore(),
                clock, "w1", sinks).build()) {
            r = dying.save(new Product("p3", "mug", 8));
            committed.add(r.version());
            assertTrue(r.fullyApplied(), "both sinks took the write");
        }
        assertEquals(2, store.read("p3").orElseThrow().pending().size(), "the lost acknowledgements left both intents");
        try (DualWriter<Product> w2 = freshWriter("w2")) {
            Fixture.recoverAll(w2, store, clock);
        }
        Fixture.assertConverged(store, "p3", sinks);
        assertNoPhantoms("p3");
        assertEquals(1, sinks.get("search").appliedCount(), "the redelivery changed nothing at the sink");
    }

    @Test
    void randomCrashPointsAlwaysConverge() {
        long seed = Long.getLong("dualwrite.seed", System.nanoTime());
        System.out.println("CrashSafetyTest.randomCrashPointsAlwaysConverge seed=" + seed);
        Random rnd = new Random(seed);
        List<String> ids = List.of("r1", "r2", "r3", "r4", "r5");
        PrimaryStore<Product> ackless = Fixture.droppingAcks(store);
        Map<String, Integer> crashes = new HashMap<>();
        try (DualWriter<Product> normal = freshWriter("w-normal");
             DualWriter<Product> dying = Fixture.writer(ackless, new InMemoryDeadLetterStore(), clock, "w-dying", sinks)
                     .build()) {
            for (int op = 0; op < 40; op++) {
                clock.advance(java.time.Duration.ofMillis(1 + rnd.nextInt(5)));
                String id = ids.get(rnd.nextInt(ids.size()));
                boolean delete = rnd.nextInt(5) == 0;
                Product p = new Product(id, "name-" + op, rnd.nextInt(1000));
                int point = rnd.nextInt(4);
                crashes.merge(List.of("none", "afterPrimary", "betweenSinks", "beforeAck").get(point), 1, Integer::sum);
                try {
                    switch (point) {
                        case 0:
                            record(delete ? normal.delete(id) : normal.save(p));
                            break;
                        case 1:
                            record(delete ? Fixture.deleteAndDie(store, clock, id, sinks.keySet())
                                    : Fixture.commitAndDie(store, clock, p, sinks.keySet()));
                            break;
                        case 2:
                            Committed<Product> c = delete ? Fixture.deleteAndDie(store, clock, id, sinks.keySet())
                                    : Fixture.commitAndDie(store, clock, p, sinks.keySet());
                            record(c);
                            if (c.status() == Committed.Status.WRITTEN) {
                                sinks.get("search").apply(Fixture.changeOf(c));
                            }
                            break;
                        default:
                            record(delete ? dying.delete(id) : dying.save(p));
                            break;
                    }
                } catch (Exception e) {
                    throw new AssertionError("op " + op + " failed (seed " + seed + ")", e);
                }
                for (String each : ids) {
                    assertNoPhantoms(each);
                }
            }
            normal.operations().flushAcknowledgements();
            Fixture.recoverAll(normal, store, clock);
        }
        for (String id : ids) {
            Fixture.assertConverged(store, id, sinks);
            assertNoPhantoms(id);
        }
        System.out.println("crash points (seed " + seed + "): " + crashes);
    }

    private void record(WriteResult r) {
        if (r.written()) {
            committed.add(r.version());
        }
    }

    private void record(Committed<Product> c) {
        if (c.status() == Committed.Status.WRITTEN) {
            committed.add(c.version());
        }
    }
}
