package io.dualwrite.testkit.contract;

import org.junit.jupiter.api.BeforeEach;

/**
 * What the store contracts share: each test runs against a fresh, empty store of its own. Extend
 * one of the contracts ({@link AbstractDeadLetterStoreContractTest}, {@link AbstractReconcileStoreContractTest}),
 * not this class.
 *
 * @param <S> the store type
 */
public abstract class FreshStoreContract<S> {
    private S store;

    /** @return a new, empty store; called before every test */
    protected abstract S newStore();

    @BeforeEach
    final void freshStore() {
        store = newStore();
    }

    /** @return the store of the running test */
    protected final S store() {
        return store;
    }
}
