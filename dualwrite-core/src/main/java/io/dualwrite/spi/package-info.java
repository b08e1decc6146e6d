/**
 * Extension points. Sink modules and users implement {@link io.dualwrite.spi.Sink} (and
 * {@link io.dualwrite.spi.ReconcilableSink} where the destination can list what it holds);
 * primary adapters implement {@link io.dualwrite.spi.PrimaryStore}; durable dead-letter stores
 * implement {@link io.dualwrite.spi.DeadLetterStore}; reconciliation keeps checkpoints and reports
 * in a {@link io.dualwrite.spi.ReconcileStore}; a sink that can summarise an id range implements
 * {@link io.dualwrite.spi.DigestingSink}, and one that can digest the content it holds, to find
 * drift at equal versions, {@link io.dualwrite.spi.ContentDigestingSink}. Each interface's javadoc
 * states the guarantees an implementation must keep; the testkit's contract tests prove them.
 */
package io.dualwrite.spi;
