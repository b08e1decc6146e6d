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
 * A commit that wrote, but whose result the store could not confirm: a write-ahead commit whose
 * caller's own write completed but could not be read back (the primary became unreachable right
 * after), or a commit whose stored state the collection's codec cannot decode. The write landed with
 * its intents recorded, so recovery delivers whatever the primary holds (or dead-letters a state it
 * cannot read, with the codec's error). {@link MongoErrorClassifier} calls it
 * {@link io.dualwrite.ErrorKind#UNKNOWN_OUTCOME}, so the caller is never told that nothing was
 * written. Immutable.
 */
public class MongoWriteUnconfirmedException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param entityType the entity collection's name
     * @param entityId   the entity id
     * @param cause      the driver's failure
     */
    public MongoWriteUnconfirmedException(String entityType, String entityId, Throwable cause) {
        super("the caller's write of " + entityType + "/" + entityId + " completed, but it could not be read back: "
                + cause + "; its intent is recorded and recovery delivers it", entityType, entityId, cause);
    }

    /**
     * @param entityType the entity collection's name
     * @param entityId   the entity id
     * @param message    what the store could not confirm after the write
     * @param cause      the failure
     */
    public MongoWriteUnconfirmedException(String entityType, String entityId, String message, Throwable cause) {
        super(message, entityType, entityId, cause);
    }
}
