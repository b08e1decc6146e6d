/**
 * Convergence assertions: {@link io.dualwrite.testkit.convergence.Convergence} compares the
 * primary with sinks and the dead-letter store and reports missing, stale, orphan, phantom and
 * divergent entities per sink.
 */
package io.dualwrite.testkit.convergence;
