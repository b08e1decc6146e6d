package io.dualwrite.testkit.contract;

import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.spi.DeadLetterStore;

/** The in-memory dead-letter store keeps the dead-letter store contract. */
class InMemoryDeadLetterStoreContractTest extends AbstractDeadLetterStoreContractTest {

    @Override
    protected DeadLetterStore newStore() {
        return new InMemoryDeadLetterStore();
    }
}
