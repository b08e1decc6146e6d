package io.dualwrite;

import java.util.Optional;

/**
 * Root of every exception dualwrite throws; unchecked. Carries the entity it concerns when
 * there is one. Instances are immutable once thrown.
 */
public class DualWriteException extends RuntimeException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code entityType}. */
    private final String entityType;
    /** Serialized with the exception: its {@code entityId}. */
    private final String entityId;

    /**
     * @param message    what went wrong, naming the entity
     * @param entityType the entity type, may be null
     * @param entityId   the entity id, may be null
     * @param cause      the underlying failure, may be null
     */
    public DualWriteException(String message, String entityType, String entityId, Throwable cause) {
        super(message, cause);
        this.entityType = entityType;
        this.entityId = entityId;
    }

    /** @return the entity type concerned, if any */
    public Optional<String> entityType() {
        return Optional.ofNullable(entityType);
    }

    /** @return the entity id concerned, if any */
    public Optional<String> entityId() {
        return Optional.ofNullable(entityId);
    }
}
