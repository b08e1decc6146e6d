/**
 * Fault injection into sinks: {@link io.dualwrite.testkit.fault.FaultySink} wraps any sink and
 * fails, slows, times out, duplicates, reorders, loses acknowledgements or rejects poisoned
 * entities, seeded and reproducible.
 */
package io.dualwrite.testkit.fault;
