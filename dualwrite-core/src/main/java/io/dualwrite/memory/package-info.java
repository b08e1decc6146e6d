/**
 * Reference in-memory implementations of the SPIs: for tests, examples and benchmarks of the
 * coordinator's own cost. They keep nothing across a restart.
 */
package io.dualwrite.memory;
