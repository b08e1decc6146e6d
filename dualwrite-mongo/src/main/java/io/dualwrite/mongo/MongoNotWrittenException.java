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
 * A commit failed before the store sent its write (reading the current document failed), so
 * nothing was written: {@link MongoErrorClassifier} calls it {@link io.dualwrite.ErrorKind#TRANSIENT}
 * unless its cause is permanent, because a read that failed leaves no effect to resolve.
 * Immutable.
 */
public class MongoNotWrittenException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param entityType the entity collection's name
     * @param entityId   the entity id
     * @param cause      the driver's failure
     */
    public MongoNotWrittenException(String entityType, String entityId, Throwable cause) {
        super("could not read " + entityType + "/" + entityId + " before writing; nothing was written: " + cause,
                entityType, entityId, cause);
    }
}
