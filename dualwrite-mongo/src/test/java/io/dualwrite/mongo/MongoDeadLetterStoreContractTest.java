package io.dualwrite.mongo;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.testkit.contract.AbstractDeadLetterStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/** The MongoDB dead-letter store keeps the dead-letter store contract, each test in a collection of its own. */
@ExtendWith(MongoExtension.class)
class MongoDeadLetterStoreContractTest extends AbstractDeadLetterStoreContractTest {
    private final MongoDatabase db;

    MongoDeadLetterStoreContractTest(MongoDatabase db) {
        this.db = db;
    }

    @Override
    protected DeadLetterStore newStore() {
        return MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dead_letters")).build();
    }
}
