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
package io.dualwrite;

import java.time.Instant;
import java.util.Objects;

/**
 * Where entity versions start. Thread-safe (stateless).
 *
 * <p>A version grows by one with every committed write. The first version of an entity is
 * its commit time in microseconds since the epoch rather than 1: when an entity is deleted,
 * its tombstone purged from the primary, and the same id created again, the new incarnation's
 * versions start above every version the old one reached (unless the old one took more than
 * one write per microsecond of its life), so sinks that keep a version-guarded tombstone (a
 * table row, a consumer's last-applied version) accept it. With a frozen test clock, move the
 * clock between the purge of a tombstone and the re-creation of the same id. The numbers stay
 * below 2<sup>53</sup> until the year 2255, so they survive JSON consumers that read numbers
 * as doubles.
 */
public final class Versions {
    /** Versions per millisecond of commit time reserved for the writes of one incarnation. */
    public static final long PER_MILLISECOND = 1000L;

    private Versions() {
    }

    /**
     * @param commitTime when the entity's first write is committed
     * @return its first version: the commit time in microseconds since the epoch, at least 1
     */
    public static long firstVersion(Instant commitTime) {
        Objects.requireNonNull(commitTime, "commitTime");
        long micros = Math.addExact(Math.multiplyExact(commitTime.getEpochSecond(), 1_000_000L),
                commitTime.getNano() / 1_000L);
        return Math.max(1L, micros);
    }
}
