package io.dualwrite;

/**
 * How a sink takes part in a write (see docs/guarantees.md). Thread-safe (an enum).
 */
public enum DeliveryPolicy {
    /**
     * Delivered on the caller's path; if it cannot be applied, the write is compensated (the
     * before-image is committed as a new version and delivered to every sink) and
     * {@link RequiredSinkFailedException} is thrown.
     */
    REQUIRED,
    /** Delivered on the caller's path; on failure the result says DEFERRED and recovery finishes it. The default. */
    SYNC,
    /** Never called on the caller's path; the recovery worker (or a relay) delivers it. */
    ASYNC,
    /** Mapped and validated on the caller's path, measured and logged, never sent and never recorded as an intent. */
    SHADOW
}
