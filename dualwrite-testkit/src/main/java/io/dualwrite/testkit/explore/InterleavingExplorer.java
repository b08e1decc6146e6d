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
package io.dualwrite.testkit.explore;

import io.dualwrite.internal.Args;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A deterministic interleaving explorer: it drives the real coordinator, a real primary store and
 * real sinks with several actors — writers on several application instances (saves, deletes,
 * re-creations, writes with an expected version, request-key retries), recovery passes on every
 * instance, and time itself — through faults (lost replies, a primary that is down, failing, slow
 * and lying sinks, a poisoned entity that throws even {@link Error}s, clocks that disagree or step
 * back, time jumping past leases and grace periods), one step at a time, in an order that a seed
 * decides. After each schedule it heals every fault, lets recovery finish, and checks the promises
 * against the schedule's history:
 * <ul>
 *   <li>a write is applied at most once (a retry never commits a write again);</li>
 *   <li>a result names its own write (the version returned holds that write's content);</li>
 *   <li>a failure says what happened (nothing that says "nothing was written" follows a commit);</li>
 *   <li>compensation restores the before-image;</li>
 *   <li>no sink ever holds a state the primary never committed, and no sink moves backwards;</li>
 *   <li>a poison entity never opens a circuit;</li>
 *   <li>the backlog drains, every sink converges to the primary's last state of every entity, and
 *       only the poisoned entity is dead-lettered.</li>
 * </ul>
 * A broken promise fails with the schedule's seed, which replays it exactly
 * ({@code -D}{@value #SEED_PROPERTY}{@code =<seed>}), and a shortened schedule that still breaks it.
 *
 * <pre>{@code
 * InterleavingExplorer.builder(spec -> new MyWorld(spec), ExplorerItem.MODEL)
 *         .sinks("search", "cache")
 *         .schedules(2_000)
 *         .build()
 *         .run();
 * }</pre>
 *
 * A run is single-threaded from the system's point of view (one actor moves at a time), so it
 * finds what interleavings of whole commands break, not races inside one command.
 * Not thread-safe: run one exploration at a time per explorer.
 *
 * @param <T> the entity type
 */
public final class InterleavingExplorer<T> {
    /** System property: explore only this seed (and shrink it if it fails). */
    public static final String SEED_PROPERTY = "dualwrite.explorer.seed";
    /**
     * System property: the seed of the first schedule, overriding {@link Builder#seed}, so that a soak
     * explores schedules the build's fixed range never runs ({@code -Ddualwrite.explorer.from=1000000}).
     */
    public static final String FROM_PROPERTY = "dualwrite.explorer.from";
    /** System property: how many schedules to explore, overriding {@link Builder#schedules}. */
    public static final String SCHEDULES_PROPERTY = "dualwrite.explorer.schedules";
    /** System property: the longest exploration, as an ISO-8601 duration (PT10M), overriding {@link Builder#timeBudget}. */
    public static final String BUDGET_PROPERTY = "dualwrite.explorer.budget";
    /** The grace period {@link ExplorerNode#configure} sets. */
    public static final Duration GRACE_PERIOD = Duration.ofSeconds(1);
    /** The recovery lease {@link ExplorerNode#configure} sets. */
    public static final Duration LEASE = Duration.ofSeconds(5);
    /** The first recovery backoff {@link ExplorerNode#configure} sets. */
    public static final Duration INITIAL_BACKOFF = Duration.ofMillis(500);
    /** The longest recovery backoff {@link ExplorerNode#configure} sets. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(4);
    /** How long a sink's circuit stays open in a schedule. */
    public static final Duration BREAKER_WAIT = Duration.ofSeconds(10);
    /**
     * How far time jumps in each round of healing: a world's own timers (a write-ahead store's settle
     * time) must be shorter.
     */
    public static final Duration HEALING_JUMP = Duration.ofMinutes(10);

    /** Serialized with the exception: its {@code settings}. */
    private final Settings<T> settings;

    private InterleavingExplorer(Settings<T> settings) {
        this.settings = settings;
    }

    /**
     * @param worlds makes the world of each schedule, not null
     * @param model  makes and tells apart the entities, not null
     * @param <T>    the entity type
     * @return a new builder
     */
    public static <T> Builder<T> builder(ExplorerWorld.Factory<T> worlds, EntityModel<T> model) {
        return new Builder<>(worlds, model);
    }

    /**
     * Explores schedules until the count or the time budget is reached, or a promise breaks.
     *
     * @return what was explored
     * @throws ExplorationFailure with the seed and a shortened schedule when a promise breaks
     */
    public ExplorationReport run() {
        long started = System.nanoTime();
        String only = System.getProperty(SEED_PROPERTY);
        int schedules = Integer.getInteger(SCHEDULES_PROPERTY, settings.schedules);
        String budgetText = System.getProperty(BUDGET_PROPERTY);
        Duration budget = budgetText != null ? Duration.parse(budgetText) : settings.timeBudget;
        long first = only != null ? seedProperty(SEED_PROPERTY, only) : firstSeed();
        int count = only != null ? 1 : schedules;
        long steps = 0;
        int ran = 0;
        for (int i = 0; i < count; i++) {
            if (ran > 0 && budget != null && System.nanoTime() - started > budget.toNanos()) {
                break;
            }
            long seed = first + i;
            Run.Outcome o = new Run<>(settings, seed, Choices.fromSeed(seed)).execute();
            ran++;
            steps += o.steps();
            if (o.failed()) {
                Run.Outcome shortest = settings.shrink ? shrink(o) : o;
                throw new ExplorationFailure(seed, o, shortest);
            }
        }
        return new ExplorationReport(first, ran, steps, Duration.ofNanos(System.nanoTime() - started));
    }

    private long firstSeed() {
        String from = System.getProperty(FROM_PROPERTY);
        return from != null ? seedProperty(FROM_PROPERTY, from) : settings.seed;
    }

    private static long seedProperty(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + name + " must be a whole number (a seed), not '" + value + "'", e);
        }
    }

    /**
     * Runs one schedule and reports what it found, without shrinking or throwing.
     *
     * @param seed the schedule's seed
     * @return the broken promises, empty when every promise held
     */
    public List<String> explore(long seed) {
        return new Run<>(settings, seed, Choices.fromSeed(seed)).execute().violations();
    }

    /**
     * Shortens a failing schedule by removing and simplifying its decisions while the same promise
     * still breaks: whole runs of decisions first (fewer operations, fewer steps), then single ones
     * lowered towards their first option. A candidate replaces the best one when its decisions are
     * fewer, or as many and smaller.
     */
    private Run.Outcome shrink(Run.Outcome failing) {
        String promise = promiseOf(failing);
        Run.Outcome best = failing;
        long deadline = System.nanoTime() + settings.shrinkBudget.toNanos();
        int tries = 0;
        boolean improved = true;
        while (improved && System.nanoTime() < deadline && tries < settings.shrinkRuns) {
            improved = false;
            for (int chunk : new int[]{32, 16, 8, 4, 2, 1}) {
                int i = 0;
                while (i < best.choices().length && System.nanoTime() < deadline && tries < settings.shrinkRuns) {
                    int[] c = best.choices();
                    int end = Math.min(c.length, i + chunk);
                    int[] candidate = new int[c.length - (end - i)];
                    System.arraycopy(c, 0, candidate, 0, i);
                    System.arraycopy(c, end, candidate, i, c.length - end);
                    Run.Outcome o = replay(failing.seed(), candidate);
                    tries++;
                    if (better(o, best, promise)) {
                        best = o;
                        improved = true;
                    } else {
                        i += chunk;
                    }
                }
            }
            for (int i = 0; i < best.choices().length && System.nanoTime() < deadline
                    && tries < settings.shrinkRuns; i++) {
                for (int lower : new int[]{0, best.choices()[i] / 2, best.choices()[i] - 1}) {
                    int[] c = best.choices();
                    if (i >= c.length || lower >= c[i] || lower < 0) {
                        continue;
                    }
                    int[] candidate = c.clone();
                    candidate[i] = lower;
                    Run.Outcome o = replay(failing.seed(), candidate);
                    tries++;
                    if (better(o, best, promise)) {
                        best = o;
                        improved = true;
                        break;
                    }
                }
            }
        }
        return best;
    }

    /** @return true when o breaks the same promise with a shorter, or as long and smaller, record of decisions */
    private static boolean better(Run.Outcome o, Run.Outcome best, String promise) {
        if (!o.failed() || !promise.equals(promiseOf(o))) {
            return false;
        }
        int[] a = trimmed(o.choices());
        int[] b = trimmed(best.choices());
        if (a.length != b.length) {
            return a.length < b.length;
        }
        return Arrays.compare(a, b) < 0;
    }

    /** @return the decisions without trailing zeros (a replay reads 0 past the end anyway) */
    private static int[] trimmed(int[] choices) {
        int n = choices.length;
        while (n > 0 && choices[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(choices, n);
    }

    private Run.Outcome replay(long seed, int[] choices) {
        return new Run<>(settings, seed, Choices.replay(choices)).execute();
    }

    private static String promiseOf(Run.Outcome o) {
        String v = o.violations().get(0);
        int end = v.indexOf(']');
        return end > 0 ? v.substring(0, end + 1) : v;
    }

    /**
     * Everything an explorer is built with. Immutable.
     *
     * @param <T> the entity type
     */
    static final class Settings<T> {
        final ExplorerWorld.Factory<T> worlds;
        final EntityModel<T> model;
        final List<String> sinks;
        final Set<ExplorerFault> faults;
        final int ids;
        final int minInstances;
        final int maxInstances;
        final int schedules;
        final long seed;
        final Duration timeBudget;
        final int maxOpsPerWriter;
        final int maxPassesPerRecovery;
        final int maxTimeSteps;
        final long stuckMillis;
        final int maxSteps;
        final boolean shrink;
        final int shrinkRuns;
        final Duration shrinkBudget;
        final Duration maxNetworkDelay;

        Settings(Builder<T> b) {
            this.worlds = b.worlds;
            this.model = b.model;
            this.sinks = List.copyOf(b.sinks);
            this.faults = Set.copyOf(b.faults);
            this.ids = b.ids;
            this.minInstances = b.minInstances;
            this.maxInstances = b.maxInstances;
            this.schedules = b.schedules;
            this.seed = b.seed;
            this.timeBudget = b.timeBudget;
            this.maxOpsPerWriter = b.maxOpsPerWriter;
            this.maxPassesPerRecovery = b.maxPassesPerRecovery;
            this.maxTimeSteps = b.maxTimeSteps;
            this.stuckMillis = b.stuckMillis;
            this.maxSteps = b.maxSteps;
            this.shrink = b.shrink;
            this.shrinkRuns = b.shrinkRuns;
            this.shrinkBudget = b.shrinkBudget;
            this.maxNetworkDelay = b.maxNetworkDelay;
        }
    }

    /**
     * Builds an {@link InterleavingExplorer}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        /** Default number of schedules. */
        public static final int DEFAULT_SCHEDULES = 200;
        /** Default number of entity ids the writers share (few, so they collide). */
        public static final int DEFAULT_IDS = 3;
        /** Default most operations per writer. */
        public static final int DEFAULT_OPS_PER_WRITER = 5;

        private final ExplorerWorld.Factory<T> worlds;
        /** Serialized with the exception: its {@code model}. */
        private final EntityModel<T> model;
        private List<String> sinks = List.of("s1", "s2");
        private Set<ExplorerFault> faults = EnumSet.allOf(ExplorerFault.class);
        private int ids = DEFAULT_IDS;
        private int minInstances = 2;
        private int maxInstances = 3;
        private int schedules = DEFAULT_SCHEDULES;
        private long seed = System.nanoTime();
        private Duration timeBudget;
        private int maxOpsPerWriter = DEFAULT_OPS_PER_WRITER;
        private int maxPassesPerRecovery = 4;
        private int maxTimeSteps = 5;
        private long stuckMillis = 20_000;
        private int maxSteps = 5_000;
        private boolean shrink = true;
        private int shrinkRuns = 400;
        private Duration shrinkBudget = Duration.ofSeconds(60);
        private Duration maxNetworkDelay;

        private Builder(ExplorerWorld.Factory<T> worlds, EntityModel<T> model) {
            this.worlds = Objects.requireNonNull(worlds, "worlds");
            this.model = Objects.requireNonNull(model, "model");
        }

        /**
         * @param names the sinks each world registers, at least one; default "s1", "s2"
         * @return this
         */
        public Builder<T> sinks(String... names) {
            Objects.requireNonNull(names, "names");
            if (names.length == 0) {
                throw new IllegalArgumentException("at least one sink is needed");
            }
            this.sinks = List.of(names);
            return this;
        }

        /**
         * @param kinds the faults schedules may draw; default all of {@link ExplorerFault}
         * @return this
         */
        public Builder<T> faults(Set<ExplorerFault> kinds) {
            Objects.requireNonNull(kinds, "kinds");
            this.faults = kinds.isEmpty() ? EnumSet.noneOf(ExplorerFault.class) : EnumSet.copyOf(kinds);
            return this;
        }

        /**
         * @param count how many entity ids the writers share, 1 to 26; default {@value #DEFAULT_IDS}
         * @return this
         */
        public Builder<T> ids(int count) {
            if (count < 1 || count > 26) {
                throw new IllegalArgumentException("ids must be in [1, 26], was " + count);
            }
            this.ids = count;
            return this;
        }

        /**
         * @param min the fewest application instances, at least 1
         * @param max the most, at least min and at most 8; default 2 to 3
         * @return this
         */
        public Builder<T> instances(int min, int max) {
            if (min < 1 || max < min || max > 8) {
                throw new IllegalArgumentException("need 1 <= min <= max <= 8, got " + min + " and " + max);
            }
            this.minInstances = min;
            this.maxInstances = max;
            return this;
        }

        /**
         * @param count how many schedules {@link #run()} explores, at least 1; default
         *              {@value #DEFAULT_SCHEDULES} (the system property {@value #SCHEDULES_PROPERTY} overrides it)
         * @return this
         */
        public Builder<T> schedules(int count) {
            Args.atLeast(count, 1, "schedules");
            this.schedules = count;
            return this;
        }

        /**
         * @param first the seed of the first schedule; the others follow it; default from the clock
         *              (printed with any failure)
         * @return this
         */
        public Builder<T> seed(long first) {
            this.seed = first;
            return this;
        }

        /**
         * @param budget the longest exploration (at least one schedule runs); default none (the
         *               system property {@value #BUDGET_PROPERTY} overrides it)
         * @return this
         */
        public Builder<T> timeBudget(Duration budget) {
            this.timeBudget = Objects.requireNonNull(budget, "budget");
            return this;
        }

        /**
         * @param ops the most operations per writer, at least 1; default {@value #DEFAULT_OPS_PER_WRITER}
         * @return this
         */
        public Builder<T> maxOpsPerWriter(int ops) {
            Args.atLeast(ops, 1, "maxOpsPerWriter");
            this.maxOpsPerWriter = ops;
            return this;
        }

        /**
         * @param shrink whether a failing schedule is shortened before it is reported; default true
         * @return this
         */
        public Builder<T> shrink(boolean shrink) {
            this.shrink = shrink;
            return this;
        }

        /**
         * Bounds how late a write held on the network ({@link ExplorerFault#LATE_LANDING}) may land:
         * one that has not landed this long after it was sent (on the schedule's shared clock) never
         * does. For a store whose promises assume that a command which got no reply lands within a
         * bound, such as the write-ahead store's write lease less the clocks' disagreement; default
         * unbounded.
         *
         * @param bound the longest delay, positive
         * @return this
         */
        public Builder<T> maxNetworkDelay(Duration bound) {
            Objects.requireNonNull(bound, "bound");
            Args.positive(bound, "maxNetworkDelay");
            this.maxNetworkDelay = bound;
            return this;
        }

        /** @return the explorer */
        public InterleavingExplorer<T> build() {
            return new InterleavingExplorer<>(new Settings<>(this));
        }
    }

    /**
     * What an exploration covered. Immutable.
     *
     * @param firstSeed the seed of the first schedule
     * @param schedules how many schedules ran
     * @param steps     how many steps they took in all
     * @param elapsed   how long it took
     */
    public record ExplorationReport(long firstSeed, int schedules, long steps, Duration elapsed) {
        @Override
        public String toString() {
            return schedules + " schedules (" + steps + " steps) from seed " + firstSeed + " in "
                    + elapsed.toMillis() + " ms: every promise held";
        }
    }

    /** A promise broken by a schedule: the seed that replays it, what broke, and a shortened schedule. */
    public static final class ExplorationFailure extends AssertionError {
        /** The version of the serialized form. */
        private static final long serialVersionUID = 1L;

        /** Serialized with the exception: its {@code seed}. */
        private final long seed;
        /** Serialized with the exception: its {@code violations}. */
        private final List<String> violations;

        ExplorationFailure(long seed, Run.Outcome original, Run.Outcome shortest) {
            super(message(seed, original, shortest));
            this.seed = seed;
            this.violations = original.violations();
        }

        /** @return the seed of the failing schedule */
        public long seed() {
            return seed;
        }

        /** @return the promises it broke */
        public List<String> violations() {
            return violations;
        }

        private static String message(long seed, Run.Outcome original, Run.Outcome shortest) {
            StringBuilder sb = new StringBuilder();
            sb.append("schedule seed ").append(seed).append(" broke ").append(original.violations().size())
                    .append(" promise(s); replay it with -D").append(SEED_PROPERTY).append('=').append(seed)
                    .append('\n');
            original.violations().forEach(v -> sb.append("  ").append(v).append('\n'));
            sb.append("shape: ").append(original.profile()).append('\n');
            if (shortest != original) {
                sb.append("shortened to ").append(shortest.steps()).append(" steps (from ").append(original.steps())
                        .append("), decisions ").append(Arrays.toString(trimmed(shortest.choices()))).append(":\n");
                shortest.violations().forEach(v -> sb.append("  ").append(v).append('\n'));
                sb.append("shape: ").append(shortest.profile()).append('\n');
            }
            sb.append(shortest.trace());
            return sb.toString();
        }
    }
}
