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
