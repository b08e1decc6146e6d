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

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import io.dualwrite.Operation;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.contract.AbstractPrimaryStoreContractTest;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.Document;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The write-ahead MongoDB store keeps the primary-store contract where it applies: each write runs
 * a repository-style save (a replace that increments a 0-based {@code version} field, like Spring
 * Data's {@code @Version}) or delete as the caller's own write. Request keys are not
 * deduplicated in this mode, so those two tests are skipped with that reason.
 */
@ExtendWith(MongoExtension.class)
class MongoWriteAheadStoreContractTest extends AbstractPrimaryStoreContractTest<Document> {
    private final MongoDatabase db;
    private MongoCollection<Document> collection;

    MongoWriteAheadStoreContractTest(MongoDatabase db) {
        this.db = db;
    }

    @Override
    protected PrimaryStore<Document> newStore() {
        collection = db.getCollection(Collections.uniqueName("wa_contract"));
        return MongoWriteAheadStore.builder(db, collection).build();
    }

    @Override
    protected Document state(String id, int n) {
        return new Document("_id", id).append("name", "item " + id + " v" + n).append("n", n);
    }

    @Override
    protected Committed<Document> commit(PrimaryStore<Document> store, PrimaryWrite<Document> w) {
        Runnable repositoryWrite = w.operation() == Operation.DELETE
                ? () -> collection.deleteOne(Filters.eq("_id", w.id()))
                : () -> repositorySave(w.state().orElseThrow());
        return store.commit(PrimaryWrite.<Document>builder().id(w.id()).operation(w.operation())
                .intents(w.intents()).expectedVersion(w.expectedVersion().orElse(-1))
                .requestKey(w.requestKey().orElse(null)).requestKeyWindow(w.requestKeyWindow())
                .correlationId(w.correlationId()).idempotencyKey(w.idempotencyKey().orElse(null)).time(w.time())
                .callerWrite(repositoryWrite).build());
    }

    /** What a Spring Data repository's save does with a {@code @Version} field: 0 for a new document, else +1. */
    private void repositorySave(Document state) {
        Document current = collection.find(Filters.eq("_id", state.get("_id"))).first();
        long version = current == null ? 0 : current.get("version", Number.class).longValue() + 1;
        Document doc = new Document(state).append("version", version);
        collection.replaceOne(Filters.eq("_id", state.get("_id")), doc, new ReplaceOptions().upsert(true));
    }

    @Override
    protected boolean supportsRequestKeys() {
        return false;
    }

    @Override
    protected void assertSameState(Document expected, Document actual, String message) {
        Document withoutVersion = new Document(actual);
        withoutVersion.remove("version");
        assertEquals(expected, withoutVersion, message);
    }
}
