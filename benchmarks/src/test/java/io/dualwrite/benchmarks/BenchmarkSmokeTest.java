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

import io.dualwrite.WriteResult;
import io.dualwrite.spi.ApplyResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every benchmark method a few times on tiny data, without JMH, so that a broken benchmark
 * shows up in the build and not an hour into a benchmark run. Needs the Redis at
 * 127.0.0.1:6379 (or {@value BenchmarkServers#REDIS_ADDRESS_VARIABLE}); MongoDB is the in-JVM
 * server unless {@value BenchmarkServers#MONGO_URI_VARIABLE} is set.
 */
class BenchmarkSmokeTest {
    private static final List<String> WRITE_METHODS = List.of("rawPrimary", "naiveDualWrite",
            "naiveDualWriteThreeSinks", "coordinatorOneSink", "coordinatorThreeSinks", "writeAhead",
            "coordinatorOneSinkClientTimeout", "coordinatorThreeSinksClientTimeout", "writeAheadClientTimeout",
            "writeAheadReturning");

    @Test
    void everyWriteBenchmarkWritesInBothFlowsToTheRealRedis() throws Exception {
        for (String flow : List.of("blind", "rmw", "new")) {
            for (String method : WRITE_METHODS) {
                WriteBenchmark b = new WriteBenchmark();
                b.sink = "redis";
                b.flow = flow;
                b.idsPerThread = 2;
                b.open(method);
                try {
                    WriteBenchmark.Caller caller = new WriteBenchmark.Caller();
                    caller.setUp();
                    for (int i = 0; i < 3; i++) {
                        Object result = call(b, method, caller);
                        assertNotNull(result, method + " (" + flow + ") returns what it wrote");
                        if (result instanceof ApplyResult r) {
                            assertEquals(ApplyResult.APPLIED, r, method + " (" + flow + "): Redis applies each new version");
                        }
                        if (result instanceof WriteResult r) {
                            assertTrue(r.fullyApplied(), method + " (" + flow + "): every sink took the write, " + r);
                        }
                    }
                } finally {
                    b.tearDown();
                }
            }
        }
    }

    @Test
    void theWriteRowsCountTheCommandsEachWriteSends() throws Exception {
        // the caller's path of each row, as CommandCountTest pins it for the stores: the naive write is one command
        // (two with its read), a save of a known entity one (two with writer.read), saveWith around a void update four,
        // saveReturning three, each one more for a new id (the read of what code outside the store may have written)
        Map<String, Double> blind = Map.of("rawPrimary", 1.0, "naiveDualWrite", 1.0, "coordinatorOneSink", 1.0,
                "writeAhead", 4.0, "writeAheadReturning", 3.0);
        Map<String, Double> created = Map.of("rawPrimary", 1.0, "naiveDualWrite", 1.0, "coordinatorOneSink", 1.0,
                "writeAhead", 5.0, "writeAheadReturning", 4.0);
        for (String flow : List.of("blind", "rmw", "new")) {
            for (Map.Entry<String, Double> row : blind.entrySet()) {
                String method = row.getKey();
                double expected = flow.equals("new") ? created.get(method)
                        : row.getValue() + (flow.equals("rmw") ? 1 : 0);
                WriteBenchmark b = new WriteBenchmark();
                b.sink = "sim-0ms";
                b.flow = flow;
                b.idsPerThread = 2;
                b.open(method);
                WriteBenchmark.Caller caller = new WriteBenchmark.Caller();
                caller.setUp();
                for (int i = 0; i < 4; i++) {
                    call(b, method, caller); // every entity written through this row once
                }
                CommandCounter.reset();
                try {
                    for (int i = 0; i < 40; i++) {
                        call(b, method, caller);
                    }
                    assertEquals(expected, CommandCounter.callerPerOperation(), 1e-9,
                            method + " (" + flow + "): MongoDB commands on the caller's path per write");
                } finally {
                    b.tearDown(); // flushes the acknowledgements
                }
                assertTrue(CommandCounter.allPerOperation() >= expected,
                        method + " (" + flow + "): all commands include the caller's, " + CommandCounter.allPerOperation());
            }
        }
    }

    @Test
    void theSimulatedSinkWaitsItsRoundTripAndKeepsVersionsMonotonic() throws Exception {
        for (String method : List.of("coordinatorOneSink", "coordinatorOneSinkClientTimeout")) {
            WriteBenchmark b = new WriteBenchmark();
            b.sink = "sim-1ms";
            b.flow = "rmw";
            b.idsPerThread = 2;
            b.open(method);
            try {
                WriteBenchmark.Caller caller = new WriteBenchmark.Caller();
                caller.setUp();
                long start = System.nanoTime();
                WriteResult r = (WriteResult) call(b, method, caller);
                assertTrue(System.nanoTime() - start >= 1_000_000, method + ": a save waits at least the sink's 1 ms round trip");
                assertTrue(r.fullyApplied(), method + ": the simulated sink took the write: " + r);
            } finally {
                b.tearDown();
            }
        }
        SimulatedSink<Item> sink = new SimulatedSink<>(java.time.Duration.ZERO);
        Item item = new Item("x", "x", 1);
        assertEquals(ApplyResult.APPLIED, sink.apply(BenchmarkSinks.changeOf(item, 5)), "a new version applies");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(BenchmarkSinks.changeOf(item, 4)), "an older one does not");
        assertEquals(5, sink.versionOf("x"), "the sink keeps the newest version");
    }

    @Test
    void theDrainDeliversTheWholeBacklogAndTheRawBatchWritesAsMany() {
        for (String sink : List.of("redis", "sim-0ms")) {
            for (String method : List.of("drainBacklog", "rawBatchWrite")) {
                DrainBenchmark b = new DrainBenchmark();
                b.backlog = 250;
                b.batch = 100;
                b.sink = sink;
                b.primary = "memory";
                b.open(method);
                try {
                    b.prepare();
                    if (method.equals("drainBacklog")) {
                        assertEquals(250, b.pending(), "the backlog is built before the measurement");
                        assertEquals(250, b.drainBacklog(), "recovery delivers every pending intent to " + sink);
                    } else {
                        assertEquals(250, b.rawBatchWrite(), "the raw batches apply every change to " + sink);
                    }
                    b.finish();
                } finally {
                    b.tearDown();
                }
            }
        }
    }

    @Test
    void theCoordinatorCostBenchmarksWriteThroughTheInMemoryStoreAndSink() throws Exception {
        CoordinatorCostBenchmark b = new CoordinatorCostBenchmark();
        b.setUp();
        try {
            CoordinatorCostBenchmark.Cursor c = new CoordinatorCostBenchmark.Cursor();
            assertEquals(ApplyResult.APPLIED, b.inMemoryDirect(c), "the direct write reaches the sink");
            assertTrue(b.coordinatorInMemory(c).fullyApplied(), "the coordinator's write reaches the sink");
            assertEquals(2, b.sink().liveVersions().size(), "two entities written");
            assertTrue(b.coordinatorInMemoryHandOff(c).fullyApplied(),
                    "the clientEnforcesTimeout writer's write reaches its sink");
            assertEquals(1, b.handOffSink().liveVersions().size(), "its own sink holds its one entity");
            assertEquals(c.next + 1, b.threadHop(c), "the hop returns the other thread's answer");
        } finally {
            b.tearDown();
        }
    }

    @Test
    void theAnnotationProcessorListedEveryBenchmark() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "JMH's generated META-INF/BenchmarkList is on the classpath");
            String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String m : WRITE_METHODS) {
                assertTrue(list.contains("WriteBenchmark_" + m + "_jmhTest"), "JMH knows WriteBenchmark." + m);
            }
            for (String m : List.of("DrainBenchmark_drainBacklog", "DrainBenchmark_rawBatchWrite",
                    "CoordinatorCostBenchmark_inMemoryDirect", "CoordinatorCostBenchmark_coordinatorInMemory",
                    "CoordinatorCostBenchmark_threadHop", "CoordinatorCostBenchmark_coordinatorInMemoryHandOff")) {
                assertTrue(list.contains(m + "_jmhTest"), "JMH knows " + m);
            }
        }
    }

    private static Object call(WriteBenchmark b, String method, WriteBenchmark.Caller c) throws Exception {
        return switch (method) {
            case "rawPrimary" -> b.rawPrimary(c);
            case "naiveDualWrite" -> b.naiveDualWrite(c);
            case "naiveDualWriteThreeSinks" -> b.naiveDualWriteThreeSinks(c);
            case "coordinatorOneSink" -> b.coordinatorOneSink(c);
            case "coordinatorThreeSinks" -> b.coordinatorThreeSinks(c);
            case "writeAhead" -> b.writeAhead(c);
            case "coordinatorOneSinkClientTimeout" -> b.coordinatorOneSinkClientTimeout(c);
            case "coordinatorThreeSinksClientTimeout" -> b.coordinatorThreeSinksClientTimeout(c);
            case "writeAheadClientTimeout" -> b.writeAheadClientTimeout(c);
            case "writeAheadReturning" -> b.writeAheadReturning(c);
            default -> throw new IllegalArgumentException(method);
        };
    }
}
