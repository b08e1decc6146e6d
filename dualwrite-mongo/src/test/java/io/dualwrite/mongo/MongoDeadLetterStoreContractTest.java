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
