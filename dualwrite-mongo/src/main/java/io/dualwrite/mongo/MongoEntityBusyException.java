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
package io.dualwrite.mongo;

import io.dualwrite.DualWriteException;

/**
 * A read through the write-ahead store found something the entity's record does not hold yet (a write whose last
 * command failed, or a write from outside the store), which the record must learn before the reading may be
 * returned, and a write held the entity for longer than a write waits ({@code writeWait}). Nothing was read;
 * {@link MongoErrorClassifier} calls it {@link io.dualwrite.ErrorKind#TRANSIENT}: retry once the write is over (a
 * write whose own outcome is unknown holds the entity until its {@code writeLease} runs out). Immutable.
 */
public class MongoEntityBusyException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param entityType the entity collection's name
     * @param entityId   the entity id
     */
    public MongoEntityBusyException(String entityType, String entityId) {
        super("could not read " + entityType + "/" + entityId + ": its record has to learn what the read found, and a"
                + " write held the entity for longer than a write waits; retry", entityType, entityId, null);
    }
}
