package io.dualwrite.reconcile;

/** A small immutable entity for the reconciliation tests. */
public record Item(String id, String name, int rev) {
}
