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
package io.dualwrite.mongo.reconcile;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.reconcile.ReconcileAbandonUnconfirmedException;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.ReconcileTakenOverException;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.ReconcilerBuilder;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.ReconcileCheckpoint;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.testkit.ForwardingReconcileStore;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Reconciler#abandon} and {@link Reconciler#apply} racing on one run, over small schedules: the run failed
 * mid-way (its checkpoint left, execution 0); two actors (on {@link MongoReconcileStore} and on the in-memory store)
 * or three (on the in-memory store), each an apply that resumes it or an abandon, pause after the first of up to two
 * (three actors: one) of their store steps (the claim, the first checkpoint write, a report write, the checkpoint's
 * end, the read-back of the checkpoint, the read-back of the report) and take turns. After every schedule: no store
 * exception escapes raw; a COMPLETED apply's report is the one the audit log holds; an abandon that returned a report
 * returned the one the audit log holds, an abandon's; an apply or abandon that threw
 * {@link ReconcileTakenOverException} left the run to a later execution, whose report the audit log holds; and the
 * run is over (completed or abandoned) or resumable, never both.
 */
@ExtendWith(MongoExtension.class)
class ReconcileAbandonInterleavingTest {
    private static final AtomicInteger N = new AtomicInteger();

    record Item(String id, String name) {
    }

    /** Which reconcile store the actors share. */
    enum Store {
        /** {@link MongoReconcileStore}, collections of its own per schedule. */
        MONGO,
        /** {@link InMemoryReconcileStore}. */
        IN_MEMORY
    }

    /** In-memory primary and sink, the reconcile store under test. */
    static final class ReconcileFixture implements AutoCloseable {
        final InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        final InMemorySink<Item> search = new InMemorySink<>();
        final ReconcileStore store;
        final DualWriter<Item> writer;

        ReconcileFixture(Store kind, MongoDatabase db) {
            int n = N.incrementAndGet();
            store = kind == Store.IN_MEMORY ? new InMemoryReconcileStore()
                    : MongoReconcileStore.builder(db).checkpointsCollection("abandon_icp_" + n)
                    .reportsCollection("abandon_irep_" + n).build();
            SinkSettings fast = SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(5)).build();
            writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                    .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search, fast)
                    .meterRegistry(new SimpleMeterRegistry()).build();
            for (int i = 0; i < 20; i++) {
                writer.save(new Item(String.format("i-%04d", i), "item " + i));
            }
            writer.operations().flushAcknowledgements();
        }

        void injectCommon() {
            primary.commit(PrimaryWrite.<Item>builder().id("i-9000").operation(Operation.UPSERT)
                    .state(new Item("i-9000", "unseen")).intents(List.of()).correlationId("test")
                    .time(java.time.Instant.now()).build());
        }

        ReconcilerBuilder<Item> reconciler() {
            return Reconciler.<Item>builder().writer(writer).primary(primary).sink("search", search).store(store)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(4).repairsPerSecond(1_000_000);
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    enum Kind { APPLY, ABANDON }

    enum Pair {
        APPLY_ABANDON(Kind.APPLY, Kind.ABANDON), ABANDON_APPLY(Kind.ABANDON, Kind.APPLY),
        ABANDON_ABANDON(Kind.ABANDON, Kind.ABANDON);

        final Kind a;
        final Kind b;

        Pair(Kind a, Kind b) {
            this.a = a;
            this.b = b;
        }
    }

    static final List<String> APPLY_POINTS = List.of("claim", "walk", "report", "end", "cpRead", "reportRead");
    static final List<String> ABANDON_POINTS = List.of("claim", "report", "end", "cpRead", "reportRead");

    static List<List<String>> pauseSets(Kind k) {
        List<String> pts = k == Kind.APPLY ? APPLY_POINTS : ABANDON_POINTS;
        List<List<String>> out = new ArrayList<>();
        out.add(List.of());
        for (int i = 0; i < pts.size(); i++) {
            out.add(List.of(pts.get(i)));
            for (int j = i + 1; j < pts.size(); j++) {
                out.add(List.of(pts.get(i), pts.get(j)));
            }
        }
        return out;
    }

    /** An actor that parks after each of its pause points (first occurrence) until the driver lets it go on. */
    static final class Actor {
        final String name;
        final Kind kind;
        final List<String> pauses;
        final Set<String> seen = new HashSet<>();
        final Semaphore go = new Semaphore(0);
        final Semaphore parked = new Semaphore(0);
        final CountDownLatch done = new CountDownLatch(1);
        final List<String> trace = new ArrayList<>();
        volatile boolean ended;
        /** The run of the first checkpoint this actor claimed, or of its own run's first checkpoint. */
        volatile String claimedRun;
        /** The execution number of the first claim this actor made (0 for a run of its own), -1 before it. */
        volatile int claimedExecution = -1;
        volatile Object result;
        volatile Throwable thrown;

        Actor(String name, Kind kind, List<String> pauses) {
            this.name = name;
            this.kind = kind;
            this.pauses = pauses;
        }

        void point(String p) {
            boolean park;
            synchronized (trace) {
                trace.add(p);
                park = pauses.contains(p) && seen.add(p);
            }
            if (park) {
                parked.release();
                acquire(go);
            }
        }

        static void acquire(Semaphore s) {
            try {
                if (!s.tryAcquire(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never let go on");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        ReconcileStore store(ReconcileStore base) {
            return new ForwardingReconcileStore(base) {
                @Override
                public OptionalInt claimResume(ReconcileCheckpoint checkpoint) {
                    OptionalInt n = super.claimResume(checkpoint);
                    if (claimedRun == null && n.isPresent()) {
                        claimedExecution = n.getAsInt();
                        claimedRun = checkpoint.report().runId();
                    }
                    point("claim");
                    return n;
                }

                @Override
                public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                    if (claimedRun == null) {
                        // a run of its own: nothing was left to resume when it started
                        claimedExecution = checkpoint.report().resumes();
                        claimedRun = checkpoint.report().runId();
                    }
                    super.saveCheckpoint(checkpoint);
                    point("walk");
                }

                @Override
                public void saveReport(ReconcileReport report) {
                    super.saveReport(report);
                    point("report");
                }

                @Override
                public void endCheckpoint(String runKey, String runId, int resumes) {
                    super.endCheckpoint(runKey, runId, resumes);
                    ended = true;
                    point("end");
                }

                @Override
                public Optional<ReconcileCheckpoint> checkpoint(String runKey) {
                    Optional<ReconcileCheckpoint> c = super.checkpoint(runKey);
                    if (ended) {
                        point("cpRead");
                    }
                    return c;
                }

                @Override
                public Optional<ReconcileReport> report(String entityType, String runId) {
                    Optional<ReconcileReport> r = super.report(entityType, runId);
                    if (ended) {
                        point("reportRead");
                    }
                    return r;
                }
            };
        }

        void start(Reconciler r, ReconcileScope scope) {
            Thread t = new Thread(() -> {
                try {
                    acquire(go);
                    result = kind == Kind.APPLY ? r.apply(scope) : r.abandon(scope);
                } catch (Throwable e) {
                    thrown = e;
                } finally {
                    done.countDown();
                }
            }, name);
            t.setDaemon(true);
            t.start();
        }

        /** Lets the actor run to its next pause point or to its end. */
        void runSegment() throws InterruptedException {
            go.release();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!parked.tryAcquire(1, TimeUnit.MILLISECONDS)) {
                if (done.getCount() == 0) {
                    return;
                }
                if (System.nanoTime() > until) {
                    throw new IllegalStateException(name + " neither parked nor ended");
                }
            }
        }

        void finish() throws InterruptedException {
            go.release(100);
            if (!done.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " did not end");
            }
        }

        String describe() {
            synchronized (trace) {
                return name + " " + kind + " pauses " + pauses + " steps " + trace + " -> "
                        + (thrown != null ? thrown : result instanceof ReconcileReport rr ? rr.status() + " exec "
                        + rr.resumes() + " run " + rr.runId() : result instanceof Optional<?> o && o.isPresent()
                        ? "abandoned exec " + ((ReconcileReport) o.get()).resumes() : String.valueOf(result));
            }
        }
    }

    static boolean isAbandon(ReconcileReport r) {
        return r.status() == RunStatus.FAILED && !r.errors().isEmpty()
                && r.errors().get(r.errors().size() - 1).startsWith("abandoned at sink '");
    }

    /** A run whose third checkpoint write fails: FAILED report (execution 0), its second checkpoint left. */
    static String leaveUnfinished(ReconcileFixture f, ReconcileScope scope) {
        AtomicInteger writes = new AtomicInteger();
        ReconcileStore failing = new ForwardingReconcileStore(f.store) {
            @Override
            public void saveCheckpoint(ReconcileCheckpoint checkpoint) {
                if (writes.incrementAndGet() == 3) {
                    throw new IllegalStateException("store down (injected)");
                }
                super.saveCheckpoint(checkpoint);
            }
        };
        try {
            f.reconciler().store(failing).build().apply(scope);
        } catch (ReconcileException expected) {
            // the run failed, its checkpoint stays
        }
        return f.reconciler().build().unfinished(scope).orElseThrow().runId();
    }

    /**
     * Runs every schedule of the actors: each pauses at one of the given sets of its steps, and they take turns, the
     * first running to its first pause, the second to its first, the first to its second, and so on.
     *
     * @param kinds     what each actor does, in turn order
     * @param maxPauses the most pauses of one actor
     * @return violations found, by kind, with one example each
     */
    static Map<String, String> explore(List<Kind> kinds, int maxPauses, Supplier<ReconcileFixture> fixtures)
            throws Exception {
        List<List<List<String>>> schedules = new ArrayList<>();
        schedules.add(List.of());
        for (Kind k : kinds) {
            List<List<List<String>>> next = new ArrayList<>();
            for (List<List<String>> prefix : schedules) {
                for (List<String> pauses : pauseSets(k)) {
                    if (pauses.size() <= maxPauses) {
                        List<List<String>> longer = new ArrayList<>(prefix);
                        longer.add(pauses);
                        next.add(longer);
                    }
                }
            }
            schedules = next;
        }
        Map<String, String> violations = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (List<List<String>> schedule : schedules) {
            try (ReconcileFixture f = fixtures.get()) {
                f.injectCommon();
                ReconcileScope scope = ReconcileScope.all();
                String runId = leaveUnfinished(f, scope);
                List<Actor> actors = new ArrayList<>();
                for (int n = 0; n < kinds.size(); n++) {
                    Actor x = new Actor(String.valueOf((char) ('A' + n)), kinds.get(n), schedule.get(n));
                    x.start(f.reconciler().store(x.store(f.store)).build(), scope);
                    actors.add(x);
                }
                for (int turn = 0; turn <= maxPauses; turn++) {
                    for (Actor x : actors) {
                        if (turn <= x.pauses.size()) {
                            x.runSegment();
                        }
                    }
                }
                for (Actor x : actors) {
                    x.finish();
                }
                for (String v : check(f, scope, runId, "item", actors)) {
                    String kind = v.substring(0, v.indexOf(':'));
                    counts.merge(kind, 1, Integer::sum);
                    violations.putIfAbsent(kind, v);
                }
            }
        }
        System.out.println(kinds + ": " + schedules.size() + " schedules, violations " + counts);
        return violations;
    }

    static List<String> check(ReconcileFixture f, ReconcileScope scope, String runId, String type,
                              List<Actor> actors) {
        List<String> out = new ArrayList<>();
        StringBuilder story = new StringBuilder();
        for (Actor a : actors) {
            story.append("\n  ").append(a.describe());
        }
        ReconcileReport audit = f.store.report(type, runId).orElseThrow();
        story.append("\n  audit log for run ").append(runId).append(": ").append(audit.status()).append(" exec ")
                .append(audit.resumes()).append(isAbandon(audit) ? " (abandon)" : "");
        for (Actor a : actors) {
            boolean expected = a.kind == Kind.APPLY ? a.thrown instanceof ReconcileException
                    : a.thrown instanceof ReconcileAbandonUnconfirmedException;
            if (a.thrown != null && !expected && !(a.thrown instanceof ReconcileTakenOverException)) {
                out.add("raw exception out of " + a.kind + ": " + a.thrown + story);
            }
            if (a.kind == Kind.APPLY && a.result instanceof ReconcileReport r && r.status() == RunStatus.COMPLETED) {
                ReconcileReport held = f.store.report(type, r.runId()).orElseThrow();
                if (!(held.status() == RunStatus.COMPLETED && held.resumes() == r.resumes())) {
                    out.add("COMPLETED apply not held: exec " + r.resumes() + " but the audit log holds "
                            + held.status() + " exec " + held.resumes() + story);
                }
            }
            if (a.kind == Kind.ABANDON && a.result instanceof Optional<?> o && o.isPresent()) {
                ReconcileReport r = (ReconcileReport) o.get();
                ReconcileReport held = f.store.report(type, r.runId()).orElseThrow();
                if (!(isAbandon(held) && held.resumes() == r.resumes())) {
                    out.add("returned abandon not held: exec " + r.resumes() + " of run " + r.runId() + ", held "
                            + held.status() + " exec " + held.resumes() + story);
                }
            }
            if (a.thrown instanceof ReconcileTakenOverException) {
                ReconcileReport held = a.claimedRun == null ? null : f.store.report(type, a.claimedRun).orElseThrow();
                if (held == null || held.resumes() <= a.claimedExecution) {
                    out.add("taken over, yet no later execution's report stands: " + a.kind + " exec "
                            + a.claimedExecution + ", " + a.thrown.getMessage() + story);
                }
                if (a.kind == Kind.ABANDON && held != null && isAbandon(held)
                        && a.thrown.getMessage().contains("was not abandoned")) {
                    out.add("abandon says the run was not abandoned, yet it is: " + a.thrown.getMessage() + story);
                }
            }
        }
        Optional<ReconcileReport> left = f.reconciler().build().unfinished(scope);
        boolean over = audit.status() == RunStatus.COMPLETED || isAbandon(audit);
        if (over && left.isPresent() && left.get().runId().equals(runId)) {
            out.add("over but resumable: unfinished() shows exec " + left.get().resumes() + story);
        }
        if (!over && !(left.isPresent() && left.get().runId().equals(runId))) {
            out.add("neither over nor resumable: " + story);
        }
        return out;
    }

    enum Triple {
        APPLY_ABANDON_APPLY(Kind.APPLY, Kind.ABANDON, Kind.APPLY), APPLY_APPLY_ABANDON(Kind.APPLY, Kind.APPLY,
                Kind.ABANDON), ABANDON_APPLY_APPLY(Kind.ABANDON, Kind.APPLY, Kind.APPLY),
        ABANDON_APPLY_ABANDON(Kind.ABANDON, Kind.APPLY, Kind.ABANDON);

        final Kind a;
        final Kind b;
        final Kind c;

        Triple(Kind a, Kind b, Kind c) {
            this.a = a;
            this.b = b;
            this.c = c;
        }
    }

    /** Three actors run on the in-memory store only, to keep the build short: the pairs run on both stores. */
    static Stream<Arguments> triples() {
        return Stream.of(Triple.values()).map(t -> Arguments.of(t, Store.IN_MEMORY));
    }

    static Stream<Arguments> pairs() {
        return Stream.of(Store.values()).flatMap(st -> Stream.of(Pair.values()).map(p -> Arguments.of(p, st)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("triples")
    void everyThreeActorScheduleKeepsThePromises(Triple t, Store store, MongoDatabase db) throws Exception {
        Map<String, String> violations = explore(List.of(t.a, t.b, t.c), 1, () -> new ReconcileFixture(store, db));
        assertTrue(violations.isEmpty(), t + " on " + store + ": " + String.join("\n\n", violations.values()));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("pairs")
    void everyScheduleKeepsThePromises(Pair pair, Store store, MongoDatabase db) throws Exception {
        Map<String, String> violations = explore(List.of(pair.a, pair.b), 2, () -> new ReconcileFixture(store, db));
        assertTrue(violations.isEmpty(), pair + " on " + store + ": " + String.join("\n\n", violations.values()));
    }
}
