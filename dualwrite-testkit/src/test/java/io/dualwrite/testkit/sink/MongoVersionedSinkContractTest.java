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
package io.dualwrite.testkit.sink;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.mongo.TestMongo;
import org.bson.Document;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The durable reference sink keeps the sink contract on the test MongoDB; what it holds is read
 * straight from its collection with the driver, not through the sink.
 */
class MongoVersionedSinkContractTest extends AbstractSinkContractTest<TestItem> {
    private final MongoDatabase db = TestMongo.client().getDatabase("dw_sink_contract");
    private String collection;

    @Override
    protected Sink<TestItem> createSink() {
        collection = "items_" + UUID.randomUUID().toString().replace("-", "");
        return new MongoVersionedSink<>(db, collection, TestItem.class);
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) {
        Document d = db.getCollection(collection).find(Filters.eq("_id", id)).first();
        if (d == null) {
            return Optional.empty();
        }
        long v = d.getLong("v");
        if (!d.getBoolean("live")) {
            return Optional.of(Stored.deleted(v));
        }
        Document s = d.get("state", Document.class);
        @SuppressWarnings("unchecked")
        List<String> tags = s.get("tags", List.class);
        return Optional.of(Stored.live(v, new TestItem(s.getString("id"), s.getString("name"),
                ((Number) s.get("price")).longValue(), tags)));
    }

    /** A {@code $set} of the state sub-document with the driver, the version left as it is. */
    @Override
    protected boolean overwriteKeepingVersion(Sink<TestItem> sink, String id, long version, TestItem state) {
        Document other = new Document("id", state.id()).append("name", state.name()).append("price", state.price())
                .append("tags", state.tags());
        return db.getCollection(collection).updateOne(Filters.and(Filters.eq("_id", id), Filters.eq("v", version)),
                Updates.set("state", other)).getModifiedCount() == 1;
    }

    /** The state's fields in reverse order, the price as a double: the same content in another form. */
    @Override
    protected boolean rewriteInAnotherForm(Sink<TestItem> sink, String id) {
        Document held = db.getCollection(collection).find(Filters.eq("_id", id)).first().get("state", Document.class);
        Document reordered = new Document();
        List<String> keys = new ArrayList<>(held.keySet());
        Collections.reverse(keys);
        for (String k : keys) {
            Object value = held.get(k);
            reordered.append(k, value instanceof Long ? Double.valueOf((Long) value) : value);
        }
        return db.getCollection(collection).updateOne(Filters.eq("_id", id), Updates.set("state", reordered))
                .getModifiedCount() == 1;
    }

    @Override
    protected void dispose(Sink<TestItem> sink) {
        MongoVersionedSink<TestItem> s = (MongoVersionedSink<TestItem>) sink;
        assertEquals(List.of(), s.repeatedEffects(), "no version may change the collection twice");
        s.drop();
    }
}
