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
package io.dualwrite.memory;

import io.dualwrite.Operation;
import io.dualwrite.VersionConflictException;
import io.dualwrite.Versions;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.RequestKey;
import io.dualwrite.spi.Snapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.BiFunction;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * The reference {@link PrimaryStore}: everything in memory, every operation atomic per entity.
 * For tests, examples and benchmarks of the coordinator's own cost; it keeps nothing across a
 * restart. Entities are stored by reference unless a copier is given, so store immutable
 * entities (records) or pass a copier. Thread-safe.
 *
 * @param <T> the entity type
 */
public final class InMemoryPrimaryStore<T> implements PrimaryStore<T> {
    /** Request keys remembered per entity; older ones are forgotten first. */
    public static final int MAX_REQUEST_KEYS_PER_ENTITY = 32;

    private final ConcurrentHashMap<String, Entry<T>> records = new ConcurrentHashMap<>();
    /** Entities with pending intents, by earliest due time then id. */
    private final ConcurrentSkipListSet<DueKey> dueIndex = new ConcurrentSkipListSet<>();
    private final UnaryOperator<T> copier;

    /** A store that keeps entities by reference. */
    public InMemoryPrimaryStore() {
        this(UnaryOperator.identity());
    }

    /** @param copier copies an entity on its way in and out, so callers cannot change stored state */
    public InMemoryPrimaryStore(UnaryOperator<T> copier) {
        this.copier = Objects.requireNonNull(copier, "copier");
    }

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        Objects.requireNonNull(write, "write");
        if (write.callerWrite().isPresent()) {
            throw new UnsupportedOperationException("the in-memory store has no write-ahead mode; use save/delete");
        }
        AtomicReference<Committed<T>> out = new AtomicReference<>();
        String id = write.id();
        Instant time = write.time();
        update(id, (k, cur) -> {
            Optional<RequestKey> repeated = cur == null ? Optional.empty() : RequestKey.repeatedBy(cur.requestKeys, write);
            if (repeated.isPresent()) {
                RequestKey rk = repeated.get();
                out.set(new Committed<>(Committed.Status.DUPLICATE_REQUEST, id, rk.version(), rk.operation(),
                        null, null, rk.at(), null));
                return cur;
            }
            long actual = cur == null ? 0 : cur.version;
            if (!write.expects(actual, cur != null && cur.state == null)) {
                throw new VersionConflictException("entity", id, write.expectedVersion().getAsLong(), actual);
            }
            if (write.operation() == Operation.DELETE && (cur == null || cur.state == null)) {
                out.set(new Committed<>(Committed.Status.NOTHING_TO_DELETE, id, actual, Operation.DELETE, null, null,
                        time, null));
                return cur;
            }
            long version = cur == null ? Versions.firstVersion(time) : cur.version + 1;
            Map<String, Intent> pending = new LinkedHashMap<>(cur == null ? Map.of() : cur.pending);
            for (IntentSpec spec : write.intents()) {
                pending.put(spec.sink(), new Intent(spec.sink(), version, spec.dueAt(), 0, null, null,
                        write.correlationId(), write.idempotencyKey().orElse(null), null));
            }
            List<RequestKey> keys = RequestKey.afterCommit(cur == null ? List.of() : cur.requestKeys, write, version,
                    MAX_REQUEST_KEYS_PER_ENTITY);
            T state = write.state().map(copier).orElse(null);
            Entry<T> next = new Entry<>(version, state, time, pending, null, null, keys);
            out.set(new Committed<>(Committed.Status.WRITTEN, id, version, write.operation(),
                    state == null ? null : copier.apply(state), cur == null ? null : cur.snapshot(id, copier), time, null));
            return next;
        });
        return out.get();
    }

    @Override
    public Optional<Snapshot<T>> read(String id) {
        Objects.requireNonNull(id, "id");
        Entry<T> e = records.get(id);
        return e == null ? Optional.empty() : Optional.of(e.snapshot(id, copier));
    }

    @Override
    public void acknowledge(Collection<Ack> acks) {
        for (Ack ack : acks) {
            updateIfPresent(ack.id(), (k, cur) -> {
                Intent intent = cur.pending.get(ack.sink());
                if (intent == null || intent.version() > ack.version()) {
                    return cur;
                }
                Map<String, Intent> pending = new LinkedHashMap<>(cur.pending);
                pending.remove(ack.sink());
                // a tombstone stays once every sink has the delete: it keeps the last version and the request keys
                return cur.withPending(pending);
            });
        }
    }

    @Override
    public List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease) {
        Args.atLeast(limit, 1, "limit");
        // the due index is ordered by due time: walk it from the earliest until the first one not yet due
        List<Snapshot<T>> claimed = new ArrayList<>();
        for (DueKey key : dueIndex) {
            if (claimed.size() >= limit || key.due.isAfter(now)) {
                break;
            }
            AtomicReference<Snapshot<T>> got = new AtomicReference<>();
            updateIfPresent(key.id, (k, cur) -> {
                if (!cur.claimable(now)) {
                    return cur;
                }
                Entry<T> leased = new Entry<>(cur.version, cur.state, cur.updatedAt, cur.pending, owner,
                        now.plus(lease), cur.requestKeys);
                got.set(leased.snapshot(k, copier));
                return leased;
            });
            if (got.get() != null) {
                claimed.add(got.get());
            }
        }
        return claimed;
    }

    @Override
    public void reschedule(String id, Collection<Intent> updated) {
        updateIfPresent(id, (k, cur) -> {
            Map<String, Intent> pending = new LinkedHashMap<>(cur.pending);
            for (Intent u : updated) {
                Intent existing = pending.get(u.sink());
                if (existing != null && existing.version() == u.version()) {
                    pending.put(u.sink(), u);
                }
            }
            return cur.withPending(pending);
        });
    }

    @Override
    public void release(String id, String owner) {
        updateIfPresent(id, (k, cur) -> owner.equals(cur.leaseOwner)
                ? new Entry<>(cur.version, cur.state, cur.updatedAt, cur.pending, null, null, cur.requestKeys) : cur);
    }

    @Override
    public List<Snapshot<T>> scan(String afterExclusive, int limit) {
        Args.atLeast(limit, 1, "limit");
        List<String> ids = new ArrayList<>();
        for (String id : records.keySet()) {
            if (afterExclusive == null || id.compareTo(afterExclusive) > 0) {
                ids.add(id);
            }
        }
        ids.sort(Comparator.naturalOrder());
        List<Snapshot<T>> out = new ArrayList<>();
        for (String id : ids) {
            if (out.size() >= limit) {
                break;
            }
            read(id).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public long pendingCount() {
        return dueIndex.size();
    }

    @Override
    public Optional<Instant> oldestDue() {
        try {
            return Optional.of(dueIndex.first().due);
        } catch (java.util.NoSuchElementException empty) {
            return Optional.empty();
        }
    }

    private void update(String id, BiFunction<String, Entry<T>, Entry<T>> change) {
        records.compute(id, (k, cur) -> reindexed(k, cur, change.apply(k, cur)));
    }

    private void updateIfPresent(String id, BiFunction<String, Entry<T>, Entry<T>> change) {
        records.computeIfPresent(id, (k, cur) -> reindexed(k, cur, change.apply(k, cur)));
    }

    /** Keeps the due index in step with an entity's change; runs inside the map's atomic update. */
    private Entry<T> reindexed(String id, Entry<T> before, Entry<T> after) {
        Instant was = before == null ? null : before.due();
        Instant is = after == null ? null : after.due();
        if (!Objects.equals(was, is)) {
            if (was != null) {
                dueIndex.remove(new DueKey(was, id));
            }
            if (is != null) {
                dueIndex.add(new DueKey(is, id));
            }
        }
        return after;
    }

    /** @return how many entities (tombstones included) the store holds */
    public int size() {
        return records.size();
    }

    /** Drops everything. */
    public void clear() {
        records.clear();
        dueIndex.clear();
    }

    private static final class DueKey implements Comparable<DueKey> {
        final Instant due;
        final String id;

        DueKey(Instant due, String id) {
            this.due = due;
            this.id = id;
        }

        @Override
        public int compareTo(DueKey o) {
            int c = due.compareTo(o.due);
            return c != 0 ? c : id.compareTo(o.id);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DueKey && compareTo((DueKey) o) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(due, id);
        }
    }

    private static final class Entry<T> {
        final long version;
        final T state;
        final Instant updatedAt;
        final Map<String, Intent> pending;
        final String leaseOwner;
        final Instant leaseUntil;
        final List<RequestKey> requestKeys;

        Entry(long version, T state, Instant updatedAt, Map<String, Intent> pending, String leaseOwner,
              Instant leaseUntil, List<RequestKey> requestKeys) {
            this.version = version;
            this.state = state;
            this.updatedAt = updatedAt;
            this.pending = Map.copyOf(pending);
            this.leaseOwner = leaseOwner;
            this.leaseUntil = leaseUntil;
            this.requestKeys = List.copyOf(requestKeys);
        }

        Entry<T> withPending(Map<String, Intent> next) {
            return new Entry<>(version, state, updatedAt, next, leaseOwner, leaseUntil, requestKeys);
        }

        Instant due() {
            return Intent.earliestDue(pending.values());
        }

        boolean claimable(Instant now) {
            Instant due = due();
            return due != null && !due.isAfter(now) && (leaseUntil == null || !leaseUntil.isAfter(now));
        }

        Snapshot<T> snapshot(String id, UnaryOperator<T> copier) {
            Map<String, Intent> ordered = new LinkedHashMap<>();
            pending.keySet().stream().sorted().forEach(s -> ordered.put(s, pending.get(s)));
            return new Snapshot<>(id, version, state == null ? null : copier.apply(state), updatedAt, ordered);
        }
    }
}
