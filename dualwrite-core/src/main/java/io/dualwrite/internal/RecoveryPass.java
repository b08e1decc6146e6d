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
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryReport;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.Gauge;
import org.slf4j.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A recovery pass: claims the entities whose intents are due, delivers each sink's share in
 * bulk calls that end within the claim's lease, acknowledges, reschedules with backoff or
 * dead-letters, and keeps the backlog gauges. Thread-safe.
 *
 * @param <T> the entity type
 */
final class RecoveryPass<T> {
    private static final Logger LOG = WriterCore.LOG;
    private static final long BACKLOG_REFRESH_MILLIS = 1000;

    private final WriterCore<T> core;
    private final RetryBackoff recoveryBackoff;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong lastBacklogRefresh = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong oldestDueMillis = new AtomicLong(Long.MAX_VALUE);
    /** Tells this writer's passes apart from another writer's that shares its worker id. */
    private final String passPrefix;
    private final AtomicLong passes = new AtomicLong();
    private final Gauge backlogGauge;
    private final Gauge oldestGauge;
    private final AtomicBoolean gaugesRemoved = new AtomicBoolean();

    RecoveryPass(WriterCore<T> core) {
        this.core = core;
        this.recoveryBackoff = new RetryBackoff(core.cfg.recovery().initialBackoff(), core.cfg.recovery().maxBackoff());
        this.passPrefix = core.cfg.recovery().workerId() + "/" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "-";
        String instance = core.instance.value();
        this.backlogGauge = Gauge.builder(DualWriteMetrics.RECOVERY_BACKLOG, backlog, AtomicLong::get)
                .description("entities with pending intents, as of the last recovery pass")
                .tag(DualWriteMetrics.TAG_TYPE, core.type).tag(DualWriteMetrics.TAG_INSTANCE, instance)
                .register(core.cfg.observability().meters());
        this.oldestGauge = Gauge.builder(DualWriteMetrics.RECOVERY_OLDEST_AGE, this, RecoveryPass::oldestAgeSeconds)
                .description("seconds since the oldest pending intent fell due, as of the last recovery pass")
                .baseUnit("seconds")
                .tag(DualWriteMetrics.TAG_TYPE, core.type).tag(DualWriteMetrics.TAG_INSTANCE, instance)
                .register(core.cfg.observability().meters());
    }

    /**
     * Removes the gauges once: a closed writer publishes nothing. Once only, because the registry removes by id, and
     * a later writer that took the freed instance tag has gauges of the same id.
     */
    void close() {
        if (gaugesRemoved.compareAndSet(false, true)) {
            core.cfg.observability().meters().remove(backlogGauge);
            core.cfg.observability().meters().remove(oldestGauge);
        }
    }

    RecoveryReport recoverDue() {
        core.ensureOpen();
        Instant now = core.cfg.observability().clock().instant();
        // each pass leases under its own name and so ends only its own leases: a pass that outlived its lease never
        // ends the lease of a later pass of the same instance that claimed the same entities
        String owner = passPrefix + passes.incrementAndGet();
        List<Snapshot<T>> claimed = core.store.claimDue(now, core.cfg.recovery().batchSize(), owner, core.cfg.recovery().lease());
        int delivered = 0;
        int deferred = 0;
        int dead = 0;
        try {
            // one bulk call per sink across the claimed batch
            Map<String, List<Change<T>>> bySink = new LinkedHashMap<>();
            Map<String, List<Intent>> intentsBySink = new LinkedHashMap<>();
            for (Snapshot<T> s : claimed) {
                for (Intent intent : s.pending().values()) {
                    if (intent.dueAt().isAfter(now)) {
                        continue;
                    }
                    if (s.readFailure().isPresent()) {
                        // claiming it again changes nothing
                        if (core.deadLetterUnreadable(s, intent.sink(), intent, intent.attempts() + 1)) {
                            dead++;
                        }
                        continue;
                    }
                    SinkChannel<T> c = core.channelsByName.get(intent.sink());
                    Change<T> change;
                    try {
                        change = core.changeOf(s, intent, c);
                    } catch (RuntimeException | Error bad) {
                        ErrorClassifier.rethrowIfFatal(bad);
                        if (core.deadLetter(s.id(), s.version(), intent.sink(), intent.attempts() + 1, ErrorKind.PERMANENT,
                                intent.firstError().orElse(null), bad, intent.correlationId().orElse(null),
                                intent.idempotencyKey().orElse(null), intent.ref().orElse(null))) {
                            dead++;
                        }
                        continue;
                    }
                    if (c == null) {
                        core.deadLetter(change, intent.sink(), intent.attempts() + 1, ErrorKind.PERMANENT,
                                intent.firstError().orElse(null),
                                new IllegalStateException("sink '" + intent.sink() + "' is not registered"),
                                intent.ref().orElse(null));
                        dead++;
                        continue;
                    }
                    bySink.computeIfAbsent(c.name, k -> new ArrayList<>()).add(change);
                    intentsBySink.computeIfAbsent(c.name, k -> new ArrayList<>()).add(intent);
                }
            }
            Map<String, List<Intent>> reschedules = new LinkedHashMap<>();
            // the lease ends at now + lease by this host's clock; another host's clock may read that up to
            // maxClockSkew sooner, so every call ends that much before
            Instant leaseEnds = now.plus(core.cfg.recovery().lease()).minus(core.cfg.recovery().maxClockSkew());
            for (Map.Entry<String, List<Change<T>>> e : bySink.entrySet()) {
                SinkChannel<T> c = core.channelsByName.get(e.getKey());
                List<Change<T>> all = e.getValue();
                List<Intent> allIntents = intentsBySink.get(e.getKey());
                for (int from = 0; from < all.size(); ) {
                    // never start a call that could outlive the lease (as the clock of another instance, which may
                    // claim these entities once it runs out, reads it): a sink without a version guard must not see
                    // two deliveries of one entity at once; what does not fit waits for the next claim
                    int fits = c.changesWithin(Duration.between(core.cfg.observability().clock().instant(), leaseEnds));
                    if (fits == 0) {
                        LOG.debug("the lease on {} entities of '{}' ends before a call to sink '{}' could; they wait"
                                + " for the next claim", all.size() - from, core.type, c.name);
                        break;
                    }
                    int to = (int) Math.min(all.size(), (long) from + fits);
                    List<Change<T>> changes = all.subList(from, to);
                    List<Intent> intents = allIntents.subList(from, to);
                    from = to;
                    BatchDelivery bd = c.deliverAll(changes, core.cfg.observability().clock(), leaseEnds);
                    for (int i = 0; i < changes.size(); i++) {
                        Change<T> change = changes.get(i);
                        Intent intent = intents.get(i);
                        Delivery d = bd.item(i);
                        if (d.wasNotSent()) {
                            continue; // the lease ends first: the next claim sends it, no attempt spent
                        }
                        if (d.succeeded()) {
                            core.acks.add(new Ack(change.id(), c.name, change.version(), intent.ref().orElse(null)));
                            delivered++;
                            core.counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                    DualWriteMetrics.TAG_OUTCOME, "applied").increment();
                            continue;
                        }
                        Throwable error = d.error;
                        ErrorKind kind = d.kind;
                        if (d.notCalled) {
                            // an open circuit or a full bulkhead: the sink was not asked, so no attempt is spent and
                            // a long outage never turns pending intents into dead letters
                            Instant next = now.plus(c.notCalledPause())
                                    .plusMillis(recoveryBackoff.millis(change.id(), c.name, Math.max(1, intent.attempts())));
                            reschedules.computeIfAbsent(change.id(), k -> new ArrayList<>())
                                    .add(intent.failedAttempt(next, intent.attempts(), SinkFailures.describe(error)));
                            deferred++;
                            core.counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                    DualWriteMetrics.TAG_OUTCOME, "not_called").increment();
                            continue;
                        }
                        int attempts = intent.attempts() + 1;
                        if (kind == ErrorKind.PERMANENT || attempts >= core.cfg.recovery().maxAttempts()) {
                            if (core.deadLetter(change, c.name, attempts, kind, intent.firstError().orElse(null), error,
                                    intent.ref().orElse(null))) {
                                dead++;
                                core.counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                        DualWriteMetrics.TAG_OUTCOME, "dead_lettered").increment();
                                continue;
                            }
                        }
                        Instant next = now.plusMillis(recoveryBackoff.millis(change.id(), c.name, attempts));
                        reschedules.computeIfAbsent(change.id(), k -> new ArrayList<>())
                                .add(intent.failedAttempt(next, attempts, SinkFailures.describe(error)));
                        deferred++;
                        core.counter(DualWriteMetrics.RECOVERY_DELIVERIES, DualWriteMetrics.TAG_SINK, c.name,
                                DualWriteMetrics.TAG_OUTCOME, "deferred").increment();
                        LOG.warn("recovery of {} to sink '{}' failed ({}, attempt {}), next try at {}: {}",
                                change.idempotencyKey(), c.name, kind, attempts, next, SinkFailures.describe(error));
                    }
                }
            }
            for (Map.Entry<String, List<Intent>> e : reschedules.entrySet()) {
                try {
                    core.store.reschedule(e.getKey(), e.getValue());
                } catch (RuntimeException ex) {
                    LOG.warn("could not reschedule intents of {}/{} ({}); the lease expiry hands them back",
                            core.type, e.getKey(), ex.toString());
                }
            }
            core.acks.flush();
        } finally {
            if (!claimed.isEmpty()) {
                List<String> ids = new ArrayList<>(claimed.size());
                claimed.forEach(s -> ids.add(s.id()));
                try {
                    core.store.releaseAll(ids, owner);
                } catch (RuntimeException e) {
                    LOG.warn("could not release the leases on {} {} entities ({}); they expire by themselves",
                            ids.size(), core.type, e.toString());
                }
            }
        }
        refreshBacklog();
        return new RecoveryReport(claimed.size(), delivered, deferred, dead);
    }

    private void refreshBacklog() {
        // counting the backlog reads every pending entity: at most once a second, not once a pass (by the
        // writer's clock, so that whether a pass reads it depends on nothing a test cannot control)
        long now = core.cfg.observability().clock().millis();
        long last = lastBacklogRefresh.get();
        if ((last != Long.MIN_VALUE && Math.abs(now - last) < BACKLOG_REFRESH_MILLIS)
                || !lastBacklogRefresh.compareAndSet(last, now)) {
            return;
        }
        try {
            backlog.set(core.store.pendingCount());
            oldestDueMillis.set(core.store.oldestDue().map(Instant::toEpochMilli).orElse(Long.MAX_VALUE));
        } catch (RuntimeException e) {
            LOG.debug("could not refresh the recovery backlog: {}", e.toString());
        }
    }

    private double oldestAgeSeconds() {
        long due = oldestDueMillis.get();
        if (due == Long.MAX_VALUE) {
            return 0;
        }
        return Math.max(0, core.cfg.observability().clock().millis() - due) / 1000.0;
    }

    long backlog() {
        long n = core.store.pendingCount();
        backlog.set(n);
        return n;
    }
}
