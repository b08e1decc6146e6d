package io.dualwrite.spi;

/**
 * What a sink did with a change. Both values count as success. Thread-safe (an enum).
 */
public enum ApplyResult {
    /** The sink now holds the change's version. */
    APPLIED,
    /** The sink already held this version or a newer one and changed nothing (a duplicate or a late delivery). */
    ALREADY_CURRENT
}
