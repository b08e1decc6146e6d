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
package io.dualwrite.testkit.fault;

import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps any sink and injects faults into its calls, seeded and reproducible: failing the next N
 * calls, failing by chance, latency, timeouts (a call sleeps past the coordinator's time limit
 * while the destination still takes the change), duplicate deliveries, reordering (a call is held
 * back until a later one overtakes it), lost acknowledgements (the change is applied, then the
 * call throws) and poisoned entities (every change of a chosen id fails permanently: rejected by
 * the destination, or, with {@link PoisonStage#MAPPING}, failing in the mapping stage as if the
 * application's mapper threw for it, so it never reaches the destination).
 *
 * <pre>{@code
 * FaultySink<Product> search = FaultySink.wrap(realSearchSink)
 *         .seed(42)
 *         .failProbability(0.2, ErrorKind.TRANSIENT)
 *         .latency(0.1, Duration.ofMillis(5))
 *         .applyThenThrow(0.05)
 *         .poison("p-13")
 *         .build();
 * ... run the test ...
 * search.heal();  // every fault but the poison is off from now on
 * }</pre>
 *
 * <p>One {@link Random} with the given seed decides every fault, so a run whose calls arrive in
 * the same order makes the same decisions; {@link #toString()} prints the seed. Failures are
 * {@link InjectedFaultException}s carrying the {@link ErrorKind} chosen; {@link #classifier()}
 * recognises them and asks the wrapped sink's classifier about anything else. Faults strike in
 * {@link #send} and {@link #sendAll}, which every delivery goes through ({@link ForwardingSink});
 * a poison at {@link PoisonStage#MAPPING} strikes in {@link #map}, and so in {@link #validate} too.
 * Reads ({@link #versionsOf}, {@link #idsAfter}) pass through untouched.
 *
 * <p>Thread-safe: the coordinator calls it from several threads.
 *
 * @param <T> the entity type
 */
public final class FaultySink<T> extends ForwardingSink<T> {
    /** The seed used when none is set. */
    public static final long DEFAULT_SEED = 1L;
    /** Where a poisoned entity fails when none is set: the destination rejects it. */
    public static final PoisonStage DEFAULT_POISON_STAGE = PoisonStage.DESTINATION;

    private final long seed;
    private final Random random;
    private final Settings settings;
    private final PoisonStage poisonStage;
    private final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failNext = new AtomicInteger();
    private final AtomicInteger holdNext = new AtomicInteger();
    private final AtomicInteger holding = new AtomicInteger();
    private volatile ErrorKind failNextKind = ErrorKind.TRANSIENT;
    private volatile boolean healed;
    private volatile long releases;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    private final Object overtaken = new Object();

    private FaultySink(Builder<T> b) {
        super(b.delegate);
        this.seed = b.seed;
        this.random = new Random(b.seed);
        this.settings = new Settings(b);
        this.poisonStage = b.poisonStage;
        this.poisoned.addAll(b.poison);
        this.failNext.set(b.failNext);
        this.failNextKind = b.failNextKind;
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
    }

    /**
     * @param delegate the sink to wrap, not null
     * @param <T>      the entity type
     * @return a builder with no fault configured
     */
    public static <T> Builder<T> wrap(Sink<T> delegate) {
        return new Builder<>(delegate);
    }

    // ------------------------------------------------------------------ the sink

    /**
     * With {@link PoisonStage#MAPPING}, fails a poisoned entity here, as the application's mapping
     * code would; otherwise maps as the wrapped sink does.
     */
    @Override
    public Object map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        if (poisonStage == PoisonStage.MAPPING) {
            rejectIfPoisoned(change);
        }
        return super.map(change);
    }

    @Override
    public ApplyResult send(Change<T> change, Object request) throws Exception {
        Objects.requireNonNull(change, "change");
        calls.incrementAndGet();
        try {
            if (poisonStage == PoisonStage.DESTINATION) {
                rejectIfPoisoned(change);
            }
            Decision d = healed ? healedDecision() : decide(true);
            failIfDecided(d, change.idempotencyKey());
            delay(d);
            boolean interrupted = d.timeout && sleepPastTheLimit();
            ApplyResult result = super.send(change, request);
            if (d.duplicate) {
                count(Fault.DUPLICATE);
                super.send(change, request);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new InjectedFaultException(Fault.TIMEOUT, ErrorKind.UNKNOWN_OUTCOME,
                        "injected timeout: " + change.idempotencyKey() + " was applied after the caller gave up");
            }
            if (d.applyThenThrow) {
                count(Fault.APPLY_THEN_THROW);
                throw new InjectedFaultException(Fault.APPLY_THEN_THROW, ErrorKind.UNKNOWN_OUTCOME,
                        "injected lost acknowledgement: " + change.idempotencyKey() + " was applied");
            }
            return result;
        } finally {
            callDone();
        }
    }

    /**
     * Call-level faults (fail next, latency, timeout, reorder) apply to the whole call; per-item
     * faults (poison, random failure, duplicate, lost acknowledgement) are decided per change.
     * The changes that are not failed go to the wrapped sink's {@code sendAll} in one call.
     */
    @Override
    public List<Sink.BatchItem> sendAll(List<Mapped<T, Object>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        calls.incrementAndGet();
        List<Change<T>> changes = new ArrayList<>(mapped.size());
        mapped.forEach(m -> changes.add(m.change()));
        try {
            boolean faulty = !healed;
            Decision call = faulty ? decide(false) : healedDecision();
            failIfDecided(call, changes.size() + " changes");
            delay(call);
            boolean interrupted = call.timeout && sleepPastTheLimit();
            Sink.BatchItem[] out = new Sink.BatchItem[changes.size()];
            Decision[] perItem = new Decision[changes.size()];
            List<Mapped<T, Object>> toApply = new ArrayList<>();
            List<Integer> positions = new ArrayList<>();
            List<Mapped<T, Object>> duplicates = new ArrayList<>();
            for (int i = 0; i < changes.size(); i++) {
                Change<T> c = changes.get(i);
                if (poisonStage == PoisonStage.DESTINATION && poisoned.contains(c.id())) {
                    count(Fault.POISON);
                    out[i] = Sink.BatchItem.failed(poison(c));
                    continue;
                }
                perItem[i] = faulty ? decideItem() : Decision.NONE;
                if (perItem[i].fail) {
                    count(Fault.FAIL_RANDOM);
                    out[i] = Sink.BatchItem.failed(new InjectedFaultException(Fault.FAIL_RANDOM, settings.failKind,
                            "injected " + settings.failKind + " failure of " + c.idempotencyKey()));
                    continue;
                }
                toApply.add(mapped.get(i));
                positions.add(i);
                if (perItem[i].duplicate) {
                    duplicates.add(mapped.get(i));
                }
            }
            List<Sink.BatchItem> results = toApply.isEmpty() ? List.of() : super.sendAll(toApply);
            if (results == null || results.size() != toApply.size()) {
                throw new IllegalStateException("the wrapped sink returned " + (results == null ? "no" : results.size())
                        + " results for " + toApply.size() + " changes");
            }
            if (!duplicates.isEmpty()) {
                count(Fault.DUPLICATE, duplicates.size());
                super.sendAll(duplicates);
            }
            for (int k = 0; k < positions.size(); k++) {
                int i = positions.get(k);
                Sink.BatchItem r = results.get(k);
                if (r.succeeded() && perItem[i].applyThenThrow) {
                    count(Fault.APPLY_THEN_THROW);
                    r = Sink.BatchItem.failed(new InjectedFaultException(Fault.APPLY_THEN_THROW, ErrorKind.UNKNOWN_OUTCOME,
                            "injected lost acknowledgement: " + changes.get(i).idempotencyKey() + " was applied"));
                }
                out[i] = r;
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new InjectedFaultException(Fault.TIMEOUT, ErrorKind.UNKNOWN_OUTCOME,
                        "injected timeout: " + changes.size() + " changes were applied after the caller gave up");
            }
            return Collections.unmodifiableList(Arrays.asList(out));
        } finally {
            callDone();
        }
    }

    /** @return a classifier that knows injected faults and asks the wrapped sink's classifier about the rest */
    @Override
    public ErrorClassifier classifier() {
        ErrorClassifier own = super.classifier();
        return error -> {
            Throwable e = error;
            while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
                e = e.getCause();
            }
            return e instanceof InjectedFaultException ? ((InjectedFaultException) e).kind() : own.classify(error);
        };
    }

    // ------------------------------------------------------------------ controls

    /**
     * Turns every fault off from now on, except the poison ({@link #clearPoison()} lifts that:
     * a poisoned payload stays poisoned when the network heals), and releases held calls.
     * {@link #failNext(int, ErrorKind)} and {@link #holdNext(int)} called afterwards still apply.
     */
    public void heal() {
        healed = true;
        failNext.set(0);
        holdNext.set(0);
        synchronized (overtaken) {
            releases++;
            overtaken.notifyAll();
        }
    }

    /** Turns the configured faults back on after {@link #heal()}. */
    public void unheal() {
        healed = false;
    }

    /** @return true after {@link #heal()} and before {@link #unheal()} */
    public boolean healed() {
        return healed;
    }

    /**
     * Makes the next {@code n} calls fail, even after {@link #heal()} (a new outage).
     *
     * @param n    how many calls, not negative
     * @param kind how they fail
     */
    public void failNext(int n, ErrorKind kind) {
        Args.atLeast(n, 0, "n");
        failNextKind = Objects.requireNonNull(kind, "kind");
        failNext.set(n);
    }

    /**
     * Holds the next {@code n} calls back until a later call has completed (or the reorder hold
     * passed), even after {@link #heal()}: a deterministic reordering for targeted tests.
     *
     * @param n how many calls, not negative
     */
    public void holdNext(int n) {
        Args.atLeast(n, 0, "n");
        holdNext.set(n);
    }

    /** @return calls being held back right now */
    public int holding() {
        return holding.get();
    }

    /**
     * @param id an entity id whose every change will fail permanently, at the
     *           {@linkplain Builder#poisonStage(PoisonStage) poison stage}
     */
    public void poison(String id) {
        poisoned.add(Objects.requireNonNull(id, "id"));
    }

    /** Lifts every poison. */
    public void clearPoison() {
        poisoned.clear();
    }

    /** @return the poisoned ids, a snapshot */
    public Set<String> poisoned() {
        return Set.copyOf(poisoned);
    }

    /**
     * @param fault a fault kind
     * @return how many times it was injected
     */
    public long injected(Fault fault) {
        return injected.get(Objects.requireNonNull(fault, "fault")).get();
    }

    /** @return how many faults were injected, all kinds together */
    public long injectedTotal() {
        return injected.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** @return faults injected per kind (kinds never injected included with 0), a snapshot */
    public Map<Fault, Long> injectedByKind() {
        Map<Fault, Long> out = new EnumMap<>(Fault.class);
        injected.forEach((f, n) -> out.put(f, n.get()));
        return out;
    }

    /** @return calls received ({@code send} and {@code sendAll}; an {@code apply} is one {@code send}) */
    public long calls() {
        return calls.get();
    }

    /** @return the seed of this wrapper's decisions */
    public long seed() {
        return seed;
    }

    @Override
    public String toString() {
        return "FaultySink{seed=" + seed + ", " + settings + (poisoned.isEmpty() ? ""
                : ", poison=" + poisoned.size() + " id(s) at " + poisonStage)
                + (healed ? ", healed" : "") + ", calls=" + calls.get() + ", injected=" + injectedTotal() + "}";
    }

    // ------------------------------------------------------------------ internals

    private void rejectIfPoisoned(Change<T> change) {
        if (poisoned.contains(change.id())) {
            count(Fault.POISON);
            throw poison(change);
        }
    }

    private InjectedFaultException poison(Change<T> change) {
        return new InjectedFaultException(Fault.POISON, ErrorKind.PERMANENT, poisonStage == PoisonStage.MAPPING
                ? "injected mapping failure of poisoned entity " + change.idempotencyKey()
                : "injected permanent rejection of poisoned entity " + change.idempotencyKey());
    }

    private void failIfDecided(Decision d, String what) {
        if (d.failNext) {
            count(Fault.FAIL_NEXT);
            throw new InjectedFaultException(Fault.FAIL_NEXT, failNextKind, "injected " + failNextKind
                    + " failure (fail-next) of " + what);
        }
        if (d.fail) {
            count(Fault.FAIL_RANDOM);
            throw new InjectedFaultException(Fault.FAIL_RANDOM, settings.failKind, "injected " + settings.failKind
                    + " failure of " + what);
        }
    }

    private void delay(Decision d) {
        if (d.latencyNanos > 0) {
            count(Fault.LATENCY);
            sleepNanos(d.latencyNanos);
        }
        if (d.reorder) {
            count(Fault.REORDER);
            holdUntilOvertaken();
        }
    }

    /** @return true when the caller interrupted the sleep (its time limit cancelled the call) */
    private boolean sleepPastTheLimit() {
        count(Fault.TIMEOUT);
        try {
            TimeUnit.NANOSECONDS.sleep(settings.timeoutSleep.toNanos());
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }

    private void holdUntilOvertaken() {
        long seen = completed.get();
        long deadline = System.nanoTime() + settings.reorderHold.toNanos();
        long release = releases;
        holding.incrementAndGet();
        try {
            holdUntil(seen, release, deadline);
        } finally {
            holding.decrementAndGet();
        }
    }

    private void holdUntil(long seen, long release, long deadline) {
        synchronized (overtaken) {
            while (completed.get() == seen && releases == release) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(overtaken, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InjectedFaultException(Fault.REORDER, ErrorKind.TRANSIENT,
                            "a held call was interrupted before it reached the destination");
                }
            }
        }
    }

    private void callDone() {
        completed.incrementAndGet();
        if (holding.get() > 0) {
            synchronized (overtaken) {
                overtaken.notifyAll();
            }
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void count(Fault f) {
        injected.get(f).incrementAndGet();
    }

    private void count(Fault f, int n) {
        injected.get(f).addAndGet(n);
    }

    /** Draws every decision of one call at once, so the sequence of draws depends only on the call order. */
    private Decision decide(boolean withItemFaults) {
        boolean held = take(holdNext);
        boolean fn = take(failNext);
        Settings s = settings;
        synchronized (random) {
            boolean fail = withItemFaults && chance(s.failProbability);
            long latency = chance(s.latencyProbability) ? (long) (random.nextDouble() * s.latencyMax.toNanos()) + 1 : 0;
            boolean timeout = chance(s.timeoutProbability);
            boolean reorder = chance(s.reorderProbability) || held;
            boolean duplicate = withItemFaults && chance(s.duplicateProbability);
            boolean applyThenThrow = withItemFaults && chance(s.applyThenThrowProbability);
            return new Decision(fn, fail, latency, timeout, reorder, duplicate, applyThenThrow);
        }
    }

    /** After {@link #heal()} only the explicitly requested faults remain: fail-next and hold-next. */
    private Decision healedDecision() {
        boolean fn = take(failNext);
        boolean held = take(holdNext);
        return fn || held ? new Decision(fn, false, 0, false, held, false, false) : Decision.NONE;
    }

    private Decision decideItem() {
        Settings s = settings;
        synchronized (random) {
            boolean fail = chance(s.failProbability);
            boolean duplicate = chance(s.duplicateProbability);
            boolean applyThenThrow = chance(s.applyThenThrowProbability);
            return new Decision(false, fail, 0, false, false, duplicate, applyThenThrow);
        }
    }

    private static boolean take(AtomicInteger counter) {
        int left = counter.get();
        while (left > 0) {
            if (counter.compareAndSet(left, left - 1)) {
                return true;
            }
            left = counter.get();
        }
        return false;
    }

    private boolean chance(double p) {
        // always draw, so the sequence does not depend on which faults are configured as zero
        double x = random.nextDouble();
        return x < p;
    }

    private static final class Decision {
        static final Decision NONE = new Decision(false, false, 0, false, false, false, false);

        final boolean failNext;
        final boolean fail;
        final long latencyNanos;
        final boolean timeout;
        final boolean reorder;
        final boolean duplicate;
        final boolean applyThenThrow;

        Decision(boolean failNext, boolean fail, long latencyNanos, boolean timeout, boolean reorder,
                 boolean duplicate, boolean applyThenThrow) {
            this.failNext = failNext;
            this.fail = fail;
            this.latencyNanos = latencyNanos;
            this.timeout = timeout;
            this.reorder = reorder;
            this.duplicate = duplicate;
            this.applyThenThrow = applyThenThrow;
        }
    }

    private static final class Settings {
        final double failProbability;
        final ErrorKind failKind;
        final double latencyProbability;
        final Duration latencyMax;
        final double timeoutProbability;
        final Duration timeoutSleep;
        final double duplicateProbability;
        final double reorderProbability;
        final Duration reorderHold;
        final double applyThenThrowProbability;

        Settings(Builder<?> b) {
            this.failProbability = b.failProbability;
            this.failKind = b.failKind;
            this.latencyProbability = b.latencyProbability;
            this.latencyMax = b.latencyMax;
            this.timeoutProbability = b.timeoutProbability;
            this.timeoutSleep = b.timeoutSleep;
            this.duplicateProbability = b.duplicateProbability;
            this.reorderProbability = b.reorderProbability;
            this.reorderHold = b.reorderHold;
            this.applyThenThrowProbability = b.applyThenThrowProbability;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            if (failProbability > 0) {
                sb.append("fail=").append(failProbability).append(' ').append(failKind).append(", ");
            }
            if (latencyProbability > 0) {
                sb.append("latency=").append(latencyProbability).append("≤").append(latencyMax.toMillis()).append("ms, ");
            }
            if (timeoutProbability > 0) {
                sb.append("timeout=").append(timeoutProbability).append('/').append(timeoutSleep.toMillis()).append("ms, ");
            }
            if (duplicateProbability > 0) {
                sb.append("duplicate=").append(duplicateProbability).append(", ");
            }
            if (reorderProbability > 0) {
                sb.append("reorder=").append(reorderProbability).append("≤").append(reorderHold.toMillis()).append("ms, ");
            }
            if (applyThenThrowProbability > 0) {
                sb.append("applyThenThrow=").append(applyThenThrowProbability).append(", ");
            }
            return sb.length() == 0 ? "no random faults" : sb.substring(0, sb.length() - 2);
        }
    }

    /**
     * Builds a {@link FaultySink}. Every probability is within 0..1 and defaults to 0 (off).
     * Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        /** The longest hold of a reordered call when none is set. */
        public static final Duration DEFAULT_REORDER_HOLD = Duration.ofMillis(20);

        private final Sink<T> delegate;
        private long seed = DEFAULT_SEED;
        private int failNext;
        private ErrorKind failNextKind = ErrorKind.TRANSIENT;
        private double failProbability;
        private ErrorKind failKind = ErrorKind.TRANSIENT;
        private double latencyProbability;
        private Duration latencyMax = Duration.ZERO;
        private double timeoutProbability;
        private Duration timeoutSleep = Duration.ZERO;
        private double duplicateProbability;
        private double reorderProbability;
        private Duration reorderHold = DEFAULT_REORDER_HOLD;
        private double applyThenThrowProbability;
        private final List<String> poison = new ArrayList<>();
        private PoisonStage poisonStage = DEFAULT_POISON_STAGE;

        private Builder(Sink<T> delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /**
         * @param seed the seed of every random decision; default {@value FaultySink#DEFAULT_SEED}
         * @return this
         */
        public Builder<T> seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param n    the first {@code n} calls fail (before reaching the destination); default 0
         * @param kind how they fail
         * @return this
         */
        public Builder<T> failNext(int n, ErrorKind kind) {
            Args.atLeast(n, 0, "n");
            this.failNext = n;
            this.failNextKind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * @param probability chance that a call (or a batch item) fails before reaching the destination; default 0
         * @param kind        how it fails
         * @return this
         */
        public Builder<T> failProbability(double probability, ErrorKind kind) {
            this.failProbability = probability(probability, "failProbability");
            this.failKind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        /**
         * @param probability chance that a call is delayed; default 0
         * @param max         the longest delay (uniform between 0 and max), positive
         * @return this
         */
        public Builder<T> latency(double probability, Duration max) {
            this.latencyProbability = probability(probability, "latency probability");
            this.latencyMax = Args.positive(max, "max");
            return this;
        }

        /**
         * @param fixed every call is delayed by up to this much, positive
         * @return this
         */
        public Builder<T> latency(Duration fixed) {
            return latency(1.0, fixed);
        }

        /**
         * @param probability chance that a call sleeps past the coordinator's time limit; default 0
         * @param sleep       how long it sleeps: longer than the sink's attempt timeout; the
         *                    destination takes the change afterwards even if the caller gave up
         * @return this
         */
        public Builder<T> timeout(double probability, Duration sleep) {
            this.timeoutProbability = probability(probability, "timeout probability");
            this.timeoutSleep = Args.positive(sleep, "sleep");
            return this;
        }

        /**
         * @param probability chance that a change is delivered to the destination twice; default 0
         * @return this
         */
        public Builder<T> duplicate(double probability) {
            this.duplicateProbability = probability(probability, "duplicate probability");
            return this;
        }

        /**
         * @param probability chance that a call is held back until a later call completed (or
         *                    {@code maxHold} passed), so newer changes overtake it; default 0
         * @param maxHold     the longest hold, positive; default {@link #DEFAULT_REORDER_HOLD}
         * @return this
         */
        public Builder<T> reorder(double probability, Duration maxHold) {
            this.reorderProbability = probability(probability, "reorder probability");
            this.reorderHold = Args.positive(maxHold, "maxHold");
            return this;
        }

        /**
         * @param probability chance that a change is applied and then the call throws an
         *                    {@link ErrorKind#UNKNOWN_OUTCOME} failure (a lost acknowledgement); default 0
         * @return this
         */
        public Builder<T> applyThenThrow(double probability) {
            this.applyThenThrowProbability = probability(probability, "applyThenThrow probability");
            return this;
        }

        /**
         * @param ids entity ids whose every change fails with a {@link ErrorKind#PERMANENT} failure
         *            at the {@linkplain #poisonStage(PoisonStage) poison stage}, even after
         *            {@link FaultySink#heal()}
         * @return this
         */
        public Builder<T> poison(String... ids) {
            for (String id : ids) {
                poison.add(Objects.requireNonNull(id, "id"));
            }
            return this;
        }

        /**
         * @param ids entity ids to poison; see {@link #poison(String...)}
         * @return this
         */
        public Builder<T> poison(Collection<String> ids) {
            return poison(ids.toArray(new String[0]));
        }

        /**
         * @param stage where a poisoned entity fails: rejected by the destination, or in the mapping
         *              stage, before anything is sent (the coordinator then dead-letters it at once,
         *              and the sink's circuit breaker never counts it); default
         *              {@link FaultySink#DEFAULT_POISON_STAGE}
         * @return this
         */
        public Builder<T> poisonStage(PoisonStage stage) {
            this.poisonStage = Objects.requireNonNull(stage, "stage");
            return this;
        }

        /** @return the wrapper */
        public FaultySink<T> build() {
            return new FaultySink<>(this);
        }

        private static double probability(double p, String name) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(name + " must be within 0..1, was " + p);
            }
            return p;
        }
    }
}
