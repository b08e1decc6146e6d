package io.dualwrite.spi;

import io.dualwrite.Operation;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the primary committed for a {@link PrimaryWrite}. Immutable if the states are.
 *
 * @param <T> the entity type
 */
public final class Committed<T> {
    /** What the commit did. */
    public enum Status {
        /** A new version was committed. */
        WRITTEN,
        /** The request key was seen within its window: nothing was written; {@link #version()} is the first write's. */
        DUPLICATE_REQUEST,
        /** A delete of an entity that does not exist or is already deleted: nothing was written. */
        NOTHING_TO_DELETE
    }

    private final Status status;
    private final String id;
    private final long version;
    private final Operation operation;
    private final T state;
    private final Snapshot<T> previous;
    private final Instant time;
    private final String intentRef;

    /**
     * @param status    what the commit did
     * @param id        the entity id
     * @param version   the committed version (for DUPLICATE_REQUEST the first write's, for
     *                  NOTHING_TO_DELETE the tombstone's or 0)
     * @param operation the operation committed
     * @param state     the state committed (null for a delete); for the write-ahead mode, the state read back
     * @param previous  the before-image (the snapshot the write replaced), null if the entity did not exist
     * @param time      the commit time
     * @param intentRef the store's reference for the recorded intents, null if it needs none
     */
    public Committed(Status status, String id, long version, Operation operation, T state, Snapshot<T> previous,
                     Instant time, String intentRef) {
        this.status = Objects.requireNonNull(status, "status");
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.operation = Objects.requireNonNull(operation, "operation");
        this.state = state;
        this.previous = previous;
        this.time = Objects.requireNonNull(time, "time");
        this.intentRef = intentRef;
    }

    /** @return what the commit did */
    public Status status() {
        return status;
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version */
    public long version() {
        return version;
    }

    /** @return the operation */
    public Operation operation() {
        return operation;
    }

    /** @return the committed state, empty for a delete */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /** @return the before-image, empty if the entity did not exist before */
    public Optional<Snapshot<T>> previous() {
        return Optional.ofNullable(previous);
    }

    /** @return the commit time */
    public Instant time() {
        return time;
    }

    /** @return the store's reference for the recorded intents, if it uses one */
    public Optional<String> intentRef() {
        return Optional.ofNullable(intentRef);
    }

    @Override
    public String toString() {
        return "Committed{" + status + " " + operation + " " + id + "@" + version + "}";
    }
}
