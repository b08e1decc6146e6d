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

import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;

import java.util.Objects;

/**
 * The primary holds an entity whose stored state its store cannot read (a document the codec
 * cannot decode, or one without the version field the store needs): thrown by
 * {@link PrimaryStore#read}, with what the store could still tell of the entity. The coordinator
 * dead-letters such an entity's deliveries as permanent failures and goes on with the others; an
 * operator replays them once the data or the codec is fixed. {@link DualWriter#read} throws it too: the entity's id,
 * type and read failure are its own, its version and pending sinks are in {@link #snapshot()}. Instances are
 * immutable once thrown.
 */
public class UnreadableEntityException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code snapshot}. */
    private final transient Snapshot<?> snapshot;

    /**
     * @param entityType the entity type
     * @param snapshot   the entity as far as the store can read it: a {@link Snapshot#unreadable} one
     * @throws IllegalArgumentException if the snapshot is not an unreadable one
     */
    public UnreadableEntityException(String entityType, Snapshot<?> snapshot) {
        super(entityType + "/" + Objects.requireNonNull(snapshot, "snapshot").id() + " cannot be read from the primary: "
                + snapshot.readFailure().orElseThrow(() -> new IllegalArgumentException(
                        "the snapshot of an unreadable entity carries its read failure")),
                entityType, snapshot.id(), snapshot.readFailure().get());
        this.snapshot = snapshot;
    }

    /**
     * @param <T> the entity type
     * @return the entity as far as the store can read it (its version and pending intents; no state)
     */
    @SuppressWarnings("unchecked")
    public <T> Snapshot<T> snapshot() {
        return (Snapshot<T>) snapshot;
    }
}
