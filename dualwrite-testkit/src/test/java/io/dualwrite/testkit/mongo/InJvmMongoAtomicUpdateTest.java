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
package io.dualwrite.testkit.mongo;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The in-JVM server applies one document's update atomically, as MongoDB does: concurrent
 * {@code findOneAndUpdate}s that increment a counter each see a value of their own, before or after
 * their increment. The library's claims (an execution number, a lease) rest on that.
 */
class InJvmMongoAtomicUpdateTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 100;

    @Test
    void concurrentIncrementsEachSeeADistinctValue() throws Exception {
        for (ReturnDocument which : ReturnDocument.values()) {
            try (InJvmMongo mongo = InJvmMongo.start(); MongoClient client = MongoClients.create(mongo.connectionString())) {
                MongoCollection<Document> counters = client.getDatabase("atomic").getCollection("counters");
                counters.insertOne(new Document("_id", "c").append("n", 0L));
                Set<Long> seen = new ConcurrentSkipListSet<>();
                List<Long> duplicates = new ArrayList<>();
                CyclicBarrier together = new CyclicBarrier(THREADS);
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    List<Future<?>> all = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        all.add(pool.submit(() -> {
                            together.await();
                            for (int i = 0; i < PER_THREAD; i++) {
                                long n = counters.findOneAndUpdate(Filters.eq("_id", "c"), Updates.inc("n", 1L),
                                        new FindOneAndUpdateOptions().returnDocument(which)).getLong("n");
                                if (!seen.add(n)) {
                                    synchronized (duplicates) {
                                        duplicates.add(n);
                                    }
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : all) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(List.of(), duplicates, "values seen twice (" + which + ")");
                assertEquals((long) THREADS * PER_THREAD, counters.find().first().getLong("n"), "every increment applied");
                Set<Long> expected = new TreeSet<>();
                long first = which == ReturnDocument.AFTER ? 1 : 0;
                for (long n = first; n < first + THREADS * PER_THREAD; n++) {
                    expected.add(n);
                }
                assertEquals(expected, new TreeSet<>(seen), which + ": each value exactly once");
            }
        }
    }
}
