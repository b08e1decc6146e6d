package io.dualwrite.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the primary holds for one entity at one moment: its state and version (or a tombstone),
 * and the intents still pending. Immutable if the state is.
 *
 * @param <T> the entity type
 */
public final class Snapshot<T> {
    private final String id;
    private final long version;
    private final T state;
    private final Instant updatedAt;
    private final Map<String, Intent> pending;

    /**
     * @param id        the entity id
     * @param version   its committed version, at least 1
     * @param state     its state, null when the entity is deleted (a tombstone)
     * @param updatedAt when the version was committed
     * @param pending   the pending intents by sink name
     */
    public Snapshot(String id, long version, T state, Instant updatedAt, Map<String, Intent> pending) {
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.state = state;
        this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        this.pending = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(pending, "pending")));
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version */
    public long version() {
        return version;
    }

    /** @return the state, empty for a tombstone */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /** @return true when the entity is deleted and this is its tombstone */
    public boolean deleted() {
        return state == null;
    }

    /** @return when the version was committed */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the intents still pending, by sink name; unmodifiable */
    public Map<String, Intent> pending() {
        return pending;
    }

    @Override
    public String toString() {
        return "Snapshot{" + id + "@" + version + (deleted() ? " deleted" : "") + ", pending=" + pending.keySet() + "}";
    }
}
