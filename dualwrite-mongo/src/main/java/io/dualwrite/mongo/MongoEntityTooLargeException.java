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
 * An entity whose document, with what the store adds to it later (a recovery lease, the errors of
 * failed deliveries), could grow past MongoDB's 16 MiB document limit: a real MongoDB would refuse
 * those later updates, so the store refuses the write itself, before anything is written.
 * {@link MongoErrorClassifier} calls it {@link io.dualwrite.ErrorKind#PERMANENT}. Immutable.
 */
public class MongoEntityTooLargeException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param entityType the entity collection's name
     * @param entityId   the entity id
     * @param bytes      the size of the document with its metadata
     * @param headroom   the room kept for what the store adds later
     * @param limit      the largest document MongoDB stores
     */
    public MongoEntityTooLargeException(String entityType, String entityId, long bytes, long headroom, long limit) {
        super(entityType + "/" + entityId + " is " + bytes + " bytes with its metadata; with " + headroom
                + " bytes kept for the store's later bookkeeping it must stay within " + limit
                + " bytes; nothing was written", entityType, entityId, null);
    }
}
