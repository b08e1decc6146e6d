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
package io.dualwrite.reconcile;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a run covers: the whole collection, an id range or a list of ids, for every sink of the
 * reconciler or only some. Ids compare with {@link String#compareTo}, as the primary's scan and
 * the sinks' listings do. Immutable and thread-safe.
 *
 * <pre>{@code
 * ReconcileScope.all();                                   // everything, every sink
 * ReconcileScope.range("p-0999", "p-1999").sinks("search"); // ids in (p-0999, p-1999], one sink
 * ReconcileScope.ids(List.of("p-1", "p-7"));               // two ids, every sink
 * }</pre>
 */
public final class ReconcileScope {
    /** The three kinds of scope. */
    public enum Kind {
        /** Every id. */
        ALL,
        /** The ids in a half-open range. */
        RANGE,
        /** A list of ids. */
        IDS
    }

    /** The ids shown in a scope's description before it is abbreviated. */
    private static final int IDS_SHOWN = 5;

    private final Kind kind;
    private final String afterExclusive;
    private final String toInclusive;
    private final List<String> ids;
    private final SortedSet<String> sinks;

    private ReconcileScope(Kind kind, String afterExclusive, String toInclusive, List<String> ids,
                           SortedSet<String> sinks) {
        this.kind = kind;
        this.afterExclusive = afterExclusive;
        this.toInclusive = toInclusive;
        this.ids = ids;
        this.sinks = sinks;
    }

    /** @return a scope of every id, for every sink */
    public static ReconcileScope all() {
        return new ReconcileScope(Kind.ALL, null, null, List.of(), Collections.emptySortedSet());
    }

    /**
     * A range in the order of the primary's scan: after {@code afterExclusive}, up to and including
     * {@code toInclusive} (the shape of the primary's and the sinks' paging, so a range continues
     * exactly where another stopped).
     *
     * @param afterExclusive the lower bound, excluded; null for none
     * @param toInclusive    the upper bound, included; null for none
     * @return the scope, for every sink
     * @throws IllegalArgumentException if both bounds are given and the upper one is not above the lower one
     */
    public static ReconcileScope range(String afterExclusive, String toInclusive) {
        if (afterExclusive != null && toInclusive != null && toInclusive.compareTo(afterExclusive) <= 0) {
            throw new IllegalArgumentException("the range (" + afterExclusive + ", " + toInclusive + "] is empty: "
                    + "its upper bound must sort after its lower bound");
        }
        return new ReconcileScope(Kind.RANGE, afterExclusive, toInclusive, List.of(), Collections.emptySortedSet());
    }

    /**
     * @param ids the ids, not null, not empty, no null element; duplicates count once
     * @return a scope of those ids (reconciled in ascending order), for every sink
     * @throws IllegalArgumentException if ids is empty
     */
    public static ReconcileScope ids(Collection<String> ids) {
        Objects.requireNonNull(ids, "ids");
        TreeSet<String> sorted = new TreeSet<>();
        for (String id : ids) {
            sorted.add(Objects.requireNonNull(id, "an id in ids"));
        }
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("a scope of ids needs at least one id");
        }
        return new ReconcileScope(Kind.IDS, null, null, List.copyOf(sorted), Collections.emptySortedSet());
    }

    /**
     * @param names the sinks to reconcile, not empty; each must be a sink of the reconciler
     * @return a copy of this scope limited to those sinks
     * @throws IllegalArgumentException if no name is given
     */
    public ReconcileScope sinks(String... names) {
        Objects.requireNonNull(names, "names");
        return sinks(Arrays.asList(names));
    }

    /**
     * @param names the sinks to reconcile, not empty; each must be a sink of the reconciler
     * @return a copy of this scope limited to those sinks
     * @throws IllegalArgumentException if names is empty
     */
    public ReconcileScope sinks(Collection<String> names) {
        Objects.requireNonNull(names, "names");
        TreeSet<String> set = new TreeSet<>();
        for (String n : names) {
            set.add(Objects.requireNonNull(n, "a sink name"));
        }
        if (set.isEmpty()) {
            throw new IllegalArgumentException("name at least one sink, or use the scope without sinks(...) for all");
        }
        return new ReconcileScope(kind, afterExclusive, toInclusive, ids, Collections.unmodifiableSortedSet(set));
    }

    /** @return the kind of scope */
    public Kind kind() {
        return kind;
    }

    /** @return a range's lower bound (excluded), empty for none or another kind */
    public Optional<String> afterExclusive() {
        return Optional.ofNullable(afterExclusive);
    }

    /** @return a range's upper bound (included), empty for none or another kind */
    public Optional<String> toInclusive() {
        return Optional.ofNullable(toInclusive);
    }

    /** @return the ids of an {@link Kind#IDS} scope, ascending; empty for other kinds */
    public List<String> ids() {
        return ids;
    }

    /** @return the sinks named, sorted; empty means every sink of the reconciler */
    public SortedSet<String> sinks() {
        return sinks;
    }

    /**
     * @return a stable key of what this scope covers, ids hashed, sinks left out (a run's key adds
     *         the sinks it resolved)
     */
    public String key() {
        switch (kind) {
            case RANGE:
                return "range(" + quote(afterExclusive) + "," + quote(toInclusive) + ")";
            case IDS:
                return "ids(" + ids.size() + ":" + sha256(String.join("\n", ids)) + ")";
            default:
                return "all";
        }
    }

    private static String quote(String s) {
        return s == null ? "-" : "'" + s.replace("'", "''") + "'";
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** @return a description for people and reports: {@code all}, {@code range (a, b]} or {@code ids [..]} */
    @Override
    public String toString() {
        switch (kind) {
            case RANGE:
                return "range (" + (afterExclusive == null ? "-inf" : afterExclusive) + ", "
                        + (toInclusive == null ? "+inf" : toInclusive) + "]";
            case IDS:
                return ids.size() <= IDS_SHOWN ? "ids " + ids
                        : "ids [" + String.join(", ", ids.subList(0, IDS_SHOWN)) + ", … " + ids.size() + " in all, sha256 "
                        + sha256(String.join("\n", ids)).substring(0, 12) + "]";
            default:
                return "all";
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ReconcileScope)) {
            return false;
        }
        ReconcileScope s = (ReconcileScope) o;
        return kind == s.kind && Objects.equals(afterExclusive, s.afterExclusive)
                && Objects.equals(toInclusive, s.toInclusive) && ids.equals(s.ids) && sinks.equals(s.sinks);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, afterExclusive, toInclusive, ids, sinks);
    }
}
