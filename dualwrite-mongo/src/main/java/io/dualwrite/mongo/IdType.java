package io.dualwrite.mongo;

/**
 * How entity ids (always strings in dualwrite) are stored in MongoDB's {@code _id}. Thread-safe
 * (an enum).
 */
public enum IdType {
    /** {@code _id} is the id string itself (the default). */
    STRING,
    /**
     * {@code _id} is an {@link org.bson.types.ObjectId}; dualwrite ids are its 24-character
     * lower-case hex form, so their string order is the ObjectId order.
     */
    OBJECT_ID
}
