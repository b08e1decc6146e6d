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
package io.dualwrite.mongo.reconcile;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.spi.ReconcileStore;
import io.dualwrite.testkit.contract.AbstractReconcileStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicInteger;

/** The MongoDB reconciliation store keeps the reconciliation store contract, each test in collections of its own. */
@ExtendWith(MongoExtension.class)
class MongoReconcileStoreContractTest extends AbstractReconcileStoreContractTest {
    private static final AtomicInteger N = new AtomicInteger();
    private final MongoDatabase db;

    MongoReconcileStoreContractTest(MongoDatabase db) {
        this.db = db;
    }

    @Override
    protected ReconcileStore newStore() {
        int n = N.incrementAndGet();
        return MongoReconcileStore.builder(db).checkpointsCollection("contract_cp_" + n)
                .reportsCollection("contract_rep_" + n).build();
    }
}
