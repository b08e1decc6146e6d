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

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One way a sink differs from the primary for one entity. Immutable and thread-safe.
 */
public final class Discrepancy {

    /** How a sink differs. */
    public enum Kind {
        /** The primary holds the entity live; the sink does not hold it. */
        MISSING,
        /** The sink holds an older version than the primary's latest. */
        STALE,
        /** The sink holds the entity live although the primary deleted it or never had it. */
        ORPHAN,
        /** The sink holds a version the primary never committed, or one ahead of the primary. */
        PHANTOM,
        /** The sink holds the primary's version with a different state. */
        DIVERGENT
    }

    private final Kind kind;
    private final String sink;
    private final String id;
    private final long primaryVersion;
    private final boolean primaryLive;
    private final long sinkVersion;

    /**
     * @param kind           how the sink differs
     * @param sink           the sink's name
     * @param id             the entity id
     * @param primaryVersion the primary's version, 0 when the primary holds nothing for the id
     * @param primaryLive    whether the primary holds it live (false for a tombstone or nothing)
     * @param sinkVersion    the sink's live version, 0 when the sink holds none
     */
    public Discrepancy(Kind kind, String sink, String id, long primaryVersion, boolean primaryLive, long sinkVersion) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.id = Objects.requireNonNull(id, "id");
        this.primaryVersion = primaryVersion;
        this.primaryLive = primaryLive;
        this.sinkVersion = sinkVersion;
    }

    /** @return how the sink differs */
    public Kind kind() {
        return kind;
    }

    /** @return the sink's name */
    public String sink() {
        return sink;
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the primary's version, empty when the primary holds nothing for the id */
    public OptionalLong primaryVersion() {
        return primaryVersion == 0 ? OptionalLong.empty() : OptionalLong.of(primaryVersion);
    }

    /** @return true when the primary holds the entity live */
    public boolean primaryLive() {
        return primaryLive;
    }

    /** @return the sink's live version, empty when it holds none */
    public OptionalLong sinkVersion() {
        return sinkVersion == 0 ? OptionalLong.empty() : OptionalLong.of(sinkVersion);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Discrepancy)) {
            return false;
        }
        Discrepancy d = (Discrepancy) o;
        return kind == d.kind && sink.equals(d.sink) && id.equals(d.id) && primaryVersion == d.primaryVersion
                && primaryLive == d.primaryLive && sinkVersion == d.sinkVersion;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sink, id, primaryVersion, sinkVersion);
    }

    /** @return one diff line: {@code STALE    search  item-7  primary live@1005  sink live@1003} */
    @Override
    public String toString() {
        String p = primaryVersion == 0 ? "absent" : (primaryLive ? "live@" : "deleted@") + primaryVersion;
        String s = sinkVersion == 0 ? "absent" : "live@" + sinkVersion;
        return String.format("%-9s %s  %s  primary %s  sink %s", kind, sink, id, p, s);
    }
}
