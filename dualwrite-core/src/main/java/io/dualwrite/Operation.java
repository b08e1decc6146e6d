package io.dualwrite;

/**
 * What a committed write did to an entity. Thread-safe (an enum).
 */
public enum Operation {
    /** The entity exists after the write; the change carries its full state. */
    UPSERT,
    /** The entity was deleted; the change carries no state and a sink must drop it. */
    DELETE
}
