package io.dualwrite.testkit.fault;

/**
 * Where a {@link FaultySink}'s poisoned entity fails. Thread-safe (an enum).
 */
public enum PoisonStage {
    /** The destination rejects the change permanently: the call is made and refused. */
    DESTINATION,
    /**
     * The change cannot be mapped, as if the application's mapper threw for that entity: the
     * failure comes from {@link FaultySink#map}, before anything is sent.
     */
    MAPPING
}
