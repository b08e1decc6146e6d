/**
 * Extension points. Sink modules and users implement {@link io.dualwrite.spi.Sink} (and
 * {@link io.dualwrite.spi.ReconcilableSink} where the destination can list what it holds);
 * primary adapters implement {@link io.dualwrite.spi.PrimaryStore}; durable dead-letter stores
 * implement {@link io.dualwrite.spi.DeadLetterStore}; reconciliation keeps checkpoints and reports
 * in a {@link io.dualwrite.spi.ReconcileStore}, and a sink that can summarise an id range
 * implements {@link io.dualwrite.spi.DigestingSink}. Each interface's javadoc states the
 * guarantees an implementation must keep; the testkit's contract tests prove them.
 */
package io.dualwrite.spi;
