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

import java.util.Objects;

/**
 * One line of a plan: an id of a sink that is not in sync, what differs and what to do. Versions
 * are 0 where a side holds no live entity (real versions start at 1). Immutable.
 *
 * @param sink           the sink name
 * @param id             the entity id
 * @param drift          how the sink differs from the primary
 * @param action         what the plan does about it
 * @param primaryVersion the primary's version (of the tombstone, for a deleted entity); 0 when absent
 * @param sinkVersion    the version of the live entity the sink holds; 0 when it holds none
 */
public record PlanEntry(String sink, String id, DriftClass drift, RepairAction action, long primaryVersion,
                        long sinkVersion) {
    /**
     * Checks and copies the components.
     *
     * @param sink the sink name
     * @param id the entity id
     * @param drift how the sink differs from the primary
     * @param action what the plan does about it
     * @param primaryVersion the primary's version (of the tombstone, for a deleted entity); 0 when absent
     * @param sinkVersion the version of the live entity the sink holds; 0 when it holds none
     * @throws NullPointerException if sink, id, drift or action is null
     */
    public PlanEntry {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(drift, "drift");
        Objects.requireNonNull(action, "action");
    }

    /** @return one line for people: {@code sink id DRIFT ACTION primary=v sink=v} */
    public String toText() {
        return sink + ' ' + id + ' ' + drift + ' ' + action + " primary=" + primaryVersion + " sink=" + sinkVersion;
    }
}
