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

import com.mongodb.client.MongoCollection;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One schedule: draws its shape from the {@link Choices}, builds the world and its instances, runs
 * the actors under the {@link Sched}, heals, and hands the {@link History} to the {@link Oracle}.
 *
 * @param <T> the entity type
 */
final class Run<T> {
    /** How a primary command is struck. */
    enum PrimaryFault { NONE, DOWN, LOST_REPLY, HELD }

    /** How a poisoned entity is refused by its sink. */
    enum PoisonKind { REJECTION, ERROR_IN_MAPPING, NPE_IN_MAPPING }

    /** The shape of a schedule, drawn first. Printed with a failure. */
    static final class Profile {
        int instances;
        final List<String> ids = new ArrayList<>();
        final Map<String, DeliveryPolicy> policies = new LinkedHashMap<>();
        String poisonId;
        String poisonSink;
        PoisonKind poisonKind;
        final Set<String> adopted = new LinkedHashSet<>();
        int lostReplyPct;
        int heldPct;
        int primaryDownPct;
        int sinkFailurePct;
        int sinkLostReplyPct;
        int sinkLatePct;
        long[] skews;
        int[] writers;
        boolean writeAhead;

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(instances).append(" instances (writers ").append(java.util.Arrays.toString(writers))
                    .append(", clock skews ms ").append(java.util.Arrays.toString(skews)).append("), ids ").append(ids)
                    .append(", sinks ").append(policies);
            if (writeAhead) {
                sb.append(", write-ahead");
            }
            if (poisonId != null) {
                sb.append(", poison ").append(poisonId).append(" at ").append(poisonSink).append(" (")
                        .append(poisonKind).append(')');
            }
            if (!adopted.isEmpty()) {
                sb.append(", adopted ").append(adopted);
            }
            sb.append(", faults %: lost reply ").append(lostReplyPct).append(", late landing ").append(heldPct)
                    .append(", primary down ").append(primaryDownPct)
                    .append(", sink failure ").append(sinkFailurePct).append(", sink lost reply ")
                    .append(sinkLostReplyPct).append(", sink late ").append(sinkLatePct);
            return sb.toString();
        }
    }

    /** What a schedule found. */
    record Outcome(long seed, int[] choices, Profile profile, List<String> violations, String trace, int steps) {
        boolean failed() {
            return !violations.isEmpty();
        }
    }

    private final InterleavingExplorer.Settings<T> settings;
    private final long seed;
    final Choices choices;
    final Trace trace = new Trace();
    final History<T> history;
    final VirtualTime time = new VirtualTime();
    final Profile profile = new Profile();
    private final List<Node> nodes = new ArrayList<>();
    private ExplorerWorld<T> world;
    private Sched sched;
    volatile boolean healing;
    /** Ids whose data the current step may have changed; {@link #ALL} when it cannot tell. */
    private final Set<String> touched = new java.util.HashSet<>();
    private static final String ALL = "\u0000all";
    private int callSeq;

    Run(InterleavingExplorer.Settings<T> settings, long seed, Choices choices) {
        this.settings = settings;
        this.seed = seed;
        this.choices = choices;
        this.history = new History<>(settings.model);
    }

    EntityModel<T> model() {
        return settings.model;
    }

    /** @return the current step number, for records */
    int step() {
        return sched == null ? 0 : sched.steps();
    }

    Outcome execute() {
        List<String> violations = new ArrayList<>();
        try {
            world = settings.worlds.create(new ExplorerWorld.Spec("x" + Long.toHexString(seed) + "_"
                    + Integer.toHexString(System.identityHashCode(this)), settings.sinks));
            drawProfile(world.observer().supportsCompensation());
            setUp();
            runActors();
            heal();
            violations.addAll(new Oracle<>(this, world, nodes.get(0).writer).check());
        } catch (Sched.StuckException e) {
            violations.add("the schedule could not finish: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            violations.add("the schedule failed outside any operation: " + describe(e));
        } finally {
            tearDown();
        }
        return new Outcome(seed, choices.record(), profile, violations, trace.toString(), step());
    }

    // ------------------------------------------------------------------ the shape

    private void drawProfile(boolean compensation) {
        Set<ExplorerFault> f = settings.faults;
        profile.instances = settings.minInstances + choices.next(settings.maxInstances - settings.minInstances + 1);
        for (int i = 0; i < settings.ids; i++) {
            profile.ids.add("x" + i);
        }
        profile.writers = new int[profile.instances];
        profile.skews = new long[profile.instances];
        for (int i = 0; i < profile.instances; i++) {
            profile.writers[i] = 1 + choices.next(2);
            profile.skews[i] = f.contains(ExplorerFault.CLOCK_SKEW) ? (choices.next(11) - 5) * 1000L : 0;
        }
        for (String sink : settings.sinks) {
            List<DeliveryPolicy> options = new ArrayList<>(List.of(DeliveryPolicy.SYNC));
            if (f.contains(ExplorerFault.ASYNC_SINK)) {
                options.add(DeliveryPolicy.ASYNC);
            }
            if (f.contains(ExplorerFault.REQUIRED_SINK) && compensation) {
                options.add(DeliveryPolicy.REQUIRED);
            }
            profile.policies.put(sink, options.get(choices.next(options.size())));
        }
        if (f.contains(ExplorerFault.POISON) && choices.next(3) == 1) {
            profile.poisonId = profile.ids.get(choices.next(profile.ids.size()));
            profile.poisonSink = settings.sinks.get(choices.next(settings.sinks.size()));
            profile.poisonKind = PoisonKind.values()[choices.next(PoisonKind.values().length)];
        }
        if (f.contains(ExplorerFault.ADOPTION)) {
            for (String id : profile.ids) {
                if (choices.next(3) == 1) {
                    profile.adopted.add(id);
                }
            }
        }
        profile.lostReplyPct = f.contains(ExplorerFault.LOST_REPLY) ? pick(0, 5, 15) : 0;
        profile.primaryDownPct = f.contains(ExplorerFault.PRIMARY_DOWN) ? pick(0, 3, 8) : 0;
        profile.sinkFailurePct = f.contains(ExplorerFault.SINK_FAILURE) ? pick(0, 10, 30) : 0;
        profile.sinkLostReplyPct = f.contains(ExplorerFault.SINK_LOST_REPLY) ? pick(0, 10) : 0;
        profile.sinkLatePct = f.contains(ExplorerFault.SINK_LATE) ? pick(0, 25) : 0;
        profile.heldPct = f.contains(ExplorerFault.LATE_LANDING) ? pick(0, 5, 15) : 0;
    }

    private int pick(int... options) {
        return options[choices.next(options.length)];
    }

    private void setUp() {
        for (String id : profile.adopted) {
            if (!world.adopt(id, settings.model.create(id, "adopted-" + id, 0))) {
                break;
            }
        }
        for (int i = 0; i < profile.instances; i++) {
            Node n = new Node(String.valueOf((char) ('A' + i)), profile.skews[i]);
            nodes.add(n);
            n.writer = world.writer(n);
            n.callerWrites = world.callerWrites(n).orElse(null);
            profile.writeAhead |= n.callerWrites != null;
        }
        observe();
        trace.phase("seed " + seed + ": " + profile);
    }

    private void tearDown() {
        for (Node n : nodes) {
            if (n.writer != null) {
                try {
                    n.writer.close();
                } catch (RuntimeException | Error e) {
                    trace.phase("closing " + n.name + " failed: " + describe(e));
                }
            }
        }
        if (world != null) {
            try {
                world.close();
            } catch (RuntimeException e) {
                trace.phase("closing the world failed: " + describe(e));
            }
        }
    }

    // ------------------------------------------------------------------ the actors

    private void runActors() {
        List<Sched.Actor> actors = new ArrayList<>();
        for (Node n : nodes) {
            for (int w = 1; w <= profile.writers[nodes.indexOf(n)]; w++) {
                Writer writer = new Writer(n, n.name + w);
                actors.add(new Sched.Actor(writer.name, writer::run));
            }
            actors.add(new Sched.Actor(n.name + "r", () -> recoveryActor(n)));
        }
        actors.add(new Sched.Actor("time", this::timeActor));
        if (profile.heldPct > 0) {
            actors.add(new Sched.Actor("net", this::networkActor));
        }
        sched = new Sched(choices, trace, settings.stuckMillis, settings.maxSteps);
        sched.run(actors, actor -> {
            time.advance(1);
            synchronized (touched) {
                if (!touched.isEmpty()) {
                    observe(touched.contains(ALL) ? profile.ids : List.copyOf(touched));
                    touched.clear();
                }
            }
        });
        for (Sched.Actor a : actors) {
            if (a.crash != null) {
                throw new IllegalStateException("actor " + a.name + " crashed: " + describe(a.crash), a.crash);
            }
        }
    }

    /** One application thread of an instance: saves and deletes, some with request keys or expected versions. */
    private final class Writer {
        final Node node;
        final String name;
        final List<History.Call<T>> keyed = new ArrayList<>();

        Writer(Node node, String name) {
            this.node = node;
            this.name = name;
        }

        void run() {
            for (int op = 0; op < settings.maxOpsPerWriter; op++) {
                int what = choices.next(node.callerWrites != null ? 5 : 8);
                if (what == 0) {
                    return;
                }
                String id = profile.ids.get(choices.next(profile.ids.size()));
                History.Call<T> call;
                switch (what) {
                    case 1, 2 -> call = newCall("save", id, null, null);
                    case 3 -> call = newCall("save", id, null, expected(id));
                    case 4 -> call = newCall("delete", id, null, null);
                    case 5 -> call = newCall("save", id, "k" + name + "." + op, null);
                    case 6 -> call = newCall("delete", id, "k" + name + "." + op, null);
                    default -> call = keyed.isEmpty() ? newCall("save", id, null, null) : retryOf(
                            keyed.get(choices.next(keyed.size())));
                }
                perform(call);
                if (call.requestKey != null && !call.retry) {
                    keyed.add(call);
                }
                Sched.step(name + " next");
            }
        }

        private Long expected(String id) {
            try {
                return node.writer.read(id).map(io.dualwrite.StoredEntity::version).orElse(0L);
            } catch (RuntimeException e) {
                return 0L;
            }
        }

        private History.Call<T> newCall(String op, String id, String key, Long expected) {
            String tag = name + "." + (++callSeq);
            T state = "save".equals(op) ? settings.model.create(id, tag, choices.next(2)) : null;
            return new History.Call<>(step(), name, op, id, tag, state, key, expected, false);
        }

        private History.Call<T> retryOf(History.Call<T> first) {
            return new History.Call<>(step(), name, first.op, first.id, first.tag, first.state, first.requestKey,
                    first.expectedVersion, true);
        }

        private void perform(History.Call<T> call) {
            trace.note("begin " + call.describe());
            history.call(call);
            // a correlation id of the schedule's own, so that a replay prints the same results
            WriteOptions.Builder o = WriteOptions.builder().correlationId(call.tag + "@" + call.step);
            if (call.requestKey != null) {
                o.requestKey(call.requestKey);
            }
            if (call.expectedVersion != null) {
                o.expectedVersion(call.expectedVersion);
            }
            WriteOptions options = o.build();
            node.calling = call;
            try {
                WriteResult r;
                if (node.callerWrites == null) {
                    r = call.isDelete() ? node.writer.delete(call.id, options) : node.writer.save(call.state, options);
                } else {
                    ExplorerWorld.CallerWrites<T> cw = node.callerWrites;
                    Runnable own = call.isDelete() ? () -> cw.delete(call.id) : () -> cw.save(call.state);
                    Runnable watched = () -> {
                        try {
                            own.run();
                        } catch (RuntimeException | Error e) {
                            call.callerWriteError = e;
                            throw e;
                        }
                    };
                    r = call.isDelete() ? node.writer.deleteWith(call.id, watched, options)
                            : node.writer.saveWith(call.id, watched, options);
                }
                call.result = r;
                trace.note("end " + call.describe() + " -> " + r);
            } catch (Sched.Abandoned e) {
                throw e;
            } catch (RuntimeException | Error e) {
                call.error = e;
                trace.note("end " + call.describe() + " -> threw " + describe(e));
            } finally {
                node.calling = null;
                call.endStep = step();
            }
        }
    }

    /** An instance's recovery worker: recovery passes, acknowledgement flushes and the writer's queued tasks. */
    private void recoveryActor(Node n) {
        for (int pass = 0; pass < settings.maxPassesPerRecovery; pass++) {
            if (choices.next(3) == 0) {
                return;
            }
            try {
                RecoveryReport r = n.writer.operations().recoverDue();
                trace.note(n.name + " recovery pass: " + r);
                n.writer.operations().flushAcknowledgements();
                n.scheduler.runQueued();
            } catch (Sched.Abandoned e) {
                throw e;
            } catch (RuntimeException | Error e) {
                history.recoveryError(n.name + ": " + describe(e));
                trace.note(n.name + " recovery pass threw " + describe(e));
            }
            Sched.step(n.name + "r next pass");
        }
    }

    /** Moves the schedule's time: small steps, jumps past grace periods, leases and backoffs, clocks stepping back. */
    private void timeActor() {
        boolean jumps = settings.faults.contains(ExplorerFault.TIME_JUMPS);
        boolean stepBack = settings.faults.contains(ExplorerFault.CLOCK_STEP_BACK);
        for (int i = 0; i < settings.maxTimeSteps; i++) {
            int what = choices.next(jumps ? 6 : 2);
            if (what == 0) {
                return;
            }
            long by;
            switch (what) {
                case 2 -> by = InterleavingExplorer.GRACE_PERIOD.toMillis() + 1;
                case 3 -> by = InterleavingExplorer.LEASE.toMillis() + 1;
                case 4 -> by = InterleavingExplorer.MAX_BACKOFF.toMillis() + 1;
                case 5 -> {
                    if (stepBack) {
                        Node n = nodes.get(choices.next(nodes.size()));
                        long back = 1000L * (1 + choices.next(5));
                        n.clock.shift(-back);
                        trace.note("the clock of " + n.name + " steps back " + back + " ms");
                        by = 0;
                    } else {
                        by = 200;
                    }
                }
                default -> by = 50;
            }
            if (by > 0) {
                time.advance(by);
                trace.note("time +" + by + " ms");
            }
            Sched.step("time next");
        }
    }

    // ------------------------------------------------------------------ healing

    /** Faults stop (poison stays), time moves far ahead, and every instance recovers until nothing is pending. */
    /** A primary write held on the network ({@link PrimaryFault#HELD}): it lands when the schedule says. */
    private record Held(String what, java.util.Collection<String> ids, java.util.concurrent.Callable<?> body,
                        long sentAtMillis) {
    }

    /** Writes held on the network, in the order they were sent. Guarded by itself. */
    private final List<Held> held = new ArrayList<>();

    /**
     * Holds a primary write on the network; the caller then throws its lost-reply failure.
     *
     * @param what the command, for the trace
     * @param ids  the entity ids it names (empty: it may touch any)
     * @param body sends it, when it lands
     */
    void hold(String what, java.util.Collection<String> ids, java.util.concurrent.Callable<?> body) {
        synchronized (held) {
            held.add(new Held(what, ids == null ? List.of() : List.copyOf(ids), body, time.elapsedMillis()));
        }
    }

    /** The network: lands held writes, one at a time, at steps of the schedule's choosing. */
    private void networkActor() {
        for (int i = 0; i < settings.maxTimeSteps; i++) {
            Sched.step("net next");
            Held h = null;
            synchronized (held) {
                if (!held.isEmpty() && choices.next(2) == 1) {
                    h = held.remove(choices.next(held.size()));
                }
            }
            if (h != null) {
                land(h);
            }
        }
    }

    private void land(Held h) {
        long late = time.elapsedMillis() - h.sentAtMillis();
        if (settings.maxNetworkDelay != null && late > settings.maxNetworkDelay.toMillis()) {
            // the network delivers within its bound or not at all
            trace.note("the held " + h.what() + " never lands (" + late + " ms after it was sent, past the network's"
                    + " bound of " + settings.maxNetworkDelay.toMillis() + " ms)");
            return;
        }
        try {
            h.body().call();
            trace.note("the held " + h.what() + " lands");
        } catch (Exception | Error e) {
            ErrorClassifier.rethrowIfFatal(e);
            trace.note("the held " + h.what() + " lands and fails: " + describe(e));
        }
        synchronized (touched) {
            if (h.ids().isEmpty()) {
                touched.add(ALL);
            } else {
                touched.addAll(h.ids());
            }
        }
    }

    private void heal() {
        // what is still held on the network lands now, or never
        List<Held> left;
        synchronized (held) {
            left = new ArrayList<>(held);
            held.clear();
        }
        for (Held h : left) {
            if (choices.next(2) == 1) {
                land(h);
                // observed at once, as after an actor's step: the next landing may overwrite it
                synchronized (touched) {
                    observe(touched.contains(ALL) ? profile.ids : List.copyOf(touched));
                    touched.clear();
                }
            } else {
                trace.note("the held " + h.what() + " never lands");
            }
        }
        healing = true;
        trace.phase("healing: faults stop, time jumps ahead, every instance recovers");
        long jump = InterleavingExplorer.HEALING_JUMP.toMillis();
        for (int round = 0; round < 12; round++) {
            time.advance(jump);
            for (Node n : nodes) {
                for (int pass = 0; pass < 30; pass++) {
                    try {
                        RecoveryReport r = n.writer.operations().recoverDue();
                        n.writer.operations().flushAcknowledgements();
                        n.scheduler.runQueued();
                        if (r.claimed() == 0) {
                            break;
                        }
                    } catch (RuntimeException | Error e) {
                        history.recoveryError(n.name + " while healing: " + describe(e));
                        break;
                    }
                }
            }
            observe();
            if (round >= 1 && world.observer().pendingCount() == 0) {
                break;
            }
        }
        observe();
    }

    // ------------------------------------------------------------------ observation

    private void observe() {
        observe(profile.ids);
    }

    private void observe(java.util.Collection<String> ids) {
        PrimaryStore<T> observer = world.observer();
        for (String id : ids) {
            if (!profile.ids.contains(id)) {
                continue;
            }
            try {
                history.observe(step(), id, observer.read(id).orElse(null));
            } catch (RuntimeException e) {
                trace.note("observing " + id + " failed: " + describe(e));
            }
        }
    }

    // ------------------------------------------------------------------ faults

    /**
     * A step point before a primary command, then the fault that strikes it.
     *
     * @param node  the instance
     * @param what  the command, for the trace
     * @param write whether the command may change data
     * @param ids   the entities the command may change, or empty when it cannot tell (then all are observed)
     * @return the fault
     */
    PrimaryFault primaryCommand(Node node, String what, boolean write, java.util.Collection<String> ids) {
        boolean actor = Sched.step(node.name + " " + what);
        if (write) {
            synchronized (touched) {
                if (ids == null || ids.isEmpty()) {
                    touched.add(ALL);
                } else {
                    touched.addAll(ids);
                }
            }
        }
        if (!actor || healing) {
            return PrimaryFault.NONE;
        }
        if (profile.primaryDownPct > 0 && choices.chance(profile.primaryDownPct)) {
            trace.note("fault: the primary is down, " + what + " is not sent");
            return PrimaryFault.DOWN;
        }
        if (write && profile.lostReplyPct > 0 && choices.chance(profile.lostReplyPct)) {
            trace.note("fault: the reply of " + what + " is lost (it lands)");
            return PrimaryFault.LOST_REPLY;
        }
        if (write && profile.heldPct > 0 && choices.chance(profile.heldPct)) {
            trace.note("fault: " + what + " is held on the network (its reply is lost now; it lands later, or never)");
            return PrimaryFault.HELD;
        }
        return PrimaryFault.NONE;
    }

    /** @return true while faults may strike the calling actor */
    boolean faultsActive() {
        return !healing && Sched.currentActor() != null;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        String s = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    // ------------------------------------------------------------------ nodes

    /** One instance of the schedule. */
    final class Node implements ExplorerNode<T> {
        final String name;
        final VirtualTime.NodeClock clock;
        final Executors2.CallerRuns executor = new Executors2.CallerRuns();
        final Executors2.Manual scheduler = new Executors2.Manual();
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final Map<String, SinkSettings> sinkSettings = new LinkedHashMap<>();
        DualWriter<T> writer;
        ExplorerWorld.CallerWrites<T> callerWrites;
        volatile History.Call<T> calling;

        Node(String name, long skewMillis) {
            this.name = name;
            this.clock = new VirtualTime.NodeClock(time, skewMillis);
            for (String sink : settings.sinks) {
                sinkSettings.put(sink, SinkSettings.builder().policy(profile.policies.get(sink))
                        .maxAttempts(2).backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).jitter(0)
                        .attemptTimeout(Duration.ofSeconds(1))
                        .clientEnforcesTimeout(true)
                        .circuitBreaker(CircuitBreakerConfig.from(SinkSettings.defaultCircuitBreaker())
                                .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50)
                                .waitDurationInOpenState(InterleavingExplorer.BREAKER_WAIT).clock(clock).build())
                        .build());
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        @Override
        public DualWriterBuilder<T> configure(DualWriterBuilder<T> b) {
            return b.clock(clock).executor(executor).scheduler(scheduler).workerId("worker-" + name)
                    .meterRegistry(meters).gracePeriod(InterleavingExplorer.GRACE_PERIOD)
                    .lease(InterleavingExplorer.LEASE)
                    .recoveryRetry(50, InterleavingExplorer.INITIAL_BACKOFF, InterleavingExplorer.MAX_BACKOFF)
                    .recoveryBatchSize(3).acknowledgements(2, Duration.ofMillis(10))
                    .requestKeyWindow(Duration.ofHours(1));
        }

        @Override
        public <D> MongoCollection<D> collection(MongoCollection<D> collection) {
            return CommandInterceptor.wrap(collection, this);
        }

        @Override
        public PrimaryStore<T> primary(PrimaryStore<T> store) {
            return new InterceptedStore<>(store, Run.this, this);
        }

        @Override
        public DualWriterBuilder<T> register(DualWriterBuilder<T> builder, String sinkName, Sink<T> sink) {
            return builder.sink(sinkName, new InterceptedSink<>(sink, Run.this, this, sinkName), settings(sinkName));
        }

        @Override
        public SinkSettings settings(String sinkName) {
            SinkSettings s = sinkSettings.get(sinkName);
            if (s == null) {
                throw new IllegalArgumentException("'" + sinkName + "' is not a sink of this schedule: "
                        + sinkSettings.keySet());
            }
            return s;
        }

        PrimaryFault command(String what, boolean write, java.util.Collection<String> ids) {
            return primaryCommand(this, what, write, ids);
        }

        void hold(String what, java.util.Collection<String> ids, java.util.concurrent.Callable<?> body) {
            Run.this.hold(name + " " + what, ids, body);
        }

        @Override
        public String toString() {
            return "node " + name;
        }
    }

    Optional<Node> node(int i) {
        return i < nodes.size() ? Optional.of(nodes.get(i)) : Optional.empty();
    }

    List<Node> nodes() {
        return nodes;
    }
}
