package io.dualwrite;

/**
 * What happened to one sink during one write. Thread-safe (an enum).
 */
public enum SinkOutcome {
    /** The sink holds the written version (or a newer one). */
    APPLIED,
    /** Not applied yet; the intent is durable and recovery will deliver it. */
    DEFERRED,
    /** Failed permanently (or ran out of attempts); recorded in the dead-letter store with its reason. */
    DEAD_LETTERED,
    /** The write was undone because a REQUIRED sink failed; this sink was sent (or will be sent) the compensating version. */
    COMPENSATED,
    /** Not sent: a SHADOW sink (dry run) or an entity outside the sink's ramp. */
    SKIPPED
}
