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

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RatioReportTest {

    private static Measurement write(String method, int threads, double p50, double p99, double mean) {
        return new Measurement("WriteBenchmark", method, Map.of("sink", "redis", "flow", "blind"), threads,
                mean, p50, p99, Double.NaN);
    }

    @Test
    void comparesEachPathWithTheRawWriteAndTheNaiveWriteOfTheSameRun() {
        RatioReport report = new RatioReport(List.of(
                write("rawPrimary", 8, 100_000, 200_000, 100_000),
                write("naiveDualWrite", 8, 200_000, 400_000, 200_000),
                write("coordinatorOneSink", 8, 210_000, 480_000, 250_000)));
        String table = report.writeTables();
        assertTrue(table.contains("| (c) save, 1 SYNC sink | 8 | 210 | 480 | 32000 | 2.10 | 1.05 | 1.20 | 0.80 | – |"),
                "p50 ÷ raw 2.10, p50 ÷ naive 1.05, p99 ÷ naive 1.20, 8 threads / 250 µs = 32000/s, ÷ 40000/s = 0.80:\n"
                        + table);
        String targets = report.targets();
        assertTrue(targets.contains("p50 ≤ 1.05× (b), sink redis, blind, 8 thread(s): met (1.05)"), targets);
        assertTrue(targets.contains("p99 ≤ 1.15× (b), sink redis, blind, 8 thread(s): MISSED (1.20)"), targets);
        assertTrue(targets.contains("writes/s ≥ 0.95× (b), sink redis, blind, 8 thread(s): MISSED (0.80)"), targets);
    }

    @Test
    void eachWriteRowShowsTheCommandsItsWritesSent() {
        RatioReport report = new RatioReport(List.of(
                new Measurement("WriteBenchmark", "rawPrimary", Map.of("sink", "redis", "flow", "rmw"), 1,
                        100_000, 100_000, 200_000, Double.NaN, 2.0, 2.0),
                new Measurement("WriteBenchmark", "coordinatorOneSink", Map.of("sink", "redis", "flow", "rmw"), 1,
                        300_000, 300_000, 600_000, Double.NaN, 2.004, 2.0149)));
        String table = report.writeTables();
        assertTrue(table.contains("| MongoDB commands per write: caller's path / all |"), table);
        assertTrue(table.contains("| (a) raw primary write | 1 | 100 | 200 | 10000 | 1.00 | – | – | – | 2.00 / 2.00 |"), table);
        assertTrue(table.contains("| (c) save, 1 SYNC sink | 1 | 300 | 600 | 3333 | 3.00 | – | – | – | 2.00 / 2.01 |"), table);
    }

    @Test
    void theClientTimeoutRowsAreComparedWithTheNaiveWriteOfTheirOwnSinkCount() {
        RatioReport report = new RatioReport(List.of(
                write("naiveDualWrite", 1, 1_000_000, 2_000_000, 1_000_000),
                write("naiveDualWriteThreeSinks", 1, 3_000_000, 4_000_000, 3_000_000),
                write("coordinatorOneSinkClientTimeout", 1, 1_040_000, 2_400_000, 1_100_000),
                write("coordinatorThreeSinksClientTimeout", 1, 1_500_000, 2_000_000, 1_500_000)));
        String table = report.writeTables();
        assertTrue(table.contains("| (c') save, 1 SYNC sink, clientEnforcesTimeout | 1 | 1040 | 2400 | 909 | – | 1.04 | 1.20 | 0.91 | – |"),
                "(c') against (b): 1.04, 1.20, 909/s ÷ 1000/s:\n" + table);
        assertTrue(table.contains("| (c3') save, 3 SYNC sinks, clientEnforcesTimeout | 1 | 1500 | 2000 | 667 | – | 0.50 | 0.50 | 2.00 | – |"),
                "(c3') against (b3), the three sinks called in turn:\n" + table);
        String targets = report.targets();
        assertTrue(targets.contains("(c') p50 ≤ 1.05× (b), sink redis, blind, 1 thread(s): met (1.04)"), targets);
        assertTrue(targets.contains("(c') p99 ≤ 1.15× (b), sink redis, blind, 1 thread(s): MISSED (1.20)"), targets);
    }

    @Test
    void drainRateIsTheBacklogOverTheTimeAndComparedWithTheRawBatchRate() {
        Map<String, String> p = Map.of("sink", "redis", "primary", "memory", "backlog", "100000", "batch", "100");
        RatioReport report = new RatioReport(List.of(
                new Measurement("DrainBenchmark", "drainBacklog", p, 1, 4e9, 4e9, 4e9, Double.NaN),
                new Measurement("DrainBenchmark", "rawBatchWrite", p, 1, 2e9, 2e9, 2e9, Double.NaN)));
        String table = report.drainTable();
        assertTrue(table.contains("| redis | in-memory store | 100000 | 100 | 4.00 | 25000 | 50000 | 0.50 |"), table);
        assertTrue(report.targets().contains("drain ≥ 0.8× raw batch, sink redis, memory, batch 100: MISSED (0.50)"), report.targets());
    }

    @Test
    void theCoordinatorsShareIsTheDifferenceFromTheDirectWrite() {
        RatioReport report = new RatioReport(List.of(
                new Measurement("CoordinatorCostBenchmark", "inMemoryDirect", Map.of(), 1, 2_000, 2_000, 2_000, 500),
                new Measurement("CoordinatorCostBenchmark", "coordinatorInMemory", Map.of(), 1, 6_500, 6_500, 6_500, 4_500),
                new Measurement("CoordinatorCostBenchmark", "coordinatorInMemoryHandOff", Map.of(), 1, 30_000,
                        30_000, 30_000, 4_000)));
        assertTrue(report.costTable().contains("| the coordinator's share (difference) | 4.50 | 4000 |"), report.costTable());
        assertTrue(report.costTable().contains("| the coordinator's share with a hand-off per call (difference) | 28.00 | 3500 |"),
                report.costTable());
        assertTrue(report.targets().contains("coordinator's own time ≤ 5.0 µs per write, default settings: met (4.50)"),
                report.targets());
        RatioReport slow = new RatioReport(List.of(
                new Measurement("CoordinatorCostBenchmark", "inMemoryDirect", Map.of(), 1, 2_000, 2_000, 2_000, 500),
                new Measurement("CoordinatorCostBenchmark", "coordinatorInMemory", Map.of(), 1, 9_000, 9_000, 9_000, 4_500)));
        assertTrue(slow.targets().contains("coordinator's own time ≤ 5.0 µs per write, default settings: MISSED (7.00)"),
                slow.targets());
        assertEquals("", new RatioReport(List.of()).render(), "no results, no tables");
    }
}
