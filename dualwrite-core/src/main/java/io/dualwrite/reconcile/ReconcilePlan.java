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

import io.dualwrite.reconcile.internal.ReconcileJson;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a comparison found and what repairing it takes: counts by sink and drift class, and one
 * entry per id that is not in sync, sorted by sink, then id. The plan only ever republishes
 * what the primary holds or deletes what it does not hold: it never invents data. The same
 * primary and sinks give the same plan, byte for byte in {@link #toJson()}: it holds no time,
 * run id or call figures. Immutable.
 *
 * @param entityType the entity type
 * @param scope      the scope's description
 * @param sinks      the sinks compared, sorted
 * @param counts     per sink, how many ids fell in each drift class (every class present, zeros included)
 * @param entries    the ids not in sync, sorted by sink, then id
 */
public record ReconcilePlan(String entityType, String scope, List<String> sinks,
                            Map<String, Map<DriftClass, Long>> counts, List<PlanEntry> entries) {
    /**
     * Checks and copies the components.
     *
     * @param entityType the entity type
     * @param scope the scope's description
     * @param sinks the sinks compared, sorted
     * @param counts per sink, how many ids fell in each drift class (every class present, zeros included)
     * @param entries the ids not in sync, sorted by sink, then id
     * @throws NullPointerException if any component is null
     */
    public ReconcilePlan {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(scope, "scope");
        sinks = List.copyOf(sinks);
        counts = ReconcileJson.copyCounts(Objects.requireNonNull(counts, "counts"), DriftClass.class);
        entries = List.copyOf(entries);
    }

    /**
     * @param drift a drift class
     * @return how many ids of every sink fell in it
     */
    public long count(DriftClass drift) {
        return counts.values().stream().mapToLong(m -> m.getOrDefault(drift, 0L)).sum();
    }

    /** @return how many ids of every sink are not in sync */
    public long drift() {
        return entries.size();
    }

    /** @return true when every compared id is in sync */
    public boolean inSync() {
        return entries.isEmpty();
    }

    /** @return the plan as compact JSON, stable byte for byte */
    public String toJson() {
        return ReconcileJson.write(this);
    }

    /**
     * @param json JSON from {@link #toJson()}
     * @return the plan
     * @throws IllegalArgumentException if the JSON is not a plan
     */
    public static ReconcilePlan fromJson(String json) {
        return ReconcileJson.read(Objects.requireNonNull(json, "json"), ReconcilePlan.class);
    }

    /** @return the plan for people: a header with the counts, then one line per entry */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("reconciliation plan for ").append(entityType).append(", ").append(scope).append('\n');
        counts.forEach((sink, byClass) -> {
            sb.append("  ").append(sink).append(':');
            byClass.forEach((c, n) -> sb.append(' ').append(c).append('=').append(n));
            sb.append('\n');
        });
        for (PlanEntry e : entries) {
            sb.append("  ").append(e.toText()).append('\n');
        }
        return sb.toString();
    }
}
