package io.dualwrite.testkit.fault;

/**
 * The kinds of fault a {@link FaultySink} injects; its counters are kept per kind.
 * Thread-safe (an enum).
 */
public enum Fault {
    /** One of the next N calls failed on purpose. */
    FAIL_NEXT,
    /** A call failed by chance, before reaching the destination. */
    FAIL_RANDOM,
    /** A call was slowed down. */
    LATENCY,
    /** A call slept past the coordinator's time limit; the destination still took the change. */
    TIMEOUT,
    /** A change was delivered twice to the destination. */
    DUPLICATE,
    /** A call was held back until a later call overtook it. */
    REORDER,
    /** The destination took the change but the acknowledgement was lost (the call threw). */
    APPLY_THEN_THROW,
    /**
     * A change of a poisoned entity failed permanently: the destination rejected it, or its mapping
     * failed ({@link PoisonStage}).
     */
    POISON
}
