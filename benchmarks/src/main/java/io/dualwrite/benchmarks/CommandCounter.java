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

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the MongoDB commands a write benchmark sends per operation, so each row of a run carries
 * its commands per save beside its latencies: those sent by the benchmark's own threads (the
 * caller's path) and all of them (acknowledgements and recovery included). A command is counted
 * when the driver starts it ({@link CommandListener}), so the figures do not depend on the server.
 *
 * <p>One counter per JVM ({@link #LISTENER}, registered by {@link BenchmarkServers}); a JMH fork runs
 * one trial, so its figures are that trial's. As a JMH profiler it resets the counts before each
 * iteration and reports {@value #CALLER} and {@value #ALL} (commands per operation) after it.
 * Thread-safe.
 */
public final class CommandCounter implements InternalProfiler {
    /** Name of the secondary result: commands the benchmark's threads sent, per operation. */
    public static final String CALLER = "commands.caller";
    /** Name of the secondary result: every command sent while the iteration ran, per operation. */
    public static final String ALL = "commands.all";
    /** The listener every benchmark client carries. */
    public static final CommandListener LISTENER = new Listener();

    private static final LongAdder CALLER_COMMANDS = new LongAdder();
    private static final LongAdder ALL_COMMANDS = new LongAdder();
    private static final LongAdder OPERATIONS = new LongAdder();
    private static final ThreadLocal<Boolean> CALLER_THREAD = ThreadLocal.withInitial(() -> false);

    /** JMH instantiates the profiler by its class. */
    public CommandCounter() {
    }

    /** Marks the current thread as a benchmark thread: its commands are the caller's path. */
    public static void callerThread() {
        CALLER_THREAD.set(true);
    }

    /** Counts one benchmark operation (one save, or one raw or naive write). */
    public static void operation() {
        OPERATIONS.increment();
    }

    /** Sets every count to zero. */
    public static void reset() {
        CALLER_COMMANDS.reset();
        ALL_COMMANDS.reset();
        OPERATIONS.reset();
    }

    /** @return commands the benchmark threads sent per operation since the last reset; NaN before any operation */
    public static double callerPerOperation() {
        return perOperation(CALLER_COMMANDS.sum());
    }

    /** @return every command sent per operation since the last reset; NaN before any operation */
    public static double allPerOperation() {
        return perOperation(ALL_COMMANDS.sum());
    }

    private static double perOperation(long commands) {
        long ops = OPERATIONS.sum();
        return ops == 0 ? Double.NaN : (double) commands / ops;
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        reset();
    }

    @Override
    public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                    IterationResult result) {
        if (OPERATIONS.sum() == 0) {
            return List.of();
        }
        return List.of(new ScalarResult(CALLER, callerPerOperation(), "commands/op", AggregationPolicy.AVG),
                new ScalarResult(ALL, allPerOperation(), "commands/op", AggregationPolicy.AVG));
    }

    @Override
    public String getDescription() {
        return "MongoDB commands per operation: the benchmark threads' own, and all";
    }

    private static final class Listener implements CommandListener {
        @Override
        public void commandStarted(CommandStartedEvent event) {
            ALL_COMMANDS.increment();
            if (CALLER_THREAD.get()) {
                CALLER_COMMANDS.increment();
            }
        }
    }
}
