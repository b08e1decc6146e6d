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
package io.dualwrite.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns measurements of one run into the tables of ratios that docs/performance.md shows: each
 * write path against the raw primary write and the naive dual write of the same sink, flow and
 * thread count, with the MongoDB commands it sent per write; the recovery drain against the
 * sink's raw batch rate; the coordinator's own cost. Ratios only compare figures of the same run. Immutable and thread-safe.
 */
public final class RatioReport {
    /** Target: the coordinator's median latency, one sink, at most this times the naive one. */
    public static final double TARGET_P50 = 1.05;
    /** Target: the coordinator's p99 latency, one sink, at most this times the naive one. */
    public static final double TARGET_P99 = 1.15;
    /** Target: the coordinator's throughput at 8 threads, one sink, at least this times the naive one. */
    public static final double TARGET_THROUGHPUT = 0.95;
    /** Target: the drain rate at least this times the sink's raw batch rate. */
    public static final double TARGET_DRAIN = 0.8;
    /** Target: the coordinator's own time per write, default settings and a built-in sink, in microseconds, at most this. */
    public static final double TARGET_COST_MICROS = 5;

    private static final String WRITE = "WriteBenchmark";
    private static final String DRAIN = "DrainBenchmark";
    private static final String COST = "CoordinatorCostBenchmark";
    private static final String[][] WRITE_ROWS = {
            {"rawPrimary", "(a) raw primary write"},
            {"naiveDualWrite", "(b) naive dual write, 1 sink"},
            {"naiveDualWriteThreeSinks", "(b3) naive dual write, 3 sinks in turn"},
            {"coordinatorOneSink", "(c) save, 1 SYNC sink"},
            {"coordinatorOneSinkClientTimeout", "(c') save, 1 SYNC sink, clientEnforcesTimeout"},
            {"coordinatorThreeSinks", "(c3) save, 3 SYNC sinks"},
            {"coordinatorThreeSinksClientTimeout", "(c3') save, 3 SYNC sinks, clientEnforcesTimeout"},
            {"writeAhead", "(d) write-ahead saveWith, 1 sink"},
            {"writeAheadClientTimeout", "(d') write-ahead saveWith, 1 sink, clientEnforcesTimeout"},
            {"writeAheadReturning", "(e) write-ahead saveReturning, 1 sink"},
    };

    private final List<Measurement> all;

    /** @param measurements the results of one run */
    public RatioReport(Collection<Measurement> measurements) {
        this.all = List.copyOf(measurements);
    }

    /** @return the write tables, one per flow and sink; empty when there were no write results */
    public String writeTables() {
        StringBuilder out = new StringBuilder();
        Set<String> flows = new LinkedHashSet<>();
        Set<String> sinks = new LinkedHashSet<>();
        Set<Integer> threads = new TreeSet<>();
        for (Measurement m : all) {
            if (m.benchmark().equals(WRITE)) {
                flows.add(m.param("flow"));
                sinks.add(m.param("sink"));
                threads.add(m.threads());
            }
        }
        for (String flow : flows) {
            for (String sink : sinks) {
                out.append("\nWrites, flow ").append(flow).append(", sink ").append(sink)
                        .append(" (latency per write; throughput = threads / mean latency)\n\n");
                out.append("| path | threads | p50 µs | p99 µs | writes/s | p50 ÷ (a) | p50 ÷ naive | p99 ÷ naive"
                        + " | writes/s ÷ naive | MongoDB commands per write: caller's path / all |\n");
                out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
                for (String[] row : WRITE_ROWS) {
                    for (int t : threads) {
                        Optional<Measurement> m = write(row[0], flow, sink, t);
                        if (m.isEmpty()) {
                            continue;
                        }
                        Optional<Measurement> raw = write("rawPrimary", flow, sink, t);
                        Optional<Measurement> naive = write(row[0].contains("ThreeSinks")
                                ? "naiveDualWriteThreeSinks" : "naiveDualWrite", flow, sink, t);
                        Measurement x = m.get();
                        out.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                                row[1], t, micros(x.p50Nanos()), micros(x.p99Nanos()), count(x.opsPerSecond()),
                                ratio(raw.map(r -> x.p50Nanos() / r.p50Nanos())),
                                ratio(naive.map(n -> x.p50Nanos() / n.p50Nanos())),
                                ratio(naive.map(n -> x.p99Nanos() / n.p99Nanos())),
                                ratio(naive.map(n -> x.opsPerSecond() / n.opsPerSecond())), commands(x)));
                    }
                }
            }
        }
        return out.toString();
    }

    /** @return the drain table; empty when there were no drain results */
    public String drainTable() {
        StringBuilder out = new StringBuilder();
        Set<List<String>> keys = new LinkedHashSet<>();
        for (Measurement m : all) {
            if (m.benchmark().equals(DRAIN)) {
                keys.add(List.of(m.param("sink"), m.param("primary"), m.param("backlog"), m.param("batch")));
            }
        }
        if (keys.isEmpty()) {
            return "";
        }
        out.append("\nRecovery drain: a backlog of pending intents delivered by recoverDue() passes, against the "
                + "same sink's raw applyAll batches of the same size\n\n");
        out.append("| sink | primary | backlog | batch | drain s | drain/s | raw batch/s | drain ÷ raw |\n");
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (List<String> k : keys) {
            Optional<Measurement> drain = find(DRAIN, "drainBacklog", k);
            Optional<Measurement> raw = find(DRAIN, "rawBatchWrite", k);
            long backlog = Long.parseLong(k.get(2));
            Optional<Double> drainRate = drain.map(d -> backlog * 1e9 / d.meanNanos());
            Optional<Double> rawRate = raw.map(r -> backlog * 1e9 / r.meanNanos());
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |%n", k.get(0),
                    k.get(1).equals("memory") ? "in-memory store" : "MongoPrimaryStore", backlog, k.get(3),
                    drain.map(d -> String.format(Locale.ROOT, "%.2f", d.meanNanos() / 1e9)).orElse("–"),
                    drainRate.map(RatioReport::count).orElse("–"), rawRate.map(RatioReport::count).orElse("–"),
                    ratio(drainRate.flatMap(d -> rawRate.map(r -> d / r)))));
        }
        return out.toString();
    }

    /** @return the coordinator-cost table; empty when there were no cost results */
    public String costTable() {
        Optional<Measurement> direct = find(COST, "inMemoryDirect", null);
        Optional<Measurement> coordinator = find(COST, "coordinatorInMemory", null);
        Optional<Measurement> handOff = find(COST, "coordinatorInMemoryHandOff", null);
        if (direct.isEmpty() && coordinator.isEmpty() && handOff.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("\nThe coordinator's own cost: in-memory primary and sink, 1 thread\n\n");
        out.append("| path | µs per write | bytes allocated per write |\n| --- | ---: | ---: |\n");
        direct.ifPresent(d -> out.append(costRow("in-memory commit, then sink apply", d)));
        coordinator.ifPresent(c -> out.append(costRow("save through the coordinator (default: the sink bounds its calls)", c)));
        handOff.ifPresent(c -> out.append(costRow("save through the coordinator, clientEnforcesTimeout(false)", c)));
        direct.ifPresent(d -> {
            coordinator.ifPresent(c -> out.append(shareRow("the coordinator's share (difference)", c, d)));
            handOff.ifPresent(c -> out.append(shareRow(
                    "the coordinator's share with a hand-off per call (difference)", c, d)));
        });
        find(COST, "threadHop", null).ifPresent(h -> out.append(costRow(
                "for scale: one hand-off to a pool thread and back (no work)", h)));
        return out.toString();
    }

    /** @return each target of the benchmark issue, met or missed, with the figure behind it */
    public String targets() {
        List<String> lines = new ArrayList<>();
        for (Measurement c : all) {
            if (!c.benchmark().equals(WRITE) || !c.method().startsWith("coordinatorOneSink")) {
                continue;
            }
            String row = c.method().endsWith("ClientTimeout") ? "(c')" : "(c)";
            Optional<Measurement> naive = write("naiveDualWrite", c.param("flow"), c.param("sink"), c.threads());
            if (naive.isEmpty()) {
                continue;
            }
            Measurement n = naive.get();
            String where = "sink " + c.param("sink") + ", " + c.param("flow") + ", " + c.threads() + " thread(s)";
            lines.add(check(row + " p50 ≤ " + TARGET_P50 + "× (b), " + where, c.p50Nanos() / n.p50Nanos(), TARGET_P50, true));
            lines.add(check(row + " p99 ≤ " + TARGET_P99 + "× (b), " + where, c.p99Nanos() / n.p99Nanos(), TARGET_P99, true));
            if (c.threads() >= 8) {
                lines.add(check(row + " writes/s ≥ " + TARGET_THROUGHPUT + "× (b), " + where,
                        c.opsPerSecond() / n.opsPerSecond(), TARGET_THROUGHPUT, false));
            }
        }
        for (Measurement d : all) {
            if (d.benchmark().equals(DRAIN) && d.method().equals("drainBacklog")) {
                find(DRAIN, "rawBatchWrite", List.of(d.param("sink"), d.param("primary"), d.param("backlog"),
                        d.param("batch"))).ifPresent(r -> lines.add(check("drain ≥ " + TARGET_DRAIN + "× raw batch, sink "
                        + d.param("sink") + ", " + d.param("primary") + ", batch " + d.param("batch"), r.meanNanos() / d.meanNanos(), TARGET_DRAIN, false)));
            }
        }
        Optional<Measurement> direct = find(COST, "inMemoryDirect", null);
        find(COST, "coordinatorInMemory", null).ifPresent(c -> lines.add(check("coordinator's own time ≤ "
                + TARGET_COST_MICROS + " µs per write, default settings",
                (c.meanNanos() - direct.map(Measurement::meanNanos).orElse(0.0)) / 1e3, TARGET_COST_MICROS, true)));
        if (lines.isEmpty()) {
            return "";
        }
        return "\nTargets\n\n" + String.join("\n", lines) + "\n";
    }

    /** @return every table and the targets */
    public String render() {
        return writeTables() + drainTable() + costTable() + targets();
    }

    private static String check(String what, double value, double limit, boolean atMost) {
        boolean met = atMost ? value <= limit : value >= limit;
        return String.format(Locale.ROOT, "- %s: %s (%.2f)", what, met ? "met" : "MISSED", value);
    }

    private Optional<Measurement> write(String method, String flow, String sink, int threads) {
        return all.stream().filter(m -> m.benchmark().equals(WRITE) && m.method().equals(method)
                && m.param("flow").equals(flow) && m.param("sink").equals(sink) && m.threads() == threads).findFirst();
    }

    private Optional<Measurement> find(String benchmark, String method, List<String> drainKey) {
        return all.stream().filter(m -> m.benchmark().equals(benchmark) && m.method().equals(method)
                && (drainKey == null || drainKey.equals(List.of(m.param("sink"), m.param("primary"),
                m.param("backlog"), m.param("batch"))))).findFirst();
    }

    private static String costRow(String label, Measurement m) {
        return String.format(Locale.ROOT, "| %s | %.2f | %s |%n", label, m.meanNanos() / 1e3, bytes(m.allocBytes()));
    }

    private static String shareRow(String label, Measurement coordinator, Measurement direct) {
        return String.format(Locale.ROOT, "| %s | %.2f | %s |%n", label,
                (coordinator.meanNanos() - direct.meanNanos()) / 1e3,
                bytes(coordinator.allocBytes() - direct.allocBytes()));
    }

    private static String micros(double nanos) {
        double us = nanos / 1e3;
        return String.format(Locale.ROOT, us >= 100 ? "%.0f" : "%.1f", us);
    }

    private static String count(double perSecond) {
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }

    private static String commands(Measurement m) {
        if (Double.isNaN(m.callerCommands()) && Double.isNaN(m.allCommands())) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f / %.2f", m.callerCommands(), m.allCommands());
    }

    private static String bytes(double b) {
        return Double.isNaN(b) ? "–" : String.format(Locale.ROOT, "%.0f", b);
    }

    private static String ratio(Optional<Double> r) {
        return r.map(v -> String.format(Locale.ROOT, "%.2f", v)).orElse("–");
    }
}
