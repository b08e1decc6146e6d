/**
 * dualwrite's public API: the {@link io.dualwrite.DualWriter} coordinator and its builder, the
 * {@link io.dualwrite.Change} envelope, write options and results, delivery policies, sink
 * settings, dead letters, recovery, errors and metric names.
 */
package io.dualwrite;
