package io.dualwrite.testkit.contract;

import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.spi.ReconcileStore;

/** The in-memory reconciliation store keeps the reconciliation store contract. */
class InMemoryReconcileStoreContractTest extends AbstractReconcileStoreContractTest {

    @Override
    protected ReconcileStore newStore() {
        return new InMemoryReconcileStore();
    }
}
