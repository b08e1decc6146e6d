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
    private final boolean versionKnown;

    /**
     * @param status    what the commit did
     * @param id        the entity id
     * @param version   the committed version (for DUPLICATE_REQUEST the first write's, for
     *                  NOTHING_TO_DELETE the tombstone's or 0)
     * @param operation the operation committed
     * @param state     the state as the primary holds it (after the store's own encoding, never the
     *                  caller's object), null for a delete; for the write-ahead mode, the state read back
     * @param previous  the before-image (the snapshot the write replaced, at version 0 for a document the
     *                  store did not manage yet), null if the entity did not exist (or, for a store that
     *                  does not support compensation, if the store did not read it)
     * @param time      the commit time
     * @param intentRef the store's reference for the recorded intents, null if it needs none
     */
    public Committed(Status status, String id, long version, Operation operation, T state, Snapshot<T> previous,
                     Instant time, String intentRef) {
        this(status, id, version, operation, state, previous, time, intentRef, true);
    }

    /**
     * @param status       what the commit did
     * @param id           the entity id
     * @param version      the committed version, or, when not known, the version read back right after the
     *                     write, which holds this write or a later one
     * @param operation    the operation committed
     * @param state        the state as the primary holds it, null for a delete
     * @param previous     the before-image, null if the entity did not exist
     * @param time         the commit time
     * @param intentRef    the store's reference for the recorded intents, null if it needs none
     * @param versionKnown false when the store cannot prove that {@code version} is this write's own (a
     *                     write-ahead store whose caller's write may have been followed by another)
     */
    public Committed(Status status, String id, long version, Operation operation, T state, Snapshot<T> previous,
                     Instant time, String intentRef, boolean versionKnown) {
        this.status = Objects.requireNonNull(status, "status");
        this.id = Objects.requireNonNull(id, "id");
        this.version = version;
        this.operation = Objects.requireNonNull(operation, "operation");
        this.state = state;
        this.previous = previous;
        this.time = Objects.requireNonNull(time, "time");
        this.intentRef = intentRef;
        this.versionKnown = versionKnown;
    }

    /** @return what the commit did */
    public Status status() {
        return status;
    }

    /** @return the entity id */
    public String id() {
        return id;
    }

    /** @return the committed version; see {@link #versionKnown()} */
    public long version() {
        return version;
    }

    /**
     * @return true when {@link #version()} is this write's own; false when it is the version read back
     *         after the write, which holds this write or a later one
     */
    public boolean versionKnown() {
        return versionKnown;
    }

    /** @return the operation */
    public Operation operation() {
        return operation;
    }

    /** @return the state as the primary holds it (what every sink receives), empty for a delete */
    public Optional<T> state() {
        return Optional.ofNullable(state);
    }

    /**
     * @return the before-image, empty if the entity did not exist before; a store that does not
     *         {@linkplain PrimaryStore#supportsCompensation() support compensation} may leave it empty
     *         for a save it made without reading the entity first
     */
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
