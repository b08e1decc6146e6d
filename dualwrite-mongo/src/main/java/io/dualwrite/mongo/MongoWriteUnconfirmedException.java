package io.dualwrite.mongo;

import io.dualwrite.DualWriteException;

/**
 * A write-ahead commit whose caller's own write completed, but whose store could not read the
 * result back (the primary became unreachable right after): the write landed, its version is not
 * known, and its intent is recorded, so recovery delivers whatever the primary holds.
 * {@link MongoErrorClassifier} calls it {@link io.dualwrite.ErrorKind#UNKNOWN_OUTCOME}, so the
 * caller is never told that nothing was written. Immutable.
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
}
