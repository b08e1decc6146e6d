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
package io.dualwrite.mongo.events;

import io.dualwrite.DualWriteException;

/**
 * A write was refused because its entity's document already holds as many undelivered events as
 * {@link EmbeddedEvents} allows (by count or by size): the event relay is behind or its sinks are
 * down. Nothing was written; the caller may retry once the relay has caught up. Thrown by the
 * store's commit (a {@link io.dualwrite.DualWriter} reports it as the cause of its
 * {@link io.dualwrite.PrimaryWriteException}).
 */
public class EventBacklogFullException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code heldEvents}. */
    private final int heldEvents;
    /** Serialized with the exception: its {@code heldBytes}. */
    private final int heldBytes;

    /**
     * @param entityType the collection
     * @param entityId   the entity id
     * @param heldEvents events the document holds
     * @param heldBytes  their size in bytes
     * @param limit      the bound that was reached, for the message
     */
    public EventBacklogFullException(String entityType, String entityId, int heldEvents, int heldBytes, String limit) {
        super(entityType + "/" + entityId + " already holds " + heldEvents + " undelivered events (" + heldBytes
                + " bytes); one more would pass " + limit + "; nothing was written, retry once the event relay has"
                + " caught up", entityType, entityId, null);
        this.heldEvents = heldEvents;
        this.heldBytes = heldBytes;
    }

    /** @return undelivered events the document holds */
    public int heldEvents() {
        return heldEvents;
    }

    /** @return their size in bytes */
    public int heldBytes() {
        return heldBytes;
    }
}
