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
import io.dualwrite.RecoveryReport;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.internal.AdjustableClock;
import io.dualwrite.testkit.sink.MongoVersionedSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Chaos with real process death: child JVMs running {@link KillableWriter} write through a
 * {@link io.dualwrite.DualWriter coordinator} built by a {@link ChaosWiring} over shared durable stores and are
 * killed with SIGKILL at seeded random moments, several times; then a fresh coordinator in this
 * JVM runs recovery until nothing is pending, and the run checks the promises: zero lost, zero
 * phantom, zero divergent ({@link Convergence}), no version applied twice (for
 * {@link MongoVersionedSink}s, which record their effects durably), nothing pending, every dead
 * letter with a reason.
 *
 * <pre>{@code
 * try (InJvmMongo mongo = InJvmMongo.start()) {
 *     ProcessChaos.builder(MongoWiring.class, mongo.connectionString())
 *             .kills(3).seed(42).build()
 *             .run()
 *             .assertPromisesKept();
 * }
 * }</pre>
 *
 * The recovering coordinator's clock runs {@link Builder#clockAhead(Duration)} ahead, so every
 * intent the children left is due and every lease they held has expired: keep the wiring's grace
 * period and lease below it. Thread-safe for one run at a time.

 */
public final class ProcessChaos {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessChaos.class);

    /** Default clock advance of the recovering coordinator. */
    public static final Duration DEFAULT_CLOCK_AHEAD = Duration.ofHours(1);

    private final Class<? extends ChaosWiring> wiring;
    private final String uri;
    private final ProcessKiller killer;
    private final long seed;
    private final Duration clockAhead;
    private final Duration convergeTimeout;

    private ProcessChaos(Builder b) {
        this.wiring = b.wiring;
        this.uri = b.uri;
        this.seed = b.seed;
        this.clockAhead = b.clockAhead;
        this.convergeTimeout = b.convergeTimeout;
        this.killer = b.killer.args(b.wiring.getName(), b.uri, Long.toString(b.seed), Integer.toString(b.entities),
                Integer.toString(b.threads)).build();
    }

    /**
     * @param wiring builds the system in each child and in the parent; needs a public no-argument constructor
     * @param uri    where the shared durable stores live
     * @return a builder
     */
    public static Builder builder(Class<? extends ChaosWiring> wiring, String uri) {
        return new Builder(wiring, uri);
    }

    /**
     * Kills the children, recovers, checks.
     *
     * @return the verdict; call {@link Report#assertPromisesKept()} to fail a test
     * @throws ChaosRunAbortedException if a child cannot be started, the calling thread is interrupted (its
     *                                  interrupt flag stays set; the running child is killed), or the wiring
     *                                  fails in this JVM with a checked exception (an unchecked one comes out as
     *                                  it is)
     * @throws IllegalStateException    if a child never gets ready (its output is in the message)
     */
    public Report run() {
        ProcessKiller.Report kills;
        try {
            kills = killer.run();
        } catch (IOException e) {
            throw new ChaosRunAbortedException("a child JVM could not be started", seed, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChaosRunAbortedException("interrupted while the child JVMs ran", seed, e);
        }
        AdjustableClock clock = new AdjustableClock();
        clock.advance(clockAhead);
        Workload work = new Workload();
        RecoveryReport recovery;
        Duration converge;
        long backlog;
        long start = System.nanoTime();
        ConvergenceReport convergence;
        List<String> violations = new ArrayList<>();
        try (ChaosWiring.Wired wired = newWiring().create(uri, clock)) {
            recovery = work.recoverUntilQuiet(wired.writer(), clock, convergeTimeout, Duration.ofSeconds(1));
            converge = Duration.ofNanos(System.nanoTime() - start);
            backlog = wired.writer().operations().backlog();
            convergence = Convergence.<TestItem>check().primary(wired.primary()).sinks(wired.sinks())
                    .deadLetters(wired.deadLetters()).entityType(wired.writer().entityType()).report();
            for (Map.Entry<String, ReconcilableSink<TestItem>> e : wired.sinks().entrySet()) {
                if (e.getValue() instanceof MongoVersionedSink) {
                    for (String r : ((MongoVersionedSink<TestItem>) e.getValue()).repeatedEffects()) {
                        violations.add(e.getKey() + ": " + r + " changed the destination more than once");
                    }
                }
            }
            for (DeadLetter d : wired.deadLetters().list(DeadLetterQuery.builder().limit(Integer.MAX_VALUE).build())) {
                if (d.lastError() == null || d.lastError().isBlank()) {
                    violations.add("dead letter " + d.id() + " has no reason");
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new ChaosRunAbortedException("the wiring " + wiring.getName() + " failed in this JVM", seed, e);
        }
        if (kills.killed() < kills.rounds().size()) {
            for (ProcessKiller.Round r : kills.rounds()) {
                if (!r.killed()) {
                    violations.add("child " + r.pid() + " ended by itself (exit code " + r.exitCode() + ") before its kill:\n"
                            + String.join("\n", r.outputTail()));
                }
            }
        }
        if (!convergence.converged()) {
            violations.add(0, "sinks differ from the primary after recovery:\n" + convergence);
        }
        if (backlog > 0) {
            violations.add(backlog + " entities still pending " + convergeTimeout.toMillis() + " ms into recovery");
        }
        if (work.errorCount.get() > 0) {
            violations.add(work.errorCount.get() + " recovery pass(es) threw: " + work.errors);
        }
        Report report = new Report(seed, kills, recovery, backlog, converge, convergence, violations);
        LOG.info("{}", report);
        return report;
    }

    private ChaosWiring newWiring() {
        try {
            return wiring.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new ChaosRunAbortedException(wiring.getName() + " cannot be made: a wiring needs a public"
                    + " no-argument constructor", seed, e);
        }
    }

    /** The verdict of a {@link ProcessChaos} run. Immutable. */
    public static final class Report extends Verdict {
        private final ProcessKiller.Report kills;
        private final RecoveryReport recovery;
        private final long backlog;
        private final Duration timeToConverge;
        private final ConvergenceReport convergence;

        Report(long seed, ProcessKiller.Report kills, RecoveryReport recovery, long backlog, Duration timeToConverge,
               ConvergenceReport convergence, List<String> violations) {
            super("process chaos", seed, violations);
            this.kills = kills;
            this.recovery = recovery;
            this.backlog = backlog;
            this.timeToConverge = timeToConverge;
            this.convergence = convergence;
        }

        /** @return the kills */
        public ProcessKiller.Report kills() {
            return kills;
        }

        /** @return the fresh coordinator's recovery figures */
        public RecoveryReport recovery() {
            return recovery;
        }

        /** @return entities still pending after recovery */
        public long backlog() {
            return backlog;
        }

        /** @return how long the fresh coordinator's recovery took, from its construction until nothing was pending */
        public Duration timeToConverge() {
            return timeToConverge;
        }

        /** @return the primary-versus-sinks comparison after recovery */
        public ConvergenceReport convergence() {
            return convergence;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(kills.toString());
            sb.append(String.format("%n  recovery in a fresh process: claimed=%d delivered=%d deferred=%d dead-lettered=%d,"
                            + " backlog after=%d, time to converge=%d ms", recovery.claimed(), recovery.delivered(),
                    recovery.deferred(), recovery.deadLettered(), backlog, timeToConverge.toMillis()));
            sb.append("\n  ").append(convergence.summary());
            for (String v : violations()) {
                sb.append("\n  VIOLATION (seed ").append(seed()).append("): ").append(v.replace("\n", "\n    "));
            }
            return sb.toString();
        }
    }

    /** Builds a {@link ProcessChaos}. Not thread-safe. */
    public static final class Builder {
        private final Class<? extends ChaosWiring> wiring;
        private final String uri;
        private final ProcessKiller.Builder killer = ProcessKiller.builder(KillableWriter.class.getName())
                .readyLine(KillableWriter.READY);
        private long seed = 1L;
        private int entities = 20;
        private int threads = 3;
        private Duration clockAhead = DEFAULT_CLOCK_AHEAD;
        private Duration convergeTimeout = Duration.ofSeconds(60);
        private boolean built;

        private Builder(Class<? extends ChaosWiring> wiring, String uri) {
            this.wiring = Objects.requireNonNull(wiring, "wiring");
            this.uri = Objects.requireNonNull(uri, "uri");
        }

        /**
         * @param kills children to start and kill, at least 1; default 3
         * @return this
         */
        public Builder kills(int kills) {
            killer.kills(kills);
            return this;
        }

        /**
         * @param min shortest life of a child once it writes; default 100 ms
         * @param max longest life; default 600 ms
         * @return this
         */
        public Builder aliveFor(Duration min, Duration max) {
            killer.aliveFor(min, max);
            return this;
        }

        /**
         * @param seed seed of the kill moments and the children's operations; default 1
         * @return this
         */
        public Builder seed(long seed) {
            this.seed = seed;
            killer.seed(seed);
            return this;
        }

        /**
         * @param entities distinct ids the children write, at least 1; default 20
         * @return this
         */
        public Builder entities(int entities) {
            this.entities = Args.atLeast(entities, 1, "entities");
            return this;
        }

        /**
         * @param threads writer threads per child, at least 1; default 3
         * @return this
         */
        public Builder threads(int threads) {
            this.threads = Args.atLeast(threads, 1, "threads");
            return this;
        }

        /**
         * @param ahead how far the recovering coordinator's clock runs ahead, positive; default 1 h
         * @return this
         */
        public Builder clockAhead(Duration ahead) {
            this.clockAhead = Args.positive(ahead, "clockAhead");
            return this;
        }

        /**
         * @param timeout longest recovery in the parent, positive; default 60 s
         * @return this
         */
        public Builder convergeTimeout(Duration timeout) {
            this.convergeTimeout = Args.positive(timeout, "convergeTimeout");
            return this;
        }

        /**
         * @param options the children's JVM options; default {@link ChildJvm#DEFAULT_JVM_OPTIONS}
         * @return this
         */
        public Builder jvmOptions(String... options) {
            killer.jvmOptions(options);
            return this;
        }

        /**
         * @return the run
         * @throws IllegalStateException when called a second time (the children's arguments are fixed here)
         */
        public ProcessChaos build() {
            if (built) {
                throw new IllegalStateException("a ProcessChaos builder builds once");
            }
            built = true;
            return new ProcessChaos(this);
        }
    }
}
