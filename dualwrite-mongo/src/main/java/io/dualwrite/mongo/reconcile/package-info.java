/**
 * MongoDB-backed storage for reconciliation: checkpoints of unfinished runs and the audit log of
 * reports, next to the primary's own collections. See {@link io.dualwrite.mongo.reconcile.MongoReconcileStore}.
 */
package io.dualwrite.mongo.reconcile;
