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
package io.dualwrite.internal;

import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.EntitySerializationException;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.Operation;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteObservationContext;
import io.dualwrite.WriteObservationConvention;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.CallerWriteException;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.micrometer.observation.Observation;
import org.slf4j.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The write path: commits a save or a delete with its intents, delivers it to the synchronous
 * sinks, acknowledges what they took, dead-letters what they refused for good, and compensates
 * a write a REQUIRED sink refused. Thread-safe.
 *
 * @param <T> the entity type
 */
final class WritePath<T> {
    private static final Logger LOG = WriterCore.LOG;

    private final WriterCore<T> core;

    WritePath(WriterCore<T> core) {
        this.core = core;
    }

    WriteResult save(T entity, WriteOptions options) {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(options, "options");
        java.util.function.Function<? super T, String> idOf = core.cfg.idOf().orElse(null);
        if (idOf == null) {
            throw new IllegalStateException("no id function configured for '" + core.type
                    + "': set DualWriterBuilder.idOf(...) to use save(entity)");
        }
        String id = Objects.requireNonNull(idOf.apply(entity), "the id of the " + core.type + " entity is null");
        if (core.cfg.validateSerialization()) {
            try {
                core.cfg.json().check(entity);
            } catch (Exception | Error e) {
                // an Error of the application's serializer (an assertion in a getter) is this entity's failure too
                ErrorClassifier.rethrowIfFatal(e);
                throw new EntitySerializationException(core.type, id, e);
            }
        }
        return write(id, Operation.UPSERT, entity, null, options);
    }

    WriteResult delete(String id, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.DELETE, null, null, options);
    }

    WriteResult saveWith(String id, Runnable callerSave, WriteOptions options) {
        Objects.requireNonNull(callerSave, "callerSave");
        return saveReturning(id, readBack(callerSave), options);
    }

    WriteResult saveReturning(String id, Supplier<? extends T> callerSave, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(callerSave, "callerSave");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.UPSERT, null, callerSave, options);
    }

    WriteResult deleteWith(String id, Runnable callerDelete, WriteOptions options) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(callerDelete, "callerDelete");
        Objects.requireNonNull(options, "options");
        return write(id, Operation.DELETE, null, readBack(callerDelete), options);
    }

    /** @return the caller's write as a save that returns nothing: the store reads back what it wrote */
    private static <T> Supplier<T> readBack(Runnable callerWrite) {
        return () -> {
            callerWrite.run();
            return null;
        };
    }

    WriteResult write(String id, Operation op, T state, Supplier<? extends T> callerSave, WriteOptions options) {
        core.ensureOpen();
        String correlationId = options.correlationId().orElseGet(() -> UUID.randomUUID().toString());
        String outcome = "error";
        // one observation per write: its meter handler makes the dualwrite.write timer, its tracing handler the span
        WriteObservationContext context = new WriteObservationContext(core.type, op, correlationId);
        Observation observation = Observation.createNotStarted(core.cfg.observability().convention(),
                WriteObservationConvention.DEFAULT, () -> context, core.observations);
        observed(observation::start);
        Observation.Scope scope = openScope(observation);
        try (Quiet ignored = () -> observed(scope::close);
             MdcScope ignored2 = MdcScope.open(correlationId, null)) {
            Instant now = core.cfg.observability().clock().instant();
            boolean[] included = new boolean[core.channels.size()];
            List<IntentSpec> intents = new ArrayList<>(core.channels.size());
            for (int i = 0; i < core.channels.size(); i++) {
                SinkChannel<T> c = core.channels.get(i);
                // a sink takes part when the entity is in its ramp, or in what it was lowered from (to remove it)
                included[i] = Ramp.role(id, c.settings) != Ramp.Role.OUT;
                if (included[i] && c.policy() != DeliveryPolicy.SHADOW) {
                    intents.add(new IntentSpec(c.name, c.policy() == DeliveryPolicy.ASYNC ? now : now.plus(core.cfg.recovery().gracePeriod())));
                }
            }
            PrimaryWrite<T> pw = PrimaryWrite.<T>builder().id(id).operation(op).state(state).intents(intents)
                    .expectedVersion(options.expectedVersion().orElse(-1))
                    .requestKey(options.requestKey().orElse(null)).requestKeyWindow(core.cfg.requestKeyWindow())
                    .correlationId(correlationId).idempotencyKey(options.idempotencyKey().orElse(null))
                    .time(now).callerSave(callerSave).build();
            Committed<T> committed = commit(pw);
            switch (committed.status()) {
                case DUPLICATE_REQUEST:
                    outcome = "duplicate";
                    return duplicateResult(committed, correlationId);
                case NOTHING_TO_DELETE:
                    outcome = "nothing_to_delete";
                    Map<String, SinkOutcome> none = new LinkedHashMap<>();
                    core.channels.forEach(c -> none.put(c.name, SinkOutcome.SKIPPED));
                    return new WriteResult(core.type, id, committed.version(), op, none, correlationId, null, false, false);
                default:
                    break;
            }
            String key = options.idempotencyKey().orElseGet(() -> IdempotencyKeys.of(core.type, id, committed.version()));
            MdcScope.idempotencyKey(key);
            context.idempotencyKey(key);
            Change<T> change = Change.<T>builder().entityType(core.type).id(id).version(committed.version())
                    .operation(committed.operation()).state(committed.state().orElse(null)).idempotencyKey(key)
                    .correlationId(correlationId).time(committed.time()).build();
            WriteResult result;
            Map<String, Delivery> delivered = new LinkedHashMap<>();
            try {
                result = deliverCommitted(change, committed, included, correlationId, delivered);
            } catch (RequiredSinkFailedException e) {
                throw e;
            } catch (Throwable e) {
                // the write is committed with its intents: whatever went wrong after it, recovery delivers
                // it, and the caller learns what was committed rather than an error that hides it; unless a
                // REQUIRED sink takes part that is not known to hold the write: that is compensated and reported
                // (every delivery of the write has ended by now, so the compensation cannot overtake one)
                ErrorClassifier.rethrowIfFatal(e);
                WriteResult known = knownResult(change, included, committed.versionKnown(), delivered);
                SinkChannel<T> required = requiredNotApplied(included, delivered);
                if (required != null) {
                    LOG.error("delivering {} failed unexpectedly; REQUIRED sink '{}' may not hold it, so the write is"
                            + " compensated", key, required.name, e);
                    Delivery failure = delivered.get(required.name);
                    compensate(change, committed, included, known, required, failure != null ? failure
                            : new Delivery(null, ErrorKind.UNKNOWN_OUTCOME, e, 0, false));
                }
                LOG.error("delivering {} failed unexpectedly; its intents stay and recovery delivers it", key, e);
                result = known;
            }
            outcome = result.fullyApplied() ? "applied" : "deferred";
            return result;
        } catch (RequiredSinkFailedException e) {
            outcome = "compensated";
            observed(() -> observation.error(e));
            throw e;
        } catch (VersionConflictException e) {
            outcome = "version_conflict";
            observed(() -> observation.error(e));
            throw e;
        } catch (RuntimeException | Error e) {
            observed(() -> observation.error(e));
            throw e;
        } finally {
            context.outcome(outcome);
            observed(observation::stop);
        }
    }

    /** @return the observation's scope, or one that does nothing when its handlers fail to open it */
    private static Observation.Scope openScope(Observation observation) {
        try {
            return observation.openScope();
        } catch (RuntimeException e) {
            LOG.warn("the write's observation failed ({}); the write's result stands", e.toString());
            return Observation.Scope.NOOP;
        }
    }

    /** Something to close that throws nothing. */
    private interface Quiet extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Runs a step of the write's observation (start, scope, error, stop): its handlers' failure (a meter registry's, a
     * tracer's) never changes what the write does, nor its result.
     */
    private static void observed(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.warn("the write's observation failed ({}); the write's result stands", e.toString());
        }
    }

    private Committed<T> commit(PrimaryWrite<T> pw) {
        try {
            return core.store.commit(pw);
        } catch (VersionConflictException | UnsupportedOperationException e) {
            throw e;
        } catch (CallerWriteException e) {
            // write-ahead mode: the caller's own save failed; the intent is recorded, recovery delivers what is there
            throw e.callerException();
        } catch (RuntimeException e) {
            ErrorKind kind = core.classifyStore(e);
            LOG.warn("primary write of {}/{} failed ({}): {}", core.type, pw.id(), kind, e.toString());
            String what = kind == ErrorKind.UNKNOWN_OUTCOME
                    ? "the primary may or may not have committed " : "the primary could not commit ";
            String after = kind == ErrorKind.UNKNOWN_OUTCOME
                    ? "; no sink was touched, and if it committed, its intents are recorded and recovery delivers it"
                    : "; no sink was touched";
            throw new PrimaryWriteException(what + pw.operation() + " of " + core.type + "/" + pw.id() + " (" + kind
                    + "): " + e.getMessage() + after, core.type, pw.id(), kind, e);
        }
    }

    private WriteResult duplicateResult(Committed<T> committed, String correlationId) {
        Optional<Snapshot<T>> now;
        try {
            now = core.store.read(committed.id());
        } catch (RuntimeException e) {
            // the first write's result stands; only whether its intents are still pending is unknown
            LOG.warn("could not read {}/{} to tell which sinks have the first write of this request ({})", core.type,
                    committed.id(), e.toString());
            now = null;
        }
        Optional<Snapshot<T>> read = now;
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        for (SinkChannel<T> c : core.channels) {
            if (c.policy() == DeliveryPolicy.SHADOW || Ramp.role(committed.id(), c.settings) == Ramp.Role.OUT) {
                outcomes.put(c.name, SinkOutcome.SKIPPED);
                continue;
            }
            Intent pending = read == null ? null : read.map(s -> s.pending().get(c.name)).orElse(null);
            boolean stillPending = read == null
                    || (pending != null && (pending.version() == 0 || pending.version() <= committed.version()));
            outcomes.put(c.name, stillPending ? SinkOutcome.DEFERRED : SinkOutcome.APPLIED);
        }
        return new WriteResult(core.type, committed.id(), committed.version(), committed.operation(), outcomes,
                correlationId, IdempotencyKeys.of(core.type, committed.id(), committed.version()), false, true);
    }

    /**
     * @param delivered filled with each delivery's outcome as it becomes known, so that a caller whose delivery
     *                  failed unexpectedly knows which sinks hold the write
     */
    private WriteResult deliverCommitted(Change<T> change, Committed<T> committed, boolean[] included,
                                         String correlationId, Map<String, Delivery> delivered) {
        String intentRef = committed.intentRef().orElse(null);
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        Map<String, Delivery> deliveries = deliverSync(change, included, delivered);
        SinkChannel<T> failedRequired = null;
        Delivery failedRequiredDelivery = null;
        for (int i = 0; i < core.channels.size(); i++) {
            SinkChannel<T> c = core.channels.get(i);
            if (!included[i] || c.policy() == DeliveryPolicy.SHADOW) {
                outcomes.put(c.name, SinkOutcome.SKIPPED);
                continue;
            }
            if (c.policy() == DeliveryPolicy.ASYNC) {
                outcomes.put(c.name, SinkOutcome.DEFERRED);
                continue;
            }
            Delivery d = deliveries.get(c.name);
            if (d.succeeded()) {
                core.acks.add(new Ack(change.id(), c.name, change.version(), intentRef));
                outcomes.put(c.name, SinkOutcome.APPLIED);
            } else if (c.policy() == DeliveryPolicy.REQUIRED) {
                if (failedRequired == null) {
                    failedRequired = c;
                    failedRequiredDelivery = d;
                }
                outcomes.put(c.name, SinkOutcome.DEFERRED);
            } else if (d.kind == ErrorKind.PERMANENT) {
                boolean stored = core.deadLetter(change, c.name, d.attempts, d.kind, null, d.error, intentRef);
                outcomes.put(c.name, stored ? SinkOutcome.DEAD_LETTERED : SinkOutcome.DEFERRED);
            } else {
                LOG.warn("sink '{}' did not take {} ({}{}); deferred to recovery", c.name, change.idempotencyKey(),
                        d.notCalled ? "not called: " : "", SinkFailures.describe(d.error));
                outcomes.put(c.name, SinkOutcome.DEFERRED);
            }
        }
        WriteResult result = new WriteResult(core.type, change.id(), change.version(), change.operation(), outcomes,
                correlationId, change.idempotencyKey(), true, false, committed.versionKnown());
        if (failedRequired != null) {
            compensate(change, committed, included, result, failedRequired, failedRequiredDelivery);
        }
        return result;
    }

    /** @return the first REQUIRED sink that takes part in the write and is not known to hold it, or null */
    private SinkChannel<T> requiredNotApplied(boolean[] included, Map<String, Delivery> delivered) {
        for (int i = 0; i < core.channels.size(); i++) {
            SinkChannel<T> c = core.channels.get(i);
            Delivery d = delivered.get(c.name);
            if (included[i] && c.policy() == DeliveryPolicy.REQUIRED && (d == null || !d.succeeded())) {
                return c;
            }
        }
        return null;
    }

    /**
     * @return a result in which every sink that takes part and is known to hold the write is APPLIED, every other
     *         one DEFERRED: its intent is pending (and recovery delivers it, to an APPLIED one again harmlessly)
     */
    private WriteResult knownResult(Change<T> change, boolean[] included, boolean versionKnown,
                                    Map<String, Delivery> delivered) {
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>();
        for (int i = 0; i < core.channels.size(); i++) {
            SinkChannel<T> c = core.channels.get(i);
            Delivery d = delivered.get(c.name);
            outcomes.put(c.name, !included[i] || c.policy() == DeliveryPolicy.SHADOW ? SinkOutcome.SKIPPED
                    : d != null && d.succeeded() ? SinkOutcome.APPLIED
                    : SinkOutcome.DEFERRED);
        }
        return new WriteResult(core.type, change.id(), change.version(), change.operation(), outcomes,
                change.correlationId(), change.idempotencyKey(), true, false, versionKnown);
    }

    /**
     * Delivers to every SYNC and REQUIRED sink in parallel; the caller's thread takes the last one. Whatever
     * happens on the caller's thread, it returns or throws only once every delivery handed to the pool has ended.
     *
     * @param out where each delivery's outcome goes as it becomes known (also when this throws)
     * @return {@code out}
     */
    private Map<String, Delivery> deliverSync(Change<T> change, boolean[] included, Map<String, Delivery> out) {
        List<SinkChannel<T>> targets = new ArrayList<>(core.channels.size());
        for (int i = 0; i < core.channels.size(); i++) {
            SinkChannel<T> c = core.channels.get(i);
            if (!included[i]) {
                continue;
            }
            if (c.policy() == DeliveryPolicy.SHADOW) {
                if (Ramp.role(change.id(), c.settings) == Ramp.Role.IN) {
                    c.validate(core.withSchema(change, c));
                }
            } else if (c.policy() == DeliveryPolicy.SYNC || c.policy() == DeliveryPolicy.REQUIRED) {
                targets.add(c);
            }
        }
        if (targets.isEmpty()) {
            return out;
        }
        List<Future<Delivery>> futures = new ArrayList<>(targets.size() - 1);
        List<Handed> claims = new ArrayList<>(targets.size() - 1);
        try {
            for (int i = 0; i < targets.size() - 1; i++) {
                SinkChannel<T> c = targets.get(i);
                // the pool's thread and the caller's wait race for the delivery: one the pool does not start within
                // the sink's attempt timeout (busy, or it dropped the task) is not started at all
                Handed claim = new Handed();
                claims.add(claim);
                java.util.concurrent.Callable<Delivery> delivery = MdcScope.propagating(() -> claim.start()
                        ? c.deliver(core.forSink(change, c)) : Delivery.notSent());
                Future<Delivery> f;
                try {
                    f = core.executor.submit(delivery);
                } catch (java.util.concurrent.RejectedExecutionException refused) {
                    // the pool refused the hand-off (a bounded executor that is full, or shut down by a close racing
                    // this save): the delivery runs on this thread instead, so that its outcome, a REQUIRED sink's
                    // above all, decides the result as it would have
                    claim.start();
                    f = java.util.concurrent.CompletableFuture.completedFuture(c.deliver(core.forSink(change, c)));
                }
                futures.add(f);
            }
            SinkChannel<T> last = targets.get(targets.size() - 1);
            out.put(last.name, last.deliver(core.forSink(change, last)));
        } finally {
            // also after a failure here, or an Error: what the caller does next (a compensation, above all) must not
            // overtake a delivery still on its way
            for (int i = 0; i < futures.size(); i++) {
                out.put(targets.get(i).name, await(futures.get(i), claims.get(i), targets.get(i)));
            }
        }
        return out;
    }

    /**
     * A delivery handed to the pool: the pool's thread and the caller's wait race to claim it, so one the pool does
     * not start in time (busy, or it dropped the task) never starts.
     */
    private static final class Handed {
        private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
        private final long handedAt = System.nanoTime();
        private volatile long startedAt;

        /** @return true for the pool's thread that may now deliver; false when the caller gave the delivery up */
        boolean start() {
            if (!claimed.compareAndSet(false, true)) {
                return false;
            }
            startedAt = System.nanoTime();
            return true;
        }

        /** @return true when the caller gave the delivery up before the pool started it */
        boolean giveUp() {
            return claimed.compareAndSet(false, true);
        }
    }

    /**
     * Waits for a delivery handed to the pool until it ends, however often the caller's thread is interrupted (the
     * interrupt is kept for later): a compensation or a result must not overtake a delivery still on its way. One the
     * pool has not started within its sink's attempt timeout never starts.
     */
    private static Delivery await(Future<Delivery> f, Handed handed, SinkChannel<?> c) {
        boolean interrupted = false;
        try {
            while (true) {
                boolean started = handed.startedAt != 0;
                try {
                    // once started, the delivery ends within its sink's time limits (and its mapping, which is the
                    // application's own code, as on the caller's thread)
                    Delivery d = started ? f.get() : f.get(Math.max(0, handed.handedAt
                            + c.settings.attemptTimeout().toNanos() - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                    return d.wasNotSent() ? notStarted(c, null) : d;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    return new Delivery(null, ErrorKind.UNKNOWN_OUTCOME, e.getCause(), 0, false);
                } catch (java.util.concurrent.CancellationException e) {
                    return notStarted(c, null);
                } catch (java.util.concurrent.TimeoutException e) {
                    if (handed.giveUp()) {
                        f.cancel(false);
                        return notStarted(c, e);
                    }
                    // it started just now: wait for it to end
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Delivery notStarted(SinkChannel<?> c, java.util.concurrent.TimeoutException waited) {
        return new Delivery(null, ErrorKind.TRANSIENT, new SinkFailures.CallNotStarted(c.name, waited), 0, true);
    }

    private void compensate(Change<T> change, Committed<T> committed, boolean[] included, WriteResult failedResult,
                            SinkChannel<T> failed, Delivery failure) {
        core.counter(DualWriteMetrics.COMPENSATIONS, DualWriteMetrics.TAG_SINK, failed.name).increment();
        Snapshot<T> before = committed.previous().orElse(null);
        T beforeState = before == null ? null : before.state().orElse(null);
        Operation op = beforeState == null ? Operation.DELETE : Operation.UPSERT;
        Instant now = core.cfg.observability().clock().instant();
        List<IntentSpec> intents = new ArrayList<>();
        for (int i = 0; i < core.channels.size(); i++) {
            SinkChannel<T> c = core.channels.get(i);
            if (included[i] && c.policy() != DeliveryPolicy.SHADOW) {
                intents.add(new IntentSpec(c.name, c.policy() == DeliveryPolicy.ASYNC ? now : now.plus(core.cfg.recovery().gracePeriod())));
            }
        }
        long compensationVersion = -1;
        boolean outcomeUnknown = false;
        Map<String, SinkOutcome> outcomes = new LinkedHashMap<>(failedResult.outcomes());
        try {
            Committed<T> c = core.store.commit(PrimaryWrite.<T>builder().id(change.id()).operation(op).state(beforeState)
                    .intents(intents).expectedVersion(change.version()).undoes(change.version())
                    .requestKeyWindow(core.cfg.requestKeyWindow())
                    .correlationId(change.correlationId()).time(now).build());
            if (c.status() == Committed.Status.WRITTEN) {
                compensationVersion = c.version();
                Change<T> undo = Change.<T>builder().entityType(core.type).id(change.id()).version(c.version())
                        .operation(c.operation()).state(c.state().orElse(null)).correlationId(change.correlationId())
                        .time(c.time()).build();
                Map<String, Delivery> ds = deliverSync(undo, included, new LinkedHashMap<>());
                for (Map.Entry<String, Delivery> e : ds.entrySet()) {
                    if (e.getValue().succeeded()) {
                        core.acks.add(new Ack(change.id(), e.getKey(), undo.version(), c.intentRef().orElse(null)));
                    }
                }
                for (int i = 0; i < core.channels.size(); i++) {
                    if (included[i] && core.channels.get(i).policy() != DeliveryPolicy.SHADOW) {
                        outcomes.put(core.channels.get(i).name, SinkOutcome.COMPENSATED);
                    }
                }
                LOG.warn("required sink '{}' failed for {}; compensated as version {}", failed.name,
                        change.idempotencyKey(), compensationVersion);
            }
        } catch (VersionConflictException e) {
            LOG.warn("required sink '{}' failed for {}, but a newer write already replaced it; not compensated",
                    failed.name, change.idempotencyKey());
        } catch (RuntimeException | Error e) {
            // an Error too (the codec's, on the before-image): the caller still learns that the REQUIRED sink failed
            ErrorClassifier.rethrowIfFatal(e);
            outcomeUnknown = core.classifyStore(e) == ErrorKind.UNKNOWN_OUTCOME;
            LOG.error("required sink '{}' failed for {} and the compensation {} ({}); the primary keeps version {}{}"
                    + " and recovery delivers it", failed.name, change.idempotencyKey(),
                    outcomeUnknown ? "may or may not have been committed" : "could not be committed", e.toString(),
                    change.version(), outcomeUnknown ? " or its compensation" : "");
        }
        WriteResult result = new WriteResult(core.type, change.id(), change.version(), change.operation(), outcomes,
                change.correlationId(), change.idempotencyKey(), true, false);
        throw new RequiredSinkFailedException(failed.name, result, compensationVersion, outcomeUnknown, failure.kind,
                failure.error);
    }
}
