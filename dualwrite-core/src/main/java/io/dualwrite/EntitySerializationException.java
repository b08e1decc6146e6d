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

/**
 * The entity cannot be turned into the representation the sinks need (Jackson failed on it).
 * Thrown before anything is written.
 */
public class EntitySerializationException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param entityType the entity type
     * @param entityId   the entity id, may be null when it could not be read
     * @param cause      the serializer's failure
     */
    public EntitySerializationException(String entityType, String entityId, Throwable cause) {
        super("cannot serialize " + entityType + "/" + entityId + " (" + cause.getClass().getSimpleName()
                + "); nothing was written", entityType, entityId, cause);
    }
}
