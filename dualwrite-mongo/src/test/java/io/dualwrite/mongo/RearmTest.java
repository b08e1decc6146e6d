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
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.internal.EmbeddedIntents;
import io.dualwrite.mongo.internal.Meta;
import io.dualwrite.spi.Intent;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Re-arming a sink's delivery in the primary, as an operator's tool does to replay a dead letter: the application's
 * own recovery then delivers the entity's current state, and nothing else changes.
 */
@ExtendWith(MongoExtension.class)
class RearmTest {

    private static long revision(MongoCollection<BsonDocument> raw, String id) {
        BsonDocument doc = raw.find(Filters.eq("_id", id)).first();
        return doc.getDocument(DualWriteFilters.FIELD).getNumber("rev").longValue();
    }

    @Test
    void aReArmedDeliveryIsDueNowAndRecoveryDeliversTheCurrentState(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoCollection<BsonDocument> raw = products.withDocumentClass(BsonDocument.class);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        MutableClock clock = new MutableClock(Fixture.START);
        InMemorySink<Product> search = new InMemorySink<>();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "w1",
                Map.of("search", search)).build()) {
            long v = w.save(new Product("p1", "kettle", 10)).version();
            w.operations().flushAcknowledgements();
            search.clear();
            long rev = revision(raw, "p1");

            EmbeddedIntents.Rearm armed = EmbeddedIntents.rearm(raw, new BsonString("p1"), "product", "search",
                    "400 first", "corr-1", clock.instant());
            assertEquals(new EmbeddedIntents.Rearm(EmbeddedIntents.Outcome.ARMED, v), armed);
            assertEquals(rev + 1, revision(raw, "p1"), "the revision moves on, so instances read the document again");
            Intent intent = EmbeddedIntents.deliveriesOf(raw.find(Filters.eq("_id", "p1")).first()).orElseThrow()
                    .pending().get("search");
            assertEquals(v, intent.version());
            assertEquals(clock.instant(), intent.dueAt(), "due now");
            assertEquals("400 first", intent.firstError().orElseThrow(), "the first failure is carried over");
            assertEquals(1, store.pendingCount());

            EmbeddedIntents.Rearm again = EmbeddedIntents.rearm(raw, new BsonString("p1"), "product", "search", null,
                    null, clock.instant());
            assertEquals(new EmbeddedIntents.Rearm(EmbeddedIntents.Outcome.ALREADY_PENDING, v), again);
            assertEquals(rev + 1, revision(raw, "p1"), "nothing written the second time");

            assertEquals(1, w.operations().recoverDue().delivered(), "the application's recovery delivers it");
            assertEquals(v, search.versionOf("p1").orElseThrow());
            w.operations().flushAcknowledgements();
            assertEquals(0, store.pendingCount(), "and nothing is left pending");
        }
    }

    @Test
    void nothingIsArmedForADocumentThatIsMissingOrNotManaged(MongoDatabase db) {
        MongoCollection<Document> c = db.getCollection(Collections.uniqueName("plain"));
        c.insertOne(new Document("_id", "x").append("name", "written by hand"));
        MongoCollection<BsonDocument> raw = c.withDocumentClass(BsonDocument.class);
        assertEquals(EmbeddedIntents.Outcome.NOT_MANAGED, EmbeddedIntents.rearm(raw, new BsonString("x"), "product",
                "search", null, null, Fixture.START).outcome());
        assertEquals(EmbeddedIntents.Outcome.NO_DOCUMENT, EmbeddedIntents.rearm(raw, new BsonString("y"), "product",
                "search", null, null, Fixture.START).outcome());
        assertEquals(List.of(new Document("_id", "x").append("name", "written by hand")), c.find().into(new java.util.ArrayList<>()),
                "nothing changed");
        assertTrue(c.find(Filters.exists(Meta.PENDING_PATH)).first() == null);
    }
}
