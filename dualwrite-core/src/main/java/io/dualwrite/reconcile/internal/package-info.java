/**
 * Implementation of reconciliation. Not public API: do not import.
 */
package io.dualwrite.reconcile.internal;
