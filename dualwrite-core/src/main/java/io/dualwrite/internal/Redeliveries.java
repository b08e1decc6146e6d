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
import io.dualwrite.ErrorKind;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.Operation;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.WriterOperations;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.UnreadableEntityException;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What reconciliation, the relays and operators ask of the writer outside its own write path:
 * redeliver what the primary holds to one sink (counted, for a caller with its own retry
 * schedule), remove orphans a sink holds, rewrite an entity as its next version, and say which
 * change a sink would receive. Thread-safe.
 *
 * @param <T> the entity type
 */
final class Redeliveries<T> {
    private static final Logger LOG = WriterCore.LOG;

    private final WriterCore<T> core;
    private final WritePath<T> writes;

    Redeliveries(WriterCore<T> core, WritePath<T> writes) {
        this.core = core;
        this.writes = writes;
    }

    Map<String, SinkOutcome> redeliver(String sink, Collection<String> ids) {
        // without a count of its own, a transient failure is never spent: it stays as it was
        return outcomes(redeliver(sink, ids, Map.of(), Integer.MAX_VALUE));
    }

    Map<String, Redelivery> redeliver(String sink, Collection<String> ids, Map<String, Redelivery> earlier,
                                             int maxAttempts) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(earlier, "earlier");
        Args.atLeast(maxAttempts, 1, "maxAttempts");
        SinkChannel<T> c = core.channelFor(sink);
        Map<String, Redelivery> out = new LinkedHashMap<>();
        List<Change<T>> changes = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (String id : new LinkedHashSet<>(ids)) {
            Objects.requireNonNull(id, "an id in ids");
            Optional<Snapshot<T>> snap;
            try {
                snap = c.policy() == DeliveryPolicy.SHADOW || Ramp.role(id, c.settings) == Ramp.Role.OUT
                        ? Optional.empty() : core.store.read(id);
            } catch (UnreadableEntityException e) {
                // that entity's own permanent failure: the others are still delivered
                Snapshot<T> s = e.snapshot();
                Redelivery before = earlier.get(id);
                int attempts = (before != null && before.outcome() == SinkOutcome.DEFERRED ? before.attempts() : 0) + 1;
                Intent intent = s.pending().get(c.name);
                String failure = SinkFailures.describe(e);
                out.put(id, core.deadLetterUnreadable(s, c.name, intent, attempts)
                        ? new Redelivery(id, SinkOutcome.DEAD_LETTERED, Math.max(1, s.version()), attempts,
                                Optional.of(ErrorKind.PERMANENT), Optional.of(failure), Optional.of(failure))
                        : new Redelivery(id, SinkOutcome.DEFERRED, Math.max(1, s.version()), attempts,
                                Optional.of(ErrorKind.PERMANENT), Optional.of(failure), Optional.of(failure)));
                continue;
            }
            if (snap.isEmpty()) {
                out.put(id, Redelivery.withoutFailure(id, SinkOutcome.SKIPPED, 0));
                continue;
            }
            Snapshot<T> s = snap.get();
            Intent intent = s.pending().get(c.name);
            changes.add(core.changeOf(s, intent, c));
            refs.add(intent == null ? null : intent.ref().orElse(null));
            out.put(id, null);
        }
        out.putAll(deliverBatch(c, changes, refs, "redelivery", earlier, maxAttempts));
        return out;
    }

    private static Map<String, SinkOutcome> outcomes(Map<String, Redelivery> redeliveries) {
        Map<String, SinkOutcome> out = new LinkedHashMap<>();
        redeliveries.forEach((id, r) -> out.put(id, r.outcome()));
        return out;
    }

    WriterOperations.Reach reach(String sink, String id) {
        Objects.requireNonNull(id, "id");
        return switch (Ramp.role(id, core.channelFor(sink).settings)) {
            case IN -> WriterOperations.Reach.HOLDS;
            case REMOVE -> WriterOperations.Reach.REMOVES;
            case OUT -> WriterOperations.Reach.IGNORES;
        };
    }

    Change<T> changeFor(String sink, Snapshot<T> snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        return changeFor(core.channelFor(sink), snapshot);
    }

    /** What a redelivery sends: the snapshot's state, keyed and correlated as its pending write when it is that one. */
    private Change<T> changeFor(SinkChannel<T> c, Snapshot<T> s) {
        return core.changeOf(s, s.pending().get(c.name), c);
    }

    WriteResult rewrite(String id, long expectedVersion) {
        Objects.requireNonNull(id, "id");
        core.ensureOpen();
        if (!core.store.supportsCompensation()) {
            throw new UnsupportedOperationException("the " + core.type + " primary store cannot commit a write of its own"
                    + " (write-ahead mode: its writes are the application's); save " + core.type + "/" + id
                    + " again through the application");
        }
        Snapshot<T> now = core.store.read(id).orElse(null);
        if (now == null || now.deleted() || now.version() != expectedVersion) {
            throw new VersionConflictException(core.type, id, expectedVersion, now == null ? 0 : now.version());
        }
        // the primary's own state, as stored: what is delivered is what was stored; the expected
        // version makes the commit fail if anything was written since the read
        return writes.write(id, Operation.UPSERT, now.state().orElseThrow(), null,
                WriteOptions.builder().expectedVersion(expectedVersion).build());
    }

    Map<String, SinkOutcome> removeOrphans(String sink, Map<String, Long> heldVersions) {
        Objects.requireNonNull(heldVersions, "heldVersions");
        SinkChannel<T> c = core.channelFor(sink);
        Map<String, SinkOutcome> out = new LinkedHashMap<>();
        List<Change<T>> changes = new ArrayList<>();
        List<String> refs = new ArrayList<>();
        for (Map.Entry<String, Long> e : heldVersions.entrySet()) {
            String id = Objects.requireNonNull(e.getKey(), "an id in heldVersions");
            long held = Objects.requireNonNull(e.getValue(), "the held version of " + id);
            if (held < 1 || held == Long.MAX_VALUE) {
                throw new IllegalArgumentException("the held version of " + id + " must be in [1, Long.MAX_VALUE), was "
                        + held);
            }
        }
        for (Map.Entry<String, Long> e : heldVersions.entrySet()) {
            String id = e.getKey();
            if (c.policy() == DeliveryPolicy.SHADOW) {
                out.put(id, SinkOutcome.SKIPPED);
                continue;
            }
            Optional<Snapshot<T>> snap;
            try {
                snap = core.store.read(id);
            } catch (UnreadableEntityException unreadable) {
                // the primary holds it, alive: not an orphan, whatever its state
                LOG.warn("{}/{} is not removed from sink '{}': the primary holds it but cannot read it ({})", core.type, id,
                        c.name, SinkFailures.describe(unreadable.getCause()));
                out.put(id, SinkOutcome.SKIPPED);
                continue;
            }
            if (snap.isPresent() && !snap.get().deleted()) {
                // alive: the sink holds it rightly, unless it left the sink's lowered ramp; then the
                // primary's own version removes it (the next write is one above, so nothing is barred),
                // which can only beat an older held version
                Snapshot<T> s = snap.get();
                if (Ramp.role(id, c.settings) != Ramp.Role.REMOVE || e.getValue() >= s.version()) {
                    out.put(id, SinkOutcome.SKIPPED);
                    continue;
                }
                Intent intent = s.pending().get(c.name);
                changes.add(core.changeOf(s, intent, c));
                refs.add(intent == null ? null : intent.ref().orElse(null));
                out.put(id, null);
                continue;
            }
            // the smallest version the sink's guard accepts, unless the primary's own tombstone is newer still
            long version = Math.max(e.getValue() + 1, snap.map(Snapshot::version).orElse(0L));
            Intent intent = snap.map(s -> s.pending().get(c.name)).orElse(null);
            changes.add(Change.<T>builder().entityType(core.type).id(id).version(version).operation(Operation.DELETE)
                    .idempotencyKey(IdempotencyKeys.of(core.type, id, version)).correlationId(UUID.randomUUID().toString())
                    .time(core.cfg.observability().clock().instant()).schemaVersion(c.settings.schemaVersion()).build());
            refs.add(intent == null ? null : intent.ref().orElse(null));
            out.put(id, null);
        }
        outcomes(deliverBatch(c, changes, refs, "orphan removal", Map.of(), Integer.MAX_VALUE)).forEach(out::put);
        return out;
    }

    /**
     * One bulk call to one sink; acknowledges what succeeded, dead-letters permanent failures and
     * transient ones whose attempts, counted on from {@code earlier}, reached {@code maxAttempts}.
     */
    private Map<String, Redelivery> deliverBatch(SinkChannel<T> c, List<Change<T>> changes, List<String> refs,
                                                 String what, Map<String, Redelivery> earlier, int maxAttempts) {
        Map<String, Redelivery> out = new LinkedHashMap<>();
        if (changes.isEmpty()) {
            return out;
        }
        BatchDelivery bd = c.deliverAll(changes, core.cfg.observability().clock(), null);
        for (int i = 0; i < changes.size(); i++) {
            Change<T> change = changes.get(i);
            Delivery d = bd.item(i);
            Throwable error = d.error;
            if (error == null) {
                core.acks.add(new Ack(change.id(), c.name, change.version(), refs.get(i)));
                out.put(change.id(), Redelivery.withoutFailure(change.id(), SinkOutcome.APPLIED, change.version()));
                continue;
            }
            ErrorKind kind = d.kind;
            String last = SinkFailures.describe(error);
            Redelivery before = earlier.get(change.id());
            boolean counting = before != null && before.outcome() == SinkOutcome.DEFERRED
                    && before.version() == change.version();
            // an attempt the sink never received (open circuit, full bulkhead, full executor) is not counted
            int attempts = (counting ? before.attempts() : 0) + (d.notCalled ? 0 : 1);
            String first = counting && before.firstError().isPresent() ? before.firstError().get()
                    : d.notCalled ? null : last;
            boolean spent = !d.notCalled && attempts >= maxAttempts;
            if ((kind == ErrorKind.PERMANENT || spent)
                    && core.deadLetter(change, c.name, attempts, kind, first, error, refs.get(i))) {
                out.put(change.id(), new Redelivery(change.id(), SinkOutcome.DEAD_LETTERED, change.version(),
                        Math.max(1, attempts), Optional.of(kind), Optional.ofNullable(first).or(() -> Optional.of(last)),
                        Optional.of(last)));
                continue;
            }
            LOG.warn("{} of {} to sink '{}' failed ({}{}): {}", what, change.idempotencyKey(), c.name, kind,
                    maxAttempts == Integer.MAX_VALUE ? "" : ", attempt " + attempts + " of " + maxAttempts, last);
            out.put(change.id(), new Redelivery(change.id(), SinkOutcome.DEFERRED, change.version(), attempts,
                    Optional.of(kind), Optional.ofNullable(first), Optional.of(last)));
        }
        return out;
    }
}
