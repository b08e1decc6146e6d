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

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seeded random drift in both sinks, random chunk and leaf sizes: both comparison paths must plan
 * exactly what an independent oracle computes from the raw contents, and applying must leave every
 * sink equal to the primary but for its phantoms. Set -Ddualwrite.seed to replay a failure.
 */
class RandomDriftTest {

    @Test
    void bothPathsPlanWhatTheOracleSeesAndApplyingConverges() {
        long seed = Long.getLong("dualwrite.seed", System.nanoTime());
        System.out.println("RandomDriftTest seed=" + seed + " (replay with -Ddualwrite.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int round = 0; round < 6; round++) {
            int n = 20 + random.nextInt(200);
            int chunk = 1 + random.nextInt(40);
            int leaf = 1 + random.nextInt(8);
            String where = "seed " + seed + ", round " + round + ", n " + n + ", chunk " + chunk + ", leaf " + leaf;
            try (ReconcileFixture f = new ReconcileFixture().seed(n)) {
                for (int i = 0; i < n; i++) {
                    String id = ReconcileFixture.id(i);
                    int roll = random.nextInt(100);
                    if (roll < 4) {
                        f.deleteUnseen(id);
                    } else if (roll < 8) {
                        f.commitUnseen(new Item(id, "changed unseen", 2));
                    }
                    driftOne(f, f.search, id, random);
                    driftOne(f, f.cache, id, random);
                }
                List<PlanEntry> oracle = new ArrayList<>(oracle(f, "cache", f.cache));
                oracle.addAll(oracle(f, "search", f.search));

                ReconcilePlan baseline = f.reconciler().chunkSize(chunk).digestLeafSize(leaf).useDigests(false).build()
                        .plan(ReconcileScope.all());
                ReconcilePlan digests = f.reconciler().chunkSize(chunk).digestLeafSize(leaf).useDigests(true).build()
                        .plan(ReconcileScope.all());
                assertEquals(oracle, baseline.entries(), "the id-by-id path plans what the oracle sees; " + where);
                assertEquals(baseline.toJson(), digests.toJson(), "the digest path plans the same bytes; " + where);

                ReconcileReport applied = f.reconciler().chunkSize(chunk).digestLeafSize(leaf)
                        .useDigests(random.nextBoolean()).build().apply(ReconcileScope.all());
                long phantoms = oracle.stream().filter(e -> e.drift() == DriftClass.AHEAD).count();
                assertEquals(oracle.size() - phantoms, applied.repaired(), "every planned repair was made; " + where);
                for (InMemorySink<Item> sink : List.of(f.search, f.cache)) {
                    String name = sink == f.search ? "search" : "cache";
                    Map<String, Long> expected = new TreeMap<>(f.primaryLive());
                    oracle.stream().filter(e -> e.sink().equals(name) && e.drift() == DriftClass.AHEAD)
                            .forEach(e -> expected.put(e.id(), e.sinkVersion()));
                    assertEquals(expected, sink.liveVersions(), name + " equals the primary but for phantoms; " + where);
                }
                ReconcileReport again = f.reconciler().chunkSize(chunk).build().apply(ReconcileScope.all());
                assertEquals(phantoms, again.drift(), "a second run finds only the phantoms; " + where);
                assertEquals(0, again.repaired(), "a second run changes nothing; " + where);
            }
        }
    }

    private static void driftOne(ReconcileFixture f, InMemorySink<Item> sink, String id, Random random) {
        int roll = random.nextInt(100);
        long v = sink.versionOf(id).orElse(1);
        if (roll < 3) {
            sink.force(id, 0, null);
        } else if (roll < 6) {
            sink.force(id, v - 1 - random.nextInt(3), new Item(id, "older", 0));
        } else if (roll < 8) {
            sink.force(id, v + 1 + random.nextInt(3), new Item(id, "phantom", 9));
        } else if (roll < 11) {
            sink.force(id + "~orphan", 1 + random.nextInt(1000), new Item(id + "~orphan", "orphan", 1));
        }
    }

    /** Classifies straight from the raw contents, without the reconciler. */
    private static List<PlanEntry> oracle(ReconcileFixture f, String name, InMemorySink<Item> sink) {
        Map<String, Snapshot<Item>> primary = new TreeMap<>();
        for (Snapshot<Item> s : f.primary.scan(null, Integer.MAX_VALUE)) {
            primary.put(s.id(), s);
        }
        Map<String, Long> held = sink.liveVersions();
        TreeMap<String, PlanEntry> out = new TreeMap<>();
        primary.forEach((id, s) -> {
            Long h = held.get(id);
            long p = s.version();
            if (!s.deleted() && h == null) {
                out.put(id, new PlanEntry(name, id, DriftClass.MISSING, RepairAction.REPUBLISH, p, 0));
            } else if (!s.deleted() && h < p) {
                out.put(id, new PlanEntry(name, id, DriftClass.STALE, RepairAction.REPUBLISH, p, h));
            } else if (!s.deleted() && h > p || s.deleted() && h != null && h >= p) {
                out.put(id, new PlanEntry(name, id, DriftClass.AHEAD, RepairAction.NOTHING, p, h));
            } else if (s.deleted() && h != null) {
                out.put(id, new PlanEntry(name, id, DriftClass.ORPHAN, RepairAction.DELETE_ORPHAN, p, h));
            }
        });
        held.forEach((id, h) -> {
            if (!primary.containsKey(id)) {
                out.put(id, new PlanEntry(name, id, DriftClass.ORPHAN, RepairAction.DELETE_ORPHAN, 0, h));
            }
        });
        return new ArrayList<>(out.values());
    }
}
