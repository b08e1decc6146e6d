/**
 * Reconciliation (anti-entropy): compares the primary with each reconcilable sink, plans the
 * repairs deterministically and applies them through the coordinator's normal delivery path.
 * Start with {@link io.dualwrite.reconcile.Reconciler#builder()}; the design and the figures
 * are in {@code docs/reconciliation.md}, the runbook in {@code docs/operations.md}.
 */
package io.dualwrite.reconcile;
