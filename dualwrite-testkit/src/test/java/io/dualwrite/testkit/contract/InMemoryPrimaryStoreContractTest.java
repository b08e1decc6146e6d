package io.dualwrite.testkit.contract;

import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.TestItem;

/** The in-memory reference store keeps the primary-store contract. */
class InMemoryPrimaryStoreContractTest extends AbstractPrimaryStoreContractTest<TestItem> {

    @Override
    protected PrimaryStore<TestItem> newStore() {
        return new InMemoryPrimaryStore<>();
    }

    @Override
    protected TestItem state(String id, int n) {
        return TestItem.variant(id, n);
    }
}
