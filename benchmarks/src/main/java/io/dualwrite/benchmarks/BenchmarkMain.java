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

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs the benchmarks through JMH's {@link Runner} and prints the tables of ratios of this run.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar [quick] [write] [drain] [cost]
 * </pre>
 * With no group named, all three run. {@code quick} shortens warm-up and measurement (figures get
 * noisier). System properties (all optional): {@code bench.threads} (default {@code 1,8}),
 * {@code bench.sinks} ({@code sim-0ms,sim-1ms,redis}), {@code bench.flows} ({@code blind,rmw,new}),
 * {@code bench.methods} (write benchmark methods, default all),
 * {@code bench.backlog} ({@code 100000}), {@code bench.mongoBacklog} ({@code 2000}: the drain's backlog on
 * the in-JVM MongoDB), {@code bench.batch} ({@code 100,1000}),
 * {@code bench.drainSinks} ({@code redis,sim-1ms}), {@code bench.warmup},
 * {@code bench.iterations}, {@code bench.seconds} (per iteration), {@code bench.forks},
 * {@code bench.verbose} ({@code silent}, {@code normal}), {@code bench.out} (also write the tables
 * to this file). {@value BenchmarkServers#MONGO_URI_VARIABLE} names a real MongoDB; without it the
 * in-JVM server is used, and the recovery drain's MongoPrimaryStore rows use {@code bench.mongoBacklog}.
 */
public final class BenchmarkMain {

    private BenchmarkMain() {
    }

    /**
     * @param args groups to run and {@code quick}
     * @throws RunnerException when JMH fails
     * @throws IOException     when the tables cannot be written to {@code bench.out}
     */
    public static void main(String[] args) throws RunnerException, IOException {
        Set<String> words = new TreeSet<>(Arrays.asList(args));
        boolean quick = words.remove("quick");
        for (String w : words) {
            if (!Set.of("write", "drain", "cost").contains(w)) {
                throw new IllegalArgumentException("unknown argument '" + w + "': use quick, write, drain or cost");
            }
        }
        boolean all = words.isEmpty();
        Settings s = new Settings(quick);
        List<Measurement> results = new ArrayList<>();
        if (all || words.contains("write")) {
            for (int threads : s.threads) {
                results.addAll(run(s.base(WriteBenchmark.class, s.seconds, s.writeMethods).threads(threads)
                        .param("sink", s.sinks).param("flow", s.flows).addProfiler(CommandCounter.class)));
            }
        }
        if (all || words.contains("drain")) {
            // MongoPrimaryStore too: on a real MongoDB with the same backlog; on the in-JVM server, whose claim query
            // scans the whole collection, with a smaller one (the figures show that server's scans, not MongoDB)
            int mongoBacklog = BenchmarkServers.realMongo() ? s.backlog : s.mongoBacklog;
            for (String primary : new String[]{"memory", "mongo"}) {
                results.addAll(run(s.base(DrainBenchmark.class, 0, ".*").threads(1)
                        .warmupIterations(Math.min(1, s.warmup)).measurementIterations(s.iterations)
                        .param("sink", s.drainSinks).param("primary", primary)
                        .param("backlog", String.valueOf(primary.equals("mongo") ? mongoBacklog : s.backlog))
                        .param("batch", s.batch)));
            }
        }
        if (all || words.contains("cost")) {
            results.addAll(run(s.base(CoordinatorCostBenchmark.class, s.seconds, ".*").threads(1)
                    .addProfiler(GCProfiler.class)));
        }
        String report = header(s) + new RatioReport(results).render();
        System.out.println();
        System.out.println(report);
        String out = System.getProperty("bench.out");
        if (out != null && !out.isBlank()) {
            Files.writeString(Path.of(out), report, StandardCharsets.UTF_8);
        }
    }

    private static Collection<Measurement> run(ChainedOptionsBuilder options) throws RunnerException {
        List<Measurement> out = new ArrayList<>();
        for (RunResult r : new Runner(options.build()).run()) {
            out.add(measurement(r));
        }
        return out;
    }

    /**
     * @param r a JMH result
     * @return it in nanoseconds per operation
     */
    static Measurement measurement(RunResult r) {
        BenchmarkParams p = r.getParams();
        String full = p.getBenchmark();
        int dot = full.lastIndexOf('.');
        String benchmark = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
        Map<String, String> params = new LinkedHashMap<>();
        for (String key : p.getParamsKeys()) {
            params.put(key, p.getParam(key));
        }
        double toNanos = p.getTimeUnit().toNanos(1);
        Statistics st = r.getPrimaryResult().getStatistics();
        return new Measurement(benchmark, full.substring(dot + 1), params, p.getThreads(), st.getMean() * toNanos,
                st.getPercentile(50) * toNanos, st.getPercentile(99) * toNanos,
                secondary(r, "gc.alloc.rate.norm"), secondary(r, CommandCounter.CALLER), secondary(r, CommandCounter.ALL));
    }

    private static double secondary(RunResult r, String name) {
        Result<?> x = r.getSecondaryResults().get(name);
        return x == null ? Double.NaN : x.getScore();
    }

    private static String header(Settings s) {
        return String.format(Locale.ROOT, "dualwrite benchmarks, %s%n"
                        + "JDK %s (%s), %d cores available%n"
                        + "MongoDB: %s%n"
                        + "Recovery drain primary: %s%n"
                        + "Settings: %s%n",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                BenchmarkServers.mongoKind(),
                BenchmarkServers.realMongo() ? "the in-memory store and MongoPrimaryStore on the real MongoDB"
                        : "the in-memory store, and MongoPrimaryStore on the in-JVM server with a backlog of "
                        + s.mongoBacklog + " (that server scans the whole collection for the claim's due query: its"
                        + " figures measure those scans, not MongoDB)",
                s);
    }

    /** Run settings from system properties. */
    private static final class Settings {
        final int warmup;
        final int iterations;
        final int seconds;
        final int forks;
        final int[] threads;
        final String[] sinks;
        final String[] flows;
        final String writeMethods;
        final String[] drainSinks;
        final int backlog;
        final int mongoBacklog;
        final String[] batch;
        final VerboseMode verbose;

        Settings(boolean quick) {
            warmup = Integer.getInteger("bench.warmup", quick ? 1 : 3);
            iterations = Integer.getInteger("bench.iterations", quick ? 2 : 5);
            seconds = Integer.getInteger("bench.seconds", quick ? 1 : 3);
            forks = Integer.getInteger("bench.forks", 1);
            threads = Arrays.stream(list("bench.threads", "1,8")).mapToInt(Integer::parseInt).toArray();
            sinks = list("bench.sinks", "sim-0ms,sim-1ms,redis");
            flows = list("bench.flows", "blind,rmw,new");
            writeMethods = String.join("|", list("bench.methods", ".*"));
            drainSinks = list("bench.drainSinks", "redis,sim-1ms");
            backlog = Integer.getInteger("bench.backlog", 100_000);
            mongoBacklog = Integer.getInteger("bench.mongoBacklog", 2_000);
            batch = list("bench.batch", "100,1000");
            verbose = VerboseMode.valueOf(System.getProperty("bench.verbose", "normal").toUpperCase(Locale.ROOT));
        }

        private static String[] list(String property, String defaults) {
            return System.getProperty(property, defaults).split("\\s*,\\s*");
        }

        ChainedOptionsBuilder base(Class<?> benchmark, int iterationSeconds, String methods) {
            ChainedOptionsBuilder b = new OptionsBuilder()
                    .include("^" + benchmark.getName().replace(".", "\\.") + "\\.(" + methods + ")$")
                    .forks(forks).warmupIterations(warmup).measurementIterations(iterations)
                    .verbosity(verbose).shouldFailOnError(true)
                    .jvmArgsAppend(forwardedProperties());
            if (iterationSeconds > 0) {
                b.warmupTime(TimeValue.seconds(iterationSeconds)).measurementTime(TimeValue.seconds(iterationSeconds));
            }
            return b;
        }

        private static String[] forwardedProperties() {
            List<String> out = new ArrayList<>(List.of("-Xms1g", "-Xmx1g"));
            for (String name : List.of(BenchmarkServers.MONGO_URI_VARIABLE, BenchmarkServers.REDIS_ADDRESS_VARIABLE,
                    WriteBenchmark.DEFER_ACKS)) {
                String v = System.getProperty(name);
                if (v != null) {
                    out.add("-D" + name + "=" + v);
                }
            }
            return out.toArray(new String[0]);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d warm-up + %d measured iterations of %d s, %d fork(s); threads %s; "
                            + "sinks %s; flows %s; write methods %s; drain backlog %d in batches of %s to %s",
                    warmup, iterations, seconds, forks, Arrays.toString(threads), String.join(",", sinks),
                    String.join(",", flows), writeMethods.replace('|', ','), backlog, String.join(",", batch), String.join(",", drainSinks));
        }
    }
}
