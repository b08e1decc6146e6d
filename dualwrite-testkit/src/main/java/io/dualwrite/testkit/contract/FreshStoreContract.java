/*
 * Copyright The dualwrite authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
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
