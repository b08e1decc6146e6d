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
package io.dualwrite.testkit.chaos;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.internal.Args;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.RecordingSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.fault.Fault;
import io.dualwrite.testkit.fault.FaultySink;
import io.dualwrite.testkit.internal.AdjustableClock;
import io.dualwrite.testkit.internal.CommitLog;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A seeded chaos run of the coordinator: several threads save, update (read, then write with the
 * expected version) and delete a bounded set of {@link TestItem}s through a {@link DualWriter}
 * whose sinks are wrapped in {@link FaultySink}s (random failures, latency, timeouts, duplicates,
 * reordering, lost acknowledgements, a poisoned entity), while a recovery loop runs alongside.
 * Then the faults heal, recovery runs until nothing is pending, and the run checks the promises:
 * <ul>
 *   <li>zero lost: every sink holds the primary's latest version of every entity, or the entity
 *       is in the dead-letter store for that sink;</li>
 *   <li>zero phantom: no sink holds a version the primary never committed or one ahead of it;</li>
 *   <li>zero divergent: a sink at the primary's version holds the primary's state;</li>
 *   <li>exactly once in effect: no version changed a destination twice ({@link RecordingSink});</li>
 *   <li>nothing left pending, every dead letter has a reason, and the coordinator threw nothing
 *       unexpected (version conflicts of the updates, and compensations of REQUIRED sinks, are
 *       expected; any other exception from a write or a recovery pass is a violation).</li>
 * </ul>
 *
 * <pre>{@code
 * ChaosReport report = ChaosRunner.builder()
 *         .seed(42)
 *         .operations(5_000)
 *         .primary(() -> new MongoPrimaryStore<>(...))   // default: InMemoryPrimaryStore
 *         .build()
 *         .run();
 * System.out.println(report);
 * report.assertPromisesKept();
 * }</pre>
 *
 * <p>It never sleeps for a timer: backoffs are a few milliseconds, the grace period is zero, and
 * the coordinator's clock (also the circuit breakers' clock) is moved forward when recovery finds
 * nothing due. {@value #OPERATIONS_PROPERTY} overrides the number of operations (a soak) when
 * {@link Builder#operationsFromSystemProperty()} is used, and {@value #SEED_PROPERTY} the seed.
 * A runner can run several times; each run starts from a fresh primary and fresh sinks.
 * Thread-safe for one run at a time.
 */
public final class ChaosRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ChaosRunner.class);

    /** System property that sets the number of operations, for a soak ({@code -Ddualwrite.chaos.operations=1000000}). */
    public static final String OPERATIONS_PROPERTY = "dualwrite.chaos.operations";
    /** System property that sets the seed, to replay a failed run ({@code -Ddualwrite.chaos.seed=…}). */
    public static final String SEED_PROPERTY = "dualwrite.chaos.seed";
    /** The entity type of the run. */
    public static final String ENTITY_TYPE = "item";
    /** Default seed. */
    public static final long DEFAULT_SEED = 1L;
    /** Default writer threads. */
    public static final int DEFAULT_THREADS = 4;
    /** Default operations. */
    public static final int DEFAULT_OPERATIONS = 2_000;
    /** Default number of distinct entities (a small set, so writes of one entity collide). */
    public static final int DEFAULT_ENTITIES = 40;
    /** Default entities poisoned at the first sink. */
    public static final int DEFAULT_POISONED = 1;
    /** Default time limit of one sink call; the timeout fault sleeps twice as long. */
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofMillis(40);
    /** Default recovery attempts before an intent is dead-lettered (high: healthy entities should converge). */
    public static final int DEFAULT_RECOVERY_MAX_ATTEMPTS = 100;
    /** Default longest wall-clock time for recovery to leave nothing pending after the faults heal. */
    public static final Duration DEFAULT_CONVERGE_TIMEOUT = Duration.ofSeconds(60);
    /** Longest recovery backoff the runner configures; the clock jumps this far when nothing is due. */
    public static final Duration RECOVERY_MAX_BACKOFF = Duration.ofMillis(4);

    private final Builder b;

    private ChaosRunner(Builder b) {
        this.b = b;
    }

    /** @return a builder with every default: in-memory primary, three sinks, the default fault profile */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The fault profile used when none is set: per call 8% transient failures, 3% lost
     * acknowledgements, 5% duplicates, 5% reordering (held up to 5 ms), 5% latency up to 1 ms and
     * 0.2% timeouts (sleeping twice the attempt timeout).
     *
     * @param attemptTimeout the sinks' attempt timeout
     * @return the profile, applied to each sink's fault builder
     */
    public static BiConsumer<String, FaultySink.Builder<TestItem>> defaultFaults(Duration attemptTimeout) {
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        return (name, f) -> f.failProbability(0.08, ErrorKind.TRANSIENT)
                .applyThenThrow(0.03)
                .duplicate(0.05)
                .reorder(0.05, Duration.ofMillis(5))
                .latency(0.05, Duration.ofMillis(1))
                .timeout(0.002, attemptTimeout.multipliedBy(2));
    }

    /**
     * Runs once: chaos, heal, recovery, checks.
     *
     * @return the figures and the verdict; call {@link ChaosReport#assertPromisesKept()} to fail a test
     */
    public ChaosReport run() {
        long seed = b.seed;
        AdjustableClock clock = new AdjustableClock();
        PrimaryStore<TestItem> real = b.primary.get();
        CommitLog<TestItem> log = new CommitLog<>(real);
        PrimaryStore<TestItem> primary = b.primaryWrapper.apply(log);
        DeadLetterStore deadLetterStore = b.deadLetterStore.get();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<String> ids = Workload.ids(b.entities);
        CircuitBreakerConfig breaker = CircuitBreakerConfig.custom()
                .slidingWindowSize(40).minimumNumberOfCalls(40).failureRateThreshold(60)
                .waitDurationInOpenState(Duration.ofMillis(5)).permittedNumberOfCallsInHalfOpenState(4)
                .clock(clock).build();
        DualWriterBuilder<TestItem> wb = DualWriter.<TestItem>builder().entityType(ENTITY_TYPE).idOf(TestItem::id)
                .primary(primary).deadLetterStore(deadLetterStore).clock(clock).meterRegistry(meters)
                .gracePeriod(Duration.ZERO).recoveryBatchSize(64).lease(Duration.ofSeconds(10))
                .recoveryRetry(b.recoveryMaxAttempts, Duration.ofMillis(1), RECOVERY_MAX_BACKOFF)
                .acknowledgements(128, Duration.ofMillis(1)).workerId("chaos-" + seed);
        Map<String, ReconcilableSink<TestItem>> inner = new LinkedHashMap<>();
        Map<String, RecordingSink<TestItem>> recorders = new LinkedHashMap<>();
        Map<String, FaultySink<TestItem>> faulty = new LinkedHashMap<>();
        int n = 0;
        for (Map.Entry<String, DeliveryPolicy> s : b.sinks.entrySet()) {
            String name = s.getKey();
            ReconcilableSink<TestItem> sink = Objects.requireNonNull(b.sinkFactory.get(), "the sink factory returned null");
            RecordingSink<TestItem> recorder = new RecordingSink<>(sink);
            FaultySink.Builder<TestItem> fb = FaultySink.wrap(recorder).seed(seed * 1_000_003L + n);
            b.faults.accept(name, fb);
            if (n == 0) {
                fb.poison(ids.subList(0, Math.min(b.poisoned, ids.size())));
            }
            FaultySink<TestItem> f = fb.build();
            inner.put(name, sink);
            recorders.put(name, recorder);
            faulty.put(name, f);
            wb.sink(name, f, SinkSettings.builder().policy(s.getValue()).attemptTimeout(b.attemptTimeout)
                    .maxAttempts(3).backoff(Duration.ofMillis(1), 2.0, Duration.ofMillis(4)).jitter(0.5)
                    .circuitBreaker(breaker).build());
            n++;
        }
        LOG.info("chaos run seed={} threads={} operations={} entities={} sinks={}", seed, b.threads, b.operations,
                b.entities, faulty);

        Workload work = new Workload();
        RecoveryReport[] recovered = {new RecoveryReport(0, 0, 0, 0)};
        long chaosNanos;
        long convergeNanos;
        long backlog;
        DualWriter<TestItem> writer = wb.build();
        try {
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean writing = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<RecoveryReport> during = new AtomicReference<>(new RecoveryReport(0, 0, 0, 0));
            Thread recoverer = new Thread(() -> {
                while (writing.get()) {
                    try {
                        RecoveryReport r = writer.operations().recoverDue();
                        during.accumulateAndGet(r, RecoveryReport::plus);
                        if (r.claimed() == 0) {
                            LockSupport.parkNanos(200_000);
                        }
                    } catch (RuntimeException e) {
                        work.error("recovery pass threw " + e);
                    }
                }
            }, "chaos-recovery");
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < b.threads; t++) {
                Random random = new Random(seed * 7919L + t);
                workers.add(new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    int op;
                    while ((op = next.getAndIncrement()) < b.operations) {
                        work.step(writer, ids, random, op);
                    }
                }, "chaos-writer-" + t));
            }
            long start = System.nanoTime();
            if (b.recoverDuringChaos) {
                recoverer.start();
            }
            workers.forEach(Thread::start);
            go.countDown();
            for (Thread w : workers) {
                join(w);
            }
            writing.set(false);
            if (b.recoverDuringChaos) {
                join(recoverer);
            }
            chaosNanos = System.nanoTime() - start;
            recovered[0] = during.get();

            faulty.values().forEach(FaultySink::heal);
            long healedAt = System.nanoTime();
            recovered[0] = recovered[0].plus(work.recoverUntilQuiet(writer, clock, b.convergeTimeout,
                    RECOVERY_MAX_BACKOFF.plusMillis(1)));
            convergeNanos = System.nanoTime() - healedAt;
            writer.operations().flushAcknowledgements();
            backlog = writer.operations().backlog();
        } finally {
            writer.close();
        }

        ConvergenceReport convergence = Convergence.<TestItem>check().primary(real).deadLetters(deadLetterStore)
                .entityType(ENTITY_TYPE).committedVersions(log.committedVersions())
                .sinks(inner).report();
        List<String> violations = new ArrayList<>();
        if (!convergence.converged()) {
            violations.add("sinks differ from the primary:\n" + convergence);
        }
        List<String> repeated = new ArrayList<>();
        recorders.forEach((name, r) -> r.repeatedEffects().forEach(line -> repeated.add(name + ": " + line)));
        if (!repeated.isEmpty()) {
            violations.add(repeated.size() + " version(s) changed a destination more than once (not exactly once in"
                    + " effect):\n" + String.join("\n", repeated.subList(0, Math.min(50, repeated.size()))));
        }
        if (backlog > 0) {
            violations.add(backlog + " entities still have pending intents " + b.convergeTimeout.toMillis()
                    + " ms after the faults healed");
        }
        List<DeadLetter> letters = deadLetterStore.list(DeadLetterQuery.builder().limit(Integer.MAX_VALUE).build());
        for (DeadLetter d : letters) {
            if (d.lastError() == null || d.lastError().isBlank()) {
                violations.add("dead letter " + d.id() + " has no reason");
            }
        }
        if (work.errorCount.get() > 0) {
            violations.add(work.errorCount.get() + " unexpected exception(s) from the coordinator: " + work.errors);
        }
        Map<Fault, Long> faults = new EnumMap<>(Fault.class);
        for (FaultySink<TestItem> f : faulty.values()) {
            f.injectedByKind().forEach((k, v) -> faults.merge(k, v, Long::sum));
        }
        long retries = (long) meters.find(DualWriteMetrics.SINK_RETRIES).counters().stream()
                .mapToDouble(Counter::count).sum();
        meters.close();
        ChaosReport report = new ChaosReport(seed, b.threads, work.saves.get(), work.updates.get(),
                work.deletes.get(), work.conflicts.get(), work.compensations.get(), work.errors, work.errorCount.get(),
                faults, retries, recovered[0],
                letters.size(), backlog,
                Duration.ofNanos(chaosNanos), Duration.ofNanos(convergeNanos), convergence, repeated, violations);
        LOG.info("{}", report);
        return report;
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + t.getName(), e);
        }
    }

    /** Builds a {@link ChaosRunner}. Not thread-safe. */
    public static final class Builder {
        private long seed = DEFAULT_SEED;
        private int threads = DEFAULT_THREADS;
        private int operations = DEFAULT_OPERATIONS;
        private int entities = DEFAULT_ENTITIES;
        private int poisoned = DEFAULT_POISONED;
        private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
        private int recoveryMaxAttempts = DEFAULT_RECOVERY_MAX_ATTEMPTS;
        private Duration convergeTimeout = DEFAULT_CONVERGE_TIMEOUT;
        private boolean recoverDuringChaos = true;
        private Supplier<PrimaryStore<TestItem>> primary = InMemoryPrimaryStore::new;
        private UnaryOperator<PrimaryStore<TestItem>> primaryWrapper = UnaryOperator.identity();
        private Supplier<DeadLetterStore> deadLetterStore = InMemoryDeadLetterStore::new;
        private Supplier<ReconcilableSink<TestItem>> sinkFactory = InMemorySink::new;
        private BiConsumer<String, FaultySink.Builder<TestItem>> faults;
        private final Map<String, DeliveryPolicy> sinks = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * @param seed the seed of every random choice (operations and faults); default 1
         * @return this
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param threads writer threads, at least 1; default 4
         * @return this
         */
        public Builder threads(int threads) {
            this.threads = Args.atLeast(threads, 1, "threads");
            return this;
        }

        /**
         * @param operations saves, updates and deletes in total, at least 1; default 2000
         * @return this
         */
        public Builder operations(int operations) {
            this.operations = Args.atLeast(operations, 1, "operations");
            return this;
        }

        /**
         * Reads {@value ChaosRunner#OPERATIONS_PROPERTY} and {@value ChaosRunner#SEED_PROPERTY}
         * where set, overriding what was set before.
         *
         * @return this
         * @throws IllegalArgumentException if a property is not a number
         */
        public Builder operationsFromSystemProperty() {
            String ops = System.getProperty(OPERATIONS_PROPERTY);
            if (ops != null && !ops.isBlank()) {
                operations(Integer.parseInt(ops.trim()));
            }
            String s = System.getProperty(SEED_PROPERTY);
            if (s != null && !s.isBlank()) {
                seed(Long.parseLong(s.trim()));
            }
            return this;
        }

        /**
         * @param entities distinct entity ids written, at least 1; default 40
         * @return this
         */
        public Builder entities(int entities) {
            this.entities = Args.atLeast(entities, 1, "entities");
            return this;
        }

        /**
         * @param poisoned entities the first sink rejects permanently, at least 0; default 1
         * @return this
         */
        public Builder poisoned(int poisoned) {
            this.poisoned = Args.atLeast(poisoned, 0, "poisoned");
            return this;
        }

        /**
         * @param primary makes the primary store of a run (an in-memory one, or a MongoDB adapter on a
         *                fresh collection); default {@link InMemoryPrimaryStore}
         * @return this
         */
        public Builder primary(Supplier<PrimaryStore<TestItem>> primary) {
            this.primary = Objects.requireNonNull(primary, "primary");
            return this;
        }

        /**
         * @param wrapper wraps the primary store the coordinator sees, to swap in a deliberately
         *                broken piece; the checks still read the real store. Default none.
         * @return this
         */
        public Builder primaryWrapper(UnaryOperator<PrimaryStore<TestItem>> wrapper) {
            this.primaryWrapper = Objects.requireNonNull(wrapper, "wrapper");
            return this;
        }

        /**
         * @param store makes the dead-letter store of a run; default {@link InMemoryDeadLetterStore}
         * @return this
         */
        public Builder deadLetterStore(Supplier<DeadLetterStore> store) {
            this.deadLetterStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * @param factory makes each sink's real destination (called once per sink and run); default
         *                {@link InMemorySink}, whose states are compared as well as versions
         * @return this
         */
        public Builder sinkFactory(Supplier<ReconcilableSink<TestItem>> factory) {
            this.sinkFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Adds a sink. Default when none is added: {@code search} SYNC, {@code cache} SYNC,
         * {@code analytics} ASYNC.
         *
         * @param name   its name
         * @param policy its delivery policy (SYNC or ASYNC; REQUIRED compensates, which the run allows)
         * @return this
         */
        public Builder sink(String name, DeliveryPolicy policy) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(policy, "policy");
            if (policy == DeliveryPolicy.SHADOW) {
                throw new IllegalArgumentException("a SHADOW sink receives nothing and cannot converge");
            }
            if (sinks.putIfAbsent(name, policy) != null) {
                throw new IllegalArgumentException("sink '" + name + "' is already added");
            }
            return this;
        }

        /**
         * @param faults configures each sink's fault wrapper (the sink's name and its builder; the
         *               seed is already set); default {@link ChaosRunner#defaultFaults(Duration)}
         * @return this
         */
        public Builder faults(BiConsumer<String, FaultySink.Builder<TestItem>> faults) {
            this.faults = Objects.requireNonNull(faults, "faults");
            return this;
        }

        /**
         * @param timeout time limit of one sink call, positive; default 40 ms
         * @return this
         */
        public Builder attemptTimeout(Duration timeout) {
            this.attemptTimeout = Args.positive(timeout, "attemptTimeout");
            return this;
        }

        /**
         * @param attempts recovery attempts before dead-lettering, at least 1; default 100
         * @return this
         */
        public Builder recoveryMaxAttempts(int attempts) {
            this.recoveryMaxAttempts = Args.atLeast(attempts, 1, "recoveryMaxAttempts");
            return this;
        }

        /**
         * @param timeout longest wall time for recovery after healing, positive; default 60 s
         * @return this
         */
        public Builder convergeTimeout(Duration timeout) {
            this.convergeTimeout = Args.positive(timeout, "convergeTimeout");
            return this;
        }

        /**
         * @param recover whether a recovery loop races with the writers during the faults; default true
         * @return this
         */
        public Builder recoverDuringChaos(boolean recover) {
            this.recoverDuringChaos = recover;
            return this;
        }

        /** @return the runner */
        public ChaosRunner build() {
            Builder copy = new Builder();
            copy.seed = seed;
            copy.threads = threads;
            copy.operations = operations;
            copy.entities = entities;
            copy.poisoned = poisoned;
            copy.attemptTimeout = attemptTimeout;
            copy.recoveryMaxAttempts = recoveryMaxAttempts;
            copy.convergeTimeout = convergeTimeout;
            copy.recoverDuringChaos = recoverDuringChaos;
            copy.primary = primary;
            copy.primaryWrapper = primaryWrapper;
            copy.deadLetterStore = deadLetterStore;
            copy.sinkFactory = sinkFactory;
            copy.faults = faults != null ? faults : defaultFaults(attemptTimeout);
            if (sinks.isEmpty()) {
                copy.sinks.put("search", DeliveryPolicy.SYNC);
                copy.sinks.put("cache", DeliveryPolicy.SYNC);
                copy.sinks.put("analytics", DeliveryPolicy.ASYNC);
            } else {
                copy.sinks.putAll(sinks);
            }
            return new ChaosRunner(copy);
        }
    }
}
