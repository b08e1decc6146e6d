package io.dualwrite.mongo;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.contract.AbstractPrimaryStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.Document;
import org.junit.jupiter.api.extension.ExtendWith;

/** The embedded-intent MongoDB store keeps the primary-store contract, with plain {@link Document} entities. */
@ExtendWith(MongoExtension.class)
class MongoPrimaryStoreContractTest extends AbstractPrimaryStoreContractTest<Document> {
    private final MongoDatabase db;

    MongoPrimaryStoreContractTest(MongoDatabase db) {
        this.db = db;
    }

    @Override
    protected PrimaryStore<Document> newStore() {
        return MongoPrimaryStore.builder(db.getCollection(Collections.uniqueName("contract"))).build();
    }

    @Override
    protected Document state(String id, int n) {
        return new Document("_id", id).append("name", "item " + id + " v" + n).append("n", n);
    }
}
