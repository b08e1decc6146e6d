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
package io.dualwrite.reconcile.internal;

import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.PlanEntry;
import io.dualwrite.spi.Snapshot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.function.BiPredicate;

/** One comparison of one chunk of one sink. */
final class Chunk<T> {
    private final BiPredicate<String, Snapshot<T>> holds;

    final List<PlanEntry> entries = new ArrayList<>();
    final EnumMap<DriftClass, Long> counts = new EnumMap<>(DriftClass.class);
    /** The live entities the sink holds at the primary's version: those whose content may still differ. */
    final List<Snapshot<T>> sameVersion = new ArrayList<>();
    long covered;
    long compared;
    long contentCompared;
    String endId;

    /** @param holds whether a sink is to hold a snapshot (alive, within its ramp) */
    Chunk(BiPredicate<String, Snapshot<T>> holds) {
        this.holds = holds;
    }

    /** A range found equal through digests: every snapshot in it is in sync by version. */
    void inSync(String sink, List<Snapshot<T>> snapshots) {
        counts.merge(DriftClass.IN_SYNC, (long) snapshots.size(), Long::sum);
        covered += snapshots.size();
        for (Snapshot<T> snap : snapshots) {
            if (holds.test(sink, snap)) {
                sameVersion.add(snap);
            }
        }
    }

    void add(PlanEntry e) {
        counts.merge(e.drift(), 1L, Long::sum);
        covered++;
        compared++;
        if (e.drift() == DriftClass.IN_SYNC) {
            return;
        }
        entries.add(e);
    }

    /** Ids in sync by version whose content differs: moved from IN_SYNC, merged in id order. */
    void contentMismatches(List<PlanEntry> found) {
        if (found.isEmpty()) {
            return;
        }
        counts.merge(DriftClass.IN_SYNC, (long) -found.size(), Long::sum);
        counts.merge(DriftClass.CONTENT_MISMATCH, (long) found.size(), Long::sum);
        entries.addAll(found);
        entries.sort(Comparator.comparing(PlanEntry::id));
    }
}
