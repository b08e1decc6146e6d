/**
 * JMH benchmarks of dualwrite, run by {@link io.dualwrite.benchmarks.BenchmarkMain}: a write
 * through the coordinator against the raw primary write and the naive unsafe dual write
 * ({@link io.dualwrite.benchmarks.WriteBenchmark}), the recovery drain against the sink's raw batch
 * rate ({@link io.dualwrite.benchmarks.DrainBenchmark}), and the coordinator's own cost per write
 * ({@link io.dualwrite.benchmarks.CoordinatorCostBenchmark}). Not published; see docs/performance.md.
 */
package io.dualwrite.benchmarks;
