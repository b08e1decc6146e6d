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
package io.dualwrite.reconcile;

import io.dualwrite.DelegatingStore;
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

/**
 * Measures the two comparison paths on 100,000 entities with 1% drift (in-memory primary and
 * sink), and prints the figures quoted in docs/reconciliation.md. A harness, not a test: from
 * {@code dualwrite-core}, run it with
 * <pre>
 * ../mvnw -o -q test-compile
 * java -cp "target/test-classes:target/classes:$(../mvnw -o -q dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)" io.dualwrite.reconcile.ReconcileBenchmark
 * </pre>
 * or from an IDE. Arguments: entities (default 100000), drift in percent (default 1), seed.
 */
public final class ReconcileBenchmark {
    private ReconcileBenchmark() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        double driftPercent = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 20260101L;
        System.out.printf("entities=%d drift=%.2f%% seed=%d chunk=%d leaf=%d%n", n, driftPercent, seed,
                ReconcilerBuilder.DEFAULT_CHUNK_SIZE, ReconcilerBuilder.DEFAULT_DIGEST_LEAF_SIZE);
        int drifted = (int) Math.round(n * driftPercent / 100);
        for (String layout : List.of("in sync", "scattered", "clustered")) {
            Setup s = new Setup(n);
            if (!layout.equals("in sync")) {
                s.drift(drifted, layout.equals("clustered"), new Random(seed));
            }
            for (boolean digests : new boolean[] {false, true}) {
                Reconciler r = Reconciler.<Item>builder().writer(s.writer).primary(s.indexed()).sink("search", s.sink)
                        .useDigests(digests).meterRegistry(s.meters).build();
                r.plan(ReconcileScope.all()); // warm-up
                long best = Long.MAX_VALUE;
                ReconcilePlan plan = null;
                ReconcileReport report = null;
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    plan = r.plan(ReconcileScope.all());
                    best = Math.min(best, System.nanoTime() - t0);
                }
                report = r.dryRun(ReconcileScope.all());
                System.out.printf("%-9s %-8s drift=%5d idsCompared=%7d sinkCalls=%6d (digest %5d) best of 3: %5d ms%n",
                        layout, digests ? "digest" : "baseline", plan.drift(), report.idsCompared(), report.sinkCalls(),
                        report.digestCalls(), best / 1_000_000);
            }
            s.writer.close();
        }
        Setup s = new Setup(n);
        long t0 = System.nanoTime();
        int pages = 0;
        for (List<Snapshot<Item>> page = s.primary.scan(null, ReconcilerBuilder.DEFAULT_CHUNK_SIZE);
             !page.isEmpty(); page = s.primary.scan(page.get(page.size() - 1).id(), ReconcilerBuilder.DEFAULT_CHUNK_SIZE)) {
            pages++;
        }
        System.out.printf("for scale: InMemoryPrimaryStore.scan over the same %d entities takes %d ms in %d pages"
                + " (it sorts every key per page; the figures above read the primary through a sorted index)%n", n,
                (System.nanoTime() - t0) / 1_000_000, pages);
        s.writer.close();
    }

    /** A primary and a sink holding the same n entities. */
    private static final class Setup {
        final InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        final InMemorySink<Item> sink = new InMemorySink<>();
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final DualWriter<Item> writer;
        final List<String> ids = new ArrayList<>();

        Setup(int n) {
            writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                    .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", sink).meterRegistry(meters).build();
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            for (int i = 0; i < n; i++) {
                String id = String.format("e-%07d", i);
                Item item = new Item(id, "entity " + i, 1);
                long v = primary.commit(PrimaryWrite.<Item>builder().id(id).operation(Operation.UPSERT).state(item)
                        .intents(List.of()).correlationId("bench").time(t).build()).version();
                sink.force(id, v, item);
                ids.add(id);
            }
        }

        /** The same primary, scanned through a sorted copy of its snapshots (the primary is not written meanwhile). */
        PrimaryStore<Item> indexed() {
            TreeMap<String, Snapshot<Item>> index = new TreeMap<>();
            for (Snapshot<Item> snap : primary.scan(null, Integer.MAX_VALUE)) {
                index.put(snap.id(), snap);
            }
            return new DelegatingStore<>(primary) {
                @Override
                public List<Snapshot<Item>> scan(String afterExclusive, int limit) {
                    NavigableMap<String, Snapshot<Item>> tail = afterExclusive == null ? index
                            : index.tailMap(afterExclusive, false);
                    List<Snapshot<Item>> out = new ArrayList<>(Math.min(limit, tail.size()));
                    for (Snapshot<Item> snap : tail.values()) {
                        if (out.size() == limit) {
                            break;
                        }
                        out.add(snap);
                    }
                    return out;
                }
            };
        }

        /** Drift in thirds: lost, one version behind, orphans next to a real id. */
        void drift(int count, boolean clustered, Random random) {
            List<String> chosen;
            if (clustered) {
                int start = random.nextInt(ids.size() - count);
                chosen = ids.subList(start, start + count);
            } else {
                List<String> copy = new ArrayList<>(ids);
                Collections.shuffle(copy, random);
                chosen = copy.subList(0, count);
            }
            for (int i = 0; i < chosen.size(); i++) {
                String id = chosen.get(i);
                long v = sink.versionOf(id).getAsLong();
                switch (i % 3) {
                    case 0:
                        sink.force(id, 0, null);
                        break;
                    case 1:
                        sink.force(id, v - 1, new Item(id, "older", 0));
                        break;
                    default:
                        sink.force(id + "-orphan", v, new Item(id + "-orphan", "orphan", 1));
                        break;
                }
            }
        }
    }
}
