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
