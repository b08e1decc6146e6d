/**
 * A deterministic interleaving explorer: {@link io.dualwrite.testkit.explore.InterleavingExplorer}
 * drives the real coordinator, a real primary store and real sinks with writers on several
 * instances, recovery passes and time itself, one step at a time in an order a seed decides,
 * through lost replies, failing and slow sinks, poisoned entities, clock skew and time jumps, and
 * checks every promise against the history of each schedule. Users explore their own wiring by
 * implementing {@link io.dualwrite.testkit.explore.ExplorerWorld}.
 */
package io.dualwrite.testkit.explore;
