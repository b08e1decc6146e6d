/**
 * Seeded chaos runs of the coordinator ({@link io.dualwrite.testkit.chaos.ChaosRunner}) and a
 * harness that kills a writer process with SIGKILL at random moments
 * ({@link io.dualwrite.testkit.chaos.ProcessKiller}).
 */
package io.dualwrite.testkit.chaos;
