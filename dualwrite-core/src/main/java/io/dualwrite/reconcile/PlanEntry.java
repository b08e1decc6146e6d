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
