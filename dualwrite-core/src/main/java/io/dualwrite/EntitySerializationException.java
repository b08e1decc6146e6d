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
