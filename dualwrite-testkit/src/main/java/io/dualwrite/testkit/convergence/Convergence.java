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
package io.dualwrite.testkit.convergence;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeadLetters;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Snapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Compares the primary with one or more sinks and the dead-letter store, and says how each sink
 * differs: missing, stale (with both versions), orphan, phantom (a version the primary never
 * committed, or one ahead of it) and divergent (same version, different state, where states can
 * be compared). Run it once the system is quiet (faults healed, recovery done).
 *
 * <pre>{@code
 * Convergence.<Product>check()
 *         .primary(primaryStore)
 *         .sink("search", searchSink)
 *         .sink("cache", cacheSink)
 *         .deadLetters(deadLetterStore)
 *         .assertConverged();   // or .report() for the counts without throwing
 * }</pre>
 *
 * <p>A missing, stale or orphan entity is allowed when the dead-letter store holds a dead letter
 * for that entity and sink (the promise: "every sink at the primary's latest version, or the
 * entity in dead letters with its reason"); a phantom or divergent one never is.
 * Not thread-safe; a builder for one check.
 *
 * @param <T> the entity type
 */
public final class Convergence<T> {
    /** Snapshots read per {@link PrimaryStore#scan} call. */
    public static final int SCAN_PAGE = 500;

    private Supplier<Map<String, Snapshot<T>>> primary;
    private final Map<String, SinkView<T>> sinks = new LinkedHashMap<>();
    private Supplier<List<DeadLetter>> deadLetters = List::of;
    private String entityType;
    private BiPredicate<String, Long> committed;
    private BiPredicate<T, T> sameState = Objects::equals;

    private Convergence() {
    }

    /**
     * @param <T> the entity type
     * @return a new check
     */
    public static <T> Convergence<T> check() {
        return new Convergence<>();
    }

    /**
     * @param store the primary, read with {@link PrimaryStore#scan} (tombstones included), not null
     * @return this
     */
    public Convergence<T> primary(PrimaryStore<T> store) {
        Objects.requireNonNull(store, "store");
        this.primary = () -> {
            Map<String, Snapshot<T>> out = new TreeMap<>();
            String after = null;
            while (true) {
                List<Snapshot<T>> page = store.scan(after, SCAN_PAGE);
                if (page.isEmpty()) {
                    return out;
                }
                for (Snapshot<T> s : page) {
                    out.put(s.id(), s);
                }
                after = page.get(page.size() - 1).id();
            }
        };
        return this;
    }

    /**
     * @param writer the coordinator, read with {@link DualWriter#read}, not null
     * @param ids    every id the test wrote (the coordinator cannot list its entities), not null
     * @return this
     */
    public Convergence<T> primary(DualWriter<T> writer, Collection<String> ids) {
        Objects.requireNonNull(writer, "writer");
        Set<String> copy = new TreeSet<>(Objects.requireNonNull(ids, "ids"));
        this.primary = () -> {
            Map<String, Snapshot<T>> out = new TreeMap<>();
            for (String id : copy) {
                writer.operations().snapshot(id).ifPresent(s -> out.put(id, s));
            }
            return out;
        };
        return this;
    }

    /**
     * @param name the sink's name (as registered with the coordinator), not null
     * @param sink the sink; an {@link InMemorySink} has its states compared too
     * @return this
     */
    public Convergence<T> sink(String name, ReconcilableSink<T> sink) {
        return sink(name, SinkView.of(sink));
    }

    /**
     * @param sinks sinks by name, each added as {@link #sink(String, ReconcilableSink)}
     * @return this
     */
    public Convergence<T> sinks(Map<String, ? extends ReconcilableSink<T>> sinks) {
        Objects.requireNonNull(sinks, "sinks");
        sinks.forEach(this::sink);
        return this;
    }

    /**
     * @param name the sink's name (as registered with the coordinator), not null
     * @param view how to read the sink
     * @return this
     * @throws IllegalArgumentException if the name is already used
     */
    public Convergence<T> sink(String name, SinkView<T> view) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(view, "view");
        if (sinks.putIfAbsent(name, view) != null) {
            throw new IllegalArgumentException("sink '" + name + "' is already part of the check");
        }
        return this;
    }

    /**
     * @param store the dead-letter store; default none (nothing is explained by a dead letter)
     * @return this
     */
    public Convergence<T> deadLetters(DeadLetterStore store) {
        Objects.requireNonNull(store, "store");
        this.deadLetters = () -> store.list(everything());
        return this;
    }

    /**
     * @param letters a coordinator's dead letters ({@link DualWriter#deadLetters()})
     * @return this
     */
    public Convergence<T> deadLetters(DeadLetters letters) {
        Objects.requireNonNull(letters, "letters");
        this.deadLetters = () -> letters.list(everything());
        return this;
    }

    /**
     * @param entityType only dead letters of this entity type count; default any
     * @return this
     */
    public Convergence<T> entityType(String entityType) {
        this.entityType = Objects.requireNonNull(entityType, "entityType");
        return this;
    }

    /**
     * @param committedVersions every version the primary ever committed, per id (for example
     *                          recorded by a wrapper around the primary store); a sink version
     *                          outside it is a phantom. Default: only versions ahead of the
     *                          primary's are phantoms.
     * @return this
     */
    public Convergence<T> committedVersions(Map<String, ? extends Collection<Long>> committedVersions) {
        Objects.requireNonNull(committedVersions, "committedVersions");
        this.committed = (id, v) -> {
            Collection<Long> vs = committedVersions.get(id);
            return vs != null && vs.contains(v);
        };
        return this;
    }

    /**
     * @param sameState decides whether a sink's state equals the primary's at the same version;
     *                  default {@link Objects#equals}
     * @return this
     */
    public Convergence<T> sameState(BiPredicate<T, T> sameState) {
        this.sameState = Objects.requireNonNull(sameState, "sameState");
        return this;
    }

    /**
     * Runs the check.
     *
     * @return the report, never throwing for a difference
     * @throws IllegalStateException if no primary or no sink was given
     * @throws RuntimeException      if a sink cannot be read (wrapped in {@link IllegalStateException})
     */
    public ConvergenceReport report() {
        if (primary == null) {
            throw new IllegalStateException("no primary: call primary(...) first");
        }
        if (sinks.isEmpty()) {
            throw new IllegalStateException("no sink: call sink(...) at least once");
        }
        Map<String, Snapshot<T>> p = primary.get();
        Set<String> lettered = new HashSet<>();
        List<DeadLetter> letters = deadLetters.get();
        for (DeadLetter d : letters) {
            if (entityType == null || entityType.equals(d.entityType())) {
                lettered.add(d.sink() + '\u0000' + d.entityId());
            }
        }
        List<Discrepancy> issues = new ArrayList<>();
        List<Discrepancy> explained = new ArrayList<>();
        for (Map.Entry<String, SinkView<T>> e : sinks.entrySet()) {
            String name = e.getKey();
            SinkView<T> view = e.getValue();
            Map<String, Long> live = read(name, view::liveVersions);
            Set<String> ids = new TreeSet<>(p.keySet());
            ids.addAll(live.keySet());
            for (String id : ids) {
                Snapshot<T> s = p.get(id);
                long pv = s == null ? 0 : s.version();
                boolean pl = s != null && !s.deleted();
                Long sv = live.get(id);
                Discrepancy.Kind kind = null;
                if (sv != null) {
                    if ((pv > 0 && sv > pv) || (committed != null && !committed.test(id, sv))) {
                        kind = Discrepancy.Kind.PHANTOM;
                    } else if (!pl) {
                        kind = Discrepancy.Kind.ORPHAN;
                    } else if (sv < pv) {
                        kind = Discrepancy.Kind.STALE;
                    } else if (view.comparesState()) {
                        Optional<T> held = read(name, () -> view.state(id));
                        if (held.isEmpty() || !sameState.test(s.state().orElseThrow(), held.get())) {
                            kind = Discrepancy.Kind.DIVERGENT;
                        }
                    }
                } else if (pl) {
                    kind = Discrepancy.Kind.MISSING;
                }
                if (kind == null) {
                    continue;
                }
                Discrepancy d = new Discrepancy(kind, name, id, pv, pl, sv == null ? 0 : sv);
                boolean excusable = kind == Discrepancy.Kind.MISSING || kind == Discrepancy.Kind.STALE
                        || kind == Discrepancy.Kind.ORPHAN;
                if (excusable && lettered.contains(name + '\u0000' + id)) {
                    explained.add(d);
                } else {
                    issues.add(d);
                }
            }
        }
        issues.sort(Comparator.comparing(Discrepancy::sink).thenComparing(Discrepancy::kind)
                .thenComparing(Discrepancy::id));
        long pending = p.values().stream().filter(s -> !s.pending().isEmpty()).count();
        return new ConvergenceReport(issues, explained, p.size(), new ArrayList<>(sinks.keySet()), letters.size(),
                pending);
    }

    /**
     * Runs the check and fails when a sink has not converged.
     *
     * @return the report, when converged
     * @throws AssertionError with a readable diff otherwise
     */
    public ConvergenceReport assertConverged() {
        ConvergenceReport r = report();
        r.assertConverged();
        return r;
    }

    /**
     * Waits until the system is quiet, then checks: what a test calls once its writes are done, instead of sleeping
     * or looping by hand. Until {@code timeout} passes it repeats, for each writer, what the running system does in
     * the background (writes the queued acknowledgements, runs a recovery pass) and checks again; it returns as soon
     * as every writer's backlog is empty and every sink has converged.
     *
     * <p>Recovery takes over an intent only after the writer's grace period: build the writers of a test with
     * {@code gracePeriod(Duration.ZERO)} (or a clock the test moves) so that what the caller's path left is due at
     * once.
     *
     * @param timeout how long to wait for the system to go quiet
     * @param writers the writers whose recovery and acknowledgements to run
     * @return the report, when converged
     * @throws AssertionError with the last report's readable diff (and the backlog left) when the time runs out
     */
    public ConvergenceReport awaitConverged(Duration timeout, DualWriter<?>... writers) {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long backlog = 0;
            for (DualWriter<?> w : writers) {
                w.operations().flushAcknowledgements();
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
                backlog += w.operations().backlog();
            }
            ConvergenceReport r = report();
            if (backlog == 0 && r.converged()) {
                return r;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("not converged after " + timeout + ": " + (backlog > 0 ? backlog
                        + " entities still have intents pending (is the writers' grace period longer than the wait?)"
                        : "nothing is pending, yet the sinks differ from the primary") + "\n" + r);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the system to go quiet", e);
            }
        }
    }

    private static DeadLetterQuery everything() {
        return DeadLetterQuery.builder().limit(Integer.MAX_VALUE).build();
    }

    private static <R> R read(String sink, SinkRead<R> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not read sink '" + sink + "': " + e, e);
        }
    }

    @FunctionalInterface
    private interface SinkRead<R> {
        R get() throws Exception;
    }

    /**
     * Adapts a function that reads a sink's live versions into a view, for sinks that are not reconcilable.
     *
     * @param liveVersions returns every live id with its version
     * @param <T>          the entity type
     * @return the view
     */
    public static <T> SinkView<T> view(Supplier<Map<String, Long>> liveVersions) {
        Objects.requireNonNull(liveVersions, "liveVersions");
        return liveVersions::get;
    }

    /**
     * Adapts functions that read a sink's live versions and states into a view that compares states.
     *
     * @param liveVersions returns every live id with its version
     * @param state        returns an id's live state, empty if none
     * @param <T>          the entity type
     * @return the view
     */
    public static <T> SinkView<T> view(Supplier<Map<String, Long>> liveVersions, Function<String, Optional<T>> state) {
        Objects.requireNonNull(liveVersions, "liveVersions");
        Objects.requireNonNull(state, "state");
        return new SinkView<>() {
            @Override
            public Map<String, Long> liveVersions() {
                return liveVersions.get();
            }

            @Override
            public Optional<T> state(String id) {
                return state.apply(id);
            }

            @Override
            public boolean comparesState() {
                return true;
            }
        };
    }
}
