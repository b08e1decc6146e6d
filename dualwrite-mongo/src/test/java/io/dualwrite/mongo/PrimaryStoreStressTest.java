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
import com.mongodb.client.model.Filters;
import io.dualwrite.Operation;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real threads on two store instances (each with its remembered revisions) over one collection: saves and deletes
 * with varying sink sets (so intents are carried over), acknowledgements of what was written, reads, recovery claims,
 * reschedules and releases, all at once on three entities. Afterwards every entity's pending intents must be exactly
 * what the history asks for: a sink's intent is pending, at the highest version written for it, exactly when no
 * acknowledgement of that version or a newer one was made; the due time exists exactly when something is pending;
 * and every committed version is unique.
 */
@ExtendWith(MongoExtension.class)
class PrimaryStoreStressTest {
    private static final List<String> SINKS = List.of("search", "cache");
    private static final Instant T = Fixture.START;

    @Test
    void concurrentWritesAcksAndClaimsOnTwoInstancesKeepTheIntentsExact(MongoDatabase db) throws Exception {
        for (int round = 0; round < 3; round++) {
            run(db, round);
        }
    }

    private void run(MongoDatabase db, int round) throws Exception {
        MongoCollection<Product> products = Collections.products(db);
        List<MongoPrimaryStore<Product>> stores = List.of(MongoPrimaryStore.builder(products).build(),
                MongoPrimaryStore.builder(products).createIndexes(false).build());
        Map<String, Set<Long>> intents = new ConcurrentHashMap<>(); // id/sink -> versions written with an intent
        Map<String, Set<Long>> acked = new ConcurrentHashMap<>();   // id/sink -> versions acknowledged
        Map<String, ConcurrentLinkedQueue<Long>> written = new ConcurrentHashMap<>();
        List<String> ids = List.of("e0", "e1", "e2");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            MongoPrimaryStore<Product> store = stores.get(t % 2);
            Random rnd = new Random(round * 100L + t);
            String me = "t" + t;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < 120; i++) {
                    String id = ids.get(rnd.nextInt(ids.size()));
                    int op = rnd.nextInt(10);
                    if (op < 6) {
                        List<String> sinks = new ArrayList<>();
                        for (String s : SINKS) {
                            if (rnd.nextBoolean()) {
                                sinks.add(s);
                            }
                        }
                        if (sinks.isEmpty()) {
                            sinks.add("search");
                        }
                        boolean delete = rnd.nextInt(8) == 0;
                        PrimaryWrite.Builder<Product> b = PrimaryWrite.<Product>builder().id(id)
                                .operation(delete ? Operation.DELETE : Operation.UPSERT)
                                .intents(sinks.stream().map(s -> new IntentSpec(s, T.plusSeconds(30))).toList())
                                .correlationId(me + "-" + i).time(T);
                        if (!delete) {
                            b.state(new Product(id, me + "-" + i, i));
                        }
                        Committed<Product> c = store.commit(b.build());
                        if (c.status() != Committed.Status.WRITTEN) {
                            continue;
                        }
                        written.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>()).add(c.version());
                        for (String s : sinks) {
                            intents.computeIfAbsent(id + "/" + s, k -> ConcurrentHashMap.newKeySet()).add(c.version());
                        }
                        List<Ack> acks = new ArrayList<>();
                        for (String s : sinks) {
                            if (rnd.nextBoolean()) {
                                acks.add(new Ack(id, s, c.version(), null));
                            }
                        }
                        if (!acks.isEmpty()) {
                            // recorded before it is sent: the sink holds the version from now on
                            acks.forEach(a -> acked.computeIfAbsent(id + "/" + a.sink(),
                                    k -> ConcurrentHashMap.newKeySet()).add(a.version()));
                            store.acknowledge(acks);
                        }
                    } else if (op < 8) {
                        store.read(id);
                    } else {
                        String owner = me + "/" + i;
                        List<Snapshot<Product>> claimed = store.claimDue(T.plus(Duration.ofHours(1)), 5, owner,
                                Duration.ofMinutes(5));
                        for (Snapshot<Product> s : claimed) {
                            List<Intent> failed = new ArrayList<>();
                            List<Ack> acks = new ArrayList<>();
                            for (Intent in : s.pending().values()) {
                                if (rnd.nextBoolean()) {
                                    // recovery delivers the entity's current state at its current version
                                    acks.add(new Ack(s.id(), in.sink(), s.version(), null));
                                } else {
                                    failed.add(in.failedAttempt(T.plusSeconds(40), in.attempts() + 1, "503"));
                                }
                            }
                            if (!acks.isEmpty()) {
                                acks.forEach(a -> acked.computeIfAbsent(a.id() + "/" + a.sink(),
                                        k -> ConcurrentHashMap.newKeySet()).add(a.version()));
                                store.acknowledge(acks);
                            }
                            if (!failed.isEmpty()) {
                                store.reschedule(s.id(), failed);
                            }
                        }
                        store.releaseAll(claimed.stream().map(Snapshot::id).toList(), owner);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        for (String id : ids) {
            BsonDocument d = products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
            if (d == null) {
                continue;
            }
            BsonDocument meta = d.getDocument("_dw");
            List<Long> versions = new ArrayList<>(written.getOrDefault(id, new ConcurrentLinkedQueue<>()));
            assertEquals(versions.size(), new TreeSet<>(versions).size(), "round " + round + ": every committed"
                    + " version of " + id + " is unique: " + versions);
            assertEquals(new TreeSet<>(versions).last(), meta.getInt64("v").getValue(), "round " + round + ": " + id
                    + " holds its last committed version");
            BsonDocument pending = meta.getDocument("pending");
            for (String s : SINKS) {
                long highestIntent = intents.getOrDefault(id + "/" + s, Set.of()).stream().mapToLong(x -> x).max()
                        .orElse(-1);
                long highestAck = acked.getOrDefault(id + "/" + s, Set.of()).stream().mapToLong(x -> x).max()
                        .orElse(-1);
                if (highestIntent > highestAck) {
                    assertTrue(pending.containsKey(s), "round " + round + ": " + id + " must still ask " + s + " for "
                            + highestIntent + " (highest acknowledged " + highestAck + "): _dw = " + meta.toJson());
                    assertEquals(highestIntent, pending.getDocument(s).getInt64("v").getValue(), "round " + round
                            + ": " + id + "'s intent for " + s + " asks for the highest version written for it: "
                            + meta.toJson());
                } else {
                    assertTrue(!pending.containsKey(s), "round " + round + ": " + id + " asks " + s + " for nothing"
                            + " (highest intent " + highestIntent + ", acknowledged " + highestAck + "): _dw = "
                            + meta.toJson());
                }
            }
            assertEquals(!pending.isEmpty(), meta.containsKey("due"), "round " + round + ": " + id + "'s due time"
                    + " exists exactly when something is pending: " + meta.toJson());
        }
    }
}
