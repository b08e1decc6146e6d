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

import com.mongodb.ReadPreference;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.mongo.reconcile.MongoReconcileStore;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An application whose client, database or collection reads from secondaries (common for read-heavy services) hands
 * them to the library: every store reads from the primary all the same, since a secondary lags behind the writes and a
 * revision, a lease, a claim or a report read back from one could be older than this instance's own last write (a
 * completed report read back as an earlier execution's, a free lease that was taken). The handles the application
 * keeps are not changed.
 */
@ExtendWith(MongoExtension.class)
class ReadFromThePrimaryTest {

    @Test
    void everyStoreReadsFromThePrimaryWhateverTheHandleSays(MongoDatabase db) {
        MongoDatabase secondaries = db.withReadPreference(ReadPreference.secondaryPreferred());
        MongoCollection<Product> products = Collections.products(db).withReadPreference(ReadPreference.nearest());
        MongoReconcileStore reconcile = MongoReconcileStore.builder(secondaries).build();
        MongoWriteAheadStore<Product> writeAhead = MongoWriteAheadStore.builder(secondaries,
                Collections.products(db).withReadPreference(ReadPreference.secondary())).build();
        ReadPreference primary = ReadPreference.primary();
        assertAll(
                () -> assertEquals(primary, reconcile.reportCollection().getReadPreference(), "reports"),
                () -> assertEquals(primary, reconcile.checkpointCollection().getReadPreference(), "checkpoints"),
                () -> assertEquals(primary, ReconcileRequests.builder(secondaries).build().collection()
                        .getReadPreference(), "requests"),
                () -> assertEquals(primary, MongoDeadLetterStore.builder(secondaries).build().collection()
                        .getReadPreference(), "dead letters"),
                () -> assertEquals(primary, MongoPrimaryStore.builder(products).build().collection()
                        .getReadPreference(), "the entity collection"),
                () -> assertEquals(primary, writeAhead.collection().getReadPreference(), "write-ahead entities"),
                () -> assertEquals(primary, writeAhead.intentCollection().getReadPreference(), "write-ahead intents"),
                () -> assertEquals(ReadPreference.nearest(), products.getReadPreference(), "the application's own"));
    }
}
