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

import java.util.Map;
import java.util.Objects;

/**
 * One benchmark result, in nanoseconds per operation, as {@link RatioReport} needs it. Immutable.
 *
 * @param benchmark   the benchmark class's simple name, e.g. {@code WriteBenchmark}
 * @param method      the benchmark method, e.g. {@code rawPrimary}
 * @param params      the JMH parameters of the run
 * @param threads     the benchmark threads
 * @param meanNanos   the mean time per operation
 * @param p50Nanos    the median (equal to the mean where the mode does not sample)
 * @param p99Nanos    the 99th percentile (equal to the mean where the mode does not sample)
 * @param allocBytes  bytes allocated per operation, or {@code NaN} when not profiled
 * @param callerCommands MongoDB commands the benchmark threads sent per operation, or {@code NaN} when not counted
 * @param allCommands    every MongoDB command sent per operation, or {@code NaN} when not counted
 */
public record Measurement(String benchmark, String method, Map<String, String> params, int threads,
                          double meanNanos, double p50Nanos, double p99Nanos, double allocBytes,
                          double callerCommands, double allCommands) {
    /** Checks and copies. */
    public Measurement {
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(method, "method");
        params = Map.copyOf(params);
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
    }

    /**
     * A measurement whose commands were not counted.
     *
     * @param benchmark  the benchmark class's simple name
     * @param method     the benchmark method
     * @param params     the JMH parameters of the run
     * @param threads    the benchmark threads
     * @param meanNanos  the mean time per operation
     * @param p50Nanos   the median
     * @param p99Nanos   the 99th percentile
     * @param allocBytes bytes allocated per operation, or {@code NaN} when not profiled
     */
    public Measurement(String benchmark, String method, Map<String, String> params, int threads,
                       double meanNanos, double p50Nanos, double p99Nanos, double allocBytes) {
        this(benchmark, method, params, threads, meanNanos, p50Nanos, p99Nanos, allocBytes, Double.NaN, Double.NaN);
    }

    /**
     * @param name a parameter's name
     * @return its value, or the empty string
     */
    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** @return operations per second over all threads, from the mean time of one (a closed loop) */
    public double opsPerSecond() {
        return threads * 1e9 / meanNanos;
    }
}
