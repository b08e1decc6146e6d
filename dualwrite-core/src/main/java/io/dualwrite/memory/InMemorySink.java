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

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.Change;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.DigestingSink;
import io.dualwrite.spi.RangeDigest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The reference versioned sink, in memory: applies a change only if its version is newer than
 * what it holds (a delete leaves a versioned tombstone that is kept for ever), atomically per
 * entity. Reconcilable, with range digests; entries are kept sorted by id, so listings and
 * digests read only their range. Its content digests are those of the states it holds written as
 * JSON by a Jackson mapper ({@link ContentDigest#ofJson(String)}), so a state forced in at a
 * version ({@link #force}) with other content is found by a content comparison. For tests,
 * examples and the parts of a demo without a real sink. Thread-safe.
 *
 * @param <T> the entity type
 */
public final class InMemorySink<T> implements DigestingSink<T>, ContentDigestingSink<T> {
    /** Shared by the sinks made without a mapper of their own (a configured mapper is thread-safe). */
    private static final ObjectMapper DEFAULT_JSON = JsonMapper.builder().addModule(new JavaTimeModule()).build();

    private final ConcurrentSkipListMap<String, Held<T>> held = new ConcurrentSkipListMap<>();
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final ObjectMapper json;

    /** A sink whose content digests write states with a {@link JsonMapper} with the Java time module. */
    public InMemorySink() {
        this(DEFAULT_JSON);
    }

    /**
     * @param json the Jackson mapper that writes states for their content digests, not null; it must
     *             write every state the sink holds (a state it cannot write fails the content comparison
     *             of that entity)
     */
    public InMemorySink(ObjectMapper json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    /** @return zero: a call works on memory only and never waits, so the coordinator calls it directly */
    @Override
    public Optional<Duration> callTimeout() {
        return Optional.of(Duration.ZERO);
    }

    /** @return true: a batch works on memory only, as fast as one change */
    @Override
    public boolean appliesAllInOneCall() {
        return true;
    }

    @Override
    public ApplyResult apply(Change<T> change) {
        Objects.requireNonNull(change, "change");
        AtomicReference<ApplyResult> result = new AtomicReference<>(ApplyResult.ALREADY_CURRENT);
        held.compute(change.id(), (id, cur) -> {
            // a skip list may run this more than once under contention: the last run decides the result
            result.set(ApplyResult.ALREADY_CURRENT);
            if (cur != null && cur.version >= change.version()) {
                return cur;
            }
            result.set(ApplyResult.APPLIED);
            return new Held<>(change.version(), change.state().orElse(null));
        });
        (result.get() == ApplyResult.APPLIED ? applied : ignored).incrementAndGet();
        return result.get();
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String id : ids) {
            Held<T> h = held.get(id);
            if (h != null && h.state != null) {
                out.put(id, h.version);
            }
        }
        return out;
    }

    @Override
    public List<String> idsAfter(String afterExclusive, int limit) {
        Args.atLeast(limit, 1, "limit");
        List<String> ids = new ArrayList<>();
        for (Map.Entry<String, Held<T>> e : range(afterExclusive, null).entrySet()) {
            if (ids.size() == limit) {
                break;
            }
            if (e.getValue().state != null) {
                ids.add(e.getKey());
            }
        }
        return ids;
    }

    @Override
    public RangeDigest digest(String afterExclusive, String toInclusive) {
        RangeDigest d = RangeDigest.EMPTY;
        for (Map.Entry<String, Held<T>> e : range(afterExclusive, toInclusive).entrySet()) {
            if (e.getValue().state != null) {
                d = d.plus(e.getKey(), e.getValue().version);
            }
        }
        return d;
    }

    @Override
    public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws JsonProcessingException {
        Map<String, ContentDigest> out = new LinkedHashMap<>();
        for (String id : ids) {
            Held<T> h = held.get(id);
            if (h != null && h.state != null) {
                out.put(id, digest(h.state));
            }
        }
        return out;
    }

    /**
     * @param change an UPSERT change
     * @return the digest of its state written as JSON, which this sink holds once it applied the change
     * @throws JsonProcessingException  if the mapper cannot write the state
     * @throws IllegalArgumentException if the change is a DELETE
     */
    @Override
    public ContentDigest expectedContentDigest(Change<T> change) throws JsonProcessingException {
        ContentDigestingSink.requireUpsert(change);
        return digest(change.requireState());
    }

    private ContentDigest digest(T state) throws JsonProcessingException {
        return ContentDigest.ofJson(json.writeValueAsString(state));
    }

    private NavigableMap<String, Held<T>> range(String afterExclusive, String toInclusive) {
        if (afterExclusive != null && toInclusive != null) {
            return afterExclusive.compareTo(toInclusive) >= 0 ? Collections.emptyNavigableMap()
                    : held.subMap(afterExclusive, false, toInclusive, true);
        }
        if (afterExclusive != null) {
            return held.tailMap(afterExclusive, false);
        }
        return toInclusive != null ? held.headMap(toInclusive, true) : held;
    }

    /**
     * @param id an entity id
     * @return the live state the sink holds, empty if absent or deleted
     */
    public Optional<T> get(String id) {
        Held<T> h = held.get(id);
        return h == null ? Optional.empty() : Optional.ofNullable(h.state);
    }

    /**
     * @param id an entity id
     * @return the version the sink holds, tombstones included; empty if it never saw the entity
     */
    public OptionalLong versionOf(String id) {
        Held<T> h = held.get(id);
        return h == null ? OptionalLong.empty() : OptionalLong.of(h.version);
    }

    /**
     * @param id an entity id
     * @return true if the sink holds a tombstone for it
     */
    public boolean isDeleted(String id) {
        Held<T> h = held.get(id);
        return h != null && h.state == null;
    }

    /** @return live entities' versions by id, sorted by id */
    public Map<String, Long> liveVersions() {
        Map<String, Long> out = new TreeMap<>();
        held.forEach((id, h) -> {
            if (h.state != null) {
                out.put(id, h.version);
            }
        });
        return out;
    }

    /** @return changes that changed the sink */
    public long appliedCount() {
        return applied.get();
    }

    /** @return changes ignored as duplicates or stale */
    public long ignoredCount() {
        return ignored.get();
    }

    /** Forgets everything, tombstones included (to simulate a sink that lost its data). */
    public void clear() {
        held.clear();
    }

    /**
     * Puts a version directly, bypassing the version guard: for tests that inject drift.
     *
     * @param id      the entity id
     * @param version the version
     * @param state   the state, or null for a tombstone
     */
    public void force(String id, long version, T state) {
        held.put(id, new Held<>(version, state));
    }

    private static final class Held<T> {
        final long version;
        final T state;

        Held(long version, T state) {
            this.version = version;
            this.state = state;
        }
    }
}
