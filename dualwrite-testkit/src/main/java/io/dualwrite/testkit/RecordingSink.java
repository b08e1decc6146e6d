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
package io.dualwrite.testkit;

import io.dualwrite.Change;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a sink and counts every side effect per entity and version: how often each version was
 * applied (the wrapped sink said {@link ApplyResult#APPLIED}, so the destination changed), how
 * often it was ignored ({@link ApplyResult#ALREADY_CURRENT}) and how often the call failed. A test
 * proves "applied exactly once in effect" with {@link #assertEachVersionAppliedAtMostOnce()} (no
 * version changed the destination twice) together with a convergence check (the final state is
 * the latest).
 *
 * <p>Put it directly around the real sink, under any fault wrapper, so it sees what reached the
 * destination. It counts in {@link #send} and {@link #sendAll}, which every delivery goes through
 * ({@link ForwardingSink}); a change whose mapping failed counts as a failed delivery of that
 * version. Reads and {@link #validate} pass through uncounted. Thread-safe.
 *
 * @param <T> the entity type
 */
public final class RecordingSink<T> extends ForwardingSink<T> {
    private final ConcurrentHashMap<String, ConcurrentHashMap<Long, Counts>> byEntity = new ConcurrentHashMap<>();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** @param delegate the sink whose side effects to count, not null */
    public RecordingSink(Sink<T> delegate) {
        super(delegate);
    }

    /** Counts a change that could not be mapped as a failed delivery of it, then rethrows. */
    @Override
    public Object map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        try {
            return super.map(change);
        } catch (Exception | Error e) {
            failed(change);
            throw e;
        }
    }

    @Override
    public ApplyResult send(Change<T> change, Object request) throws Exception {
        Objects.requireNonNull(change, "change");
        try {
            ApplyResult r = super.send(change, request);
            record(change, r);
            return r;
        } catch (Exception | Error e) {
            failed(change);
            throw e;
        }
    }

    @Override
    public List<BatchItem> sendAll(List<Mapped<T, Object>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        List<BatchItem> items;
        try {
            items = super.sendAll(mapped);
        } catch (RuntimeException | Error e) {
            mapped.forEach(m -> failed(m.change()));
            throw e;
        }
        if (items != null && items.size() == mapped.size()) {
            for (int i = 0; i < mapped.size(); i++) {
                BatchItem item = items.get(i);
                if (item.succeeded()) {
                    record(mapped.get(i).change(), item.result());
                } else {
                    failed(mapped.get(i).change());
                }
            }
        }
        return items;
    }

    /** Passes through to the wrapped sink: a dry run is no delivery and is not counted. */
    @Override
    public void validate(Change<T> change) throws Exception {
        delegate().validate(change);
    }

    /**
     * @param id      an entity id
     * @param version a version
     * @return how many times that version changed the destination
     */
    public long appliedCount(String id, long version) {
        Counts c = countsOrNull(id, version);
        return c == null ? 0 : c.applied.get();
    }

    /**
     * @param id      an entity id
     * @param version a version
     * @return how many times that version was delivered and ignored as already current
     */
    public long ignoredCount(String id, long version) {
        Counts c = countsOrNull(id, version);
        return c == null ? 0 : c.ignored.get();
    }

    /** @return deliveries that changed the destination, all entities */
    public long appliedCount() {
        return applied.get();
    }

    /** @return deliveries ignored as already current, all entities */
    public long ignoredCount() {
        return ignored.get();
    }

    /** @return deliveries that failed, all entities */
    public long failedCount() {
        return failed.get();
    }

    /**
     * @param id an entity id
     * @return the versions that changed the destination, ascending
     */
    public List<Long> appliedVersions(String id) {
        Map<Long, Counts> versions = byEntity.get(Objects.requireNonNull(id, "id"));
        List<Long> out = new ArrayList<>();
        if (versions != null) {
            new TreeMap<>(versions).forEach((v, c) -> {
                if (c.applied.get() > 0) {
                    out.add(v);
                }
            });
        }
        return out;
    }

    /** @return the ids of every entity the sink was asked about, sorted */
    public List<String> ids() {
        List<String> ids = new ArrayList<>(byEntity.keySet());
        ids.sort(null);
        return ids;
    }

    /**
     * @return one line per version that changed the destination more than once
     *         ({@code id@version applied N times}), sorted; empty when every effect happened at most once
     */
    public List<String> repeatedEffects() {
        List<String> out = new ArrayList<>();
        for (String id : ids()) {
            new TreeMap<>(byEntity.get(id)).forEach((v, c) -> {
                if (c.applied.get() > 1) {
                    out.add(id + "@" + v + " applied " + c.applied.get() + " times");
                }
            });
        }
        return out;
    }

    /**
     * @throws AssertionError listing every version that changed the destination more than once
     */
    public void assertEachVersionAppliedAtMostOnce() {
        List<String> repeated = repeatedEffects();
        if (!repeated.isEmpty()) {
            throw new AssertionError("each version must change the destination at most once, but "
                    + repeated.size() + " did more often:\n  " + String.join("\n  ", repeated));
        }
    }

    /** Forgets every count. */
    public void reset() {
        byEntity.clear();
        applied.set(0);
        ignored.set(0);
        failed.set(0);
    }

    @Override
    public String toString() {
        return "RecordingSink{applied=" + applied.get() + ", ignored=" + ignored.get() + ", failed=" + failed.get()
                + ", entities=" + byEntity.size() + "}";
    }

    private void record(Change<T> change, ApplyResult r) {
        Counts c = counts(change);
        if (r == ApplyResult.APPLIED) {
            c.applied.incrementAndGet();
            applied.incrementAndGet();
        } else {
            c.ignored.incrementAndGet();
            ignored.incrementAndGet();
        }
    }

    private void failed(Change<T> change) {
        counts(change).failed.incrementAndGet();
        failed.incrementAndGet();
    }

    private Counts counts(Change<T> change) {
        return byEntity.computeIfAbsent(change.id(), k -> new ConcurrentHashMap<>())
                .computeIfAbsent(change.version(), k -> new Counts());
    }

    private Counts countsOrNull(String id, long version) {
        Map<Long, Counts> versions = byEntity.get(Objects.requireNonNull(id, "id"));
        return versions == null ? null : versions.get(version);
    }

    private static final class Counts {
        final AtomicLong applied = new AtomicLong();
        final AtomicLong ignored = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
    }
}
