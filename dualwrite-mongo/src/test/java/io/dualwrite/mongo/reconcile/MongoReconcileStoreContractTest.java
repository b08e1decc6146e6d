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
