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

import io.dualwrite.internal.Args;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Real process death: runs a writer in a child JVM (a main class the caller names, with the
 * current classpath) against a shared durable primary, kills it with SIGKILL at random moments,
 * several times, one child after another. Afterwards the caller runs recovery in a fresh writer
 * (in this JVM, or in a last child run to completion with {@link ChildJvm}) and checks the
 * promises, for example with {@link io.dualwrite.testkit.convergence.Convergence}.
 *
 * <pre>{@code
 * try (InJvmMongo mongo = InJvmMongo.start()) {
 *     ProcessKiller.Report kills = ProcessKiller.builder("com.example.KillableWriter")
 *             .args(mongo.connectionString(), "orders")
 *             .readyLine("READY")                     // the child prints it once it writes
 *             .kills(3)
 *             .aliveFor(Duration.ofMillis(200), Duration.ofMillis(800))
 *             .seed(42)
 *             .build().run();
 *     // fresh writer over the same database: recoverDue() until nothing is pending, then check
 * }
 * }</pre>
 *
 * <p>The child must keep its state only where the parent can see it (the shared primary and
 * durable sinks); whatever it held in memory dies with it, which is the point. Thread-safe for
 * one run at a time.
 */
public final class ProcessKiller {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessKiller.class);

    /** Default number of kills. */
    public static final int DEFAULT_KILLS = 3;
    /** Default shortest life of a child after it is ready. */
    public static final Duration DEFAULT_MIN_ALIVE = Duration.ofMillis(100);
    /** Default longest life of a child after it is ready. */
    public static final Duration DEFAULT_MAX_ALIVE = Duration.ofMillis(600);
    /** Default longest wait for the ready line. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    private final ChildJvm.Builder child;
    private final String readyLine;
    private final int kills;
    private final Duration minAlive;
    private final Duration maxAlive;
    private final Duration startTimeout;
    private final long seed;

    private ProcessKiller(Builder b) {
        this.child = b.child;
        this.readyLine = b.readyLine;
        this.kills = b.kills;
        this.minAlive = b.minAlive;
        this.maxAlive = b.maxAlive;
        this.startTimeout = b.startTimeout;
        this.seed = b.seed;
    }

    /**
     * @param mainClass the child's main class, not null
     * @return a builder
     */
    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    /**
     * Starts and kills a child {@code kills} times.
     *
     * @return what happened in each round
     * @throws IOException          if a child cannot be started
     * @throws IllegalStateException if a child never prints its ready line (its output is in the message)
     * @throws InterruptedException if interrupted
     */
    public Report run() throws IOException, InterruptedException {
        Random random = new Random(seed);
        List<Round> rounds = new ArrayList<>();
        for (int i = 1; i <= kills; i++) {
            long span = maxAlive.toNanos() - minAlive.toNanos();
            long aliveNanos = minAlive.toNanos() + (span > 0 ? (long) (random.nextDouble() * span) : 0);
            try (ChildJvm c = child.start()) {
                if (readyLine != null && !c.awaitLine(readyLine, startTimeout)) {
                    c.kill();
                    throw new IllegalStateException("round " + i + ": the child never printed '" + readyLine
                            + "' (seed " + seed + "). Output:\n" + String.join("\n", c.output()));
                }
                long readyAt = System.nanoTime();
                Thread.sleep(aliveNanos / 1_000_000, (int) (aliveNanos % 1_000_000));
                boolean ranToTheEnd = !c.alive();
                int code = c.kill();
                Duration lived = Duration.ofNanos(System.nanoTime() - readyAt);
                List<String> out = c.output();
                Round r = new Round(i, c.pid(), lived, code, !ranToTheEnd, out.subList(Math.max(0, out.size() - 20),
                        out.size()));
                LOG.info("kill round {} (seed {}): {}", i, seed, r);
                rounds.add(r);
            }
        }
        return new Report(seed, rounds);
    }

    /** What happened to one child. Immutable. */
    public static final class Round {
        private final int number;
        private final long pid;
        private final Duration lived;
        private final int exitCode;
        private final boolean killed;
        private final List<String> outputTail;

        Round(int number, long pid, Duration lived, int exitCode, boolean killed, List<String> outputTail) {
            this.number = number;
            this.pid = pid;
            this.lived = lived;
            this.exitCode = exitCode;
            this.killed = killed;
            this.outputTail = List.copyOf(outputTail);
        }

        /** @return the round, from 1 */
        public int number() {
            return number;
        }

        /** @return the child's process id */
        public long pid() {
            return pid;
        }

        /** @return how long it ran after it was ready */
        public Duration lived() {
            return lived;
        }

        /** @return its exit code (137 on Linux when killed) */
        public int exitCode() {
            return exitCode;
        }

        /** @return true when it was still running at the kill; false when it had exited by itself */
        public boolean killed() {
            return killed;
        }

        /** @return its last lines of output */
        public List<String> outputTail() {
            return outputTail;
        }

        @Override
        public String toString() {
            return "round " + number + ": pid " + pid + (killed ? " killed" : " exited by itself") + " after "
                    + lived.toMillis() + " ms, exit code " + exitCode;
        }
    }

    /** The rounds of one run. Immutable. */
    public static final class Report {
        private final long seed;
        private final List<Round> rounds;

        Report(long seed, List<Round> rounds) {
            this.seed = seed;
            this.rounds = List.copyOf(rounds);
        }

        /** @return the seed of the kill moments */
        public long seed() {
            return seed;
        }

        /** @return every round, in order */
        public List<Round> rounds() {
            return rounds;
        }

        /** @return rounds whose child was killed while running */
        public long killed() {
            return rounds.stream().filter(Round::killed).count();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("process kills (seed " + seed + "): " + killed() + " of "
                    + rounds.size() + " killed while running");
            rounds.forEach(r -> sb.append("\n  ").append(r));
            return sb.toString();
        }
    }

    /** Builds a {@link ProcessKiller}. Not thread-safe. */
    public static final class Builder {
        private final ChildJvm.Builder child;
        private String readyLine;
        private int kills = DEFAULT_KILLS;
        private Duration minAlive = DEFAULT_MIN_ALIVE;
        private Duration maxAlive = DEFAULT_MAX_ALIVE;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private long seed = 1L;

        private Builder(String mainClass) {
            this.child = ChildJvm.builder(mainClass);
        }

        /**
         * @param args the child's arguments
         * @return this
         */
        public Builder args(String... args) {
            child.args(args);
            return this;
        }

        /**
         * @param options the child's JVM options; default {@link ChildJvm#DEFAULT_JVM_OPTIONS}
         * @return this
         */
        public Builder jvmOptions(String... options) {
            child.jvmOptions(options);
            return this;
        }

        /**
         * @param classpath the child's classpath; default this JVM's
         * @return this
         */
        public Builder classpath(String classpath) {
            child.classpath(classpath);
            return this;
        }

        /**
         * @param line the kill clock starts when the child prints a line containing this (so JVM
         *             start-up does not eat the child's life); default none: it starts at once
         * @return this
         */
        public Builder readyLine(String line) {
            this.readyLine = Objects.requireNonNull(line, "line");
            return this;
        }

        /**
         * @param kills children to start and kill, at least 1; default 3
         * @return this
         */
        public Builder kills(int kills) {
            this.kills = Args.atLeast(kills, 1, "kills");
            return this;
        }

        /**
         * @param min shortest life after the ready line, not negative; default 100 ms
         * @param max longest life, not below min; default 600 ms
         * @return this
         */
        public Builder aliveFor(Duration min, Duration max) {
            Objects.requireNonNull(min, "min");
            Objects.requireNonNull(max, "max");
            if (min.isNegative() || max.compareTo(min) < 0) {
                throw new IllegalArgumentException("need 0 <= min <= max, got " + min + " and " + max);
            }
            this.minAlive = min;
            this.maxAlive = max;
            return this;
        }

        /**
         * @param timeout longest wait for the ready line, positive; default 60 s
         * @return this
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Args.positive(timeout, "startTimeout");
            return this;
        }

        /**
         * @param seed the seed of the kill moments; default 1
         * @return this
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @return the killer */
        public ProcessKiller build() {
            return new ProcessKiller(this);
        }
    }
}
