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
