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
package io.dualwrite.mongo.events;

import com.mongodb.ReadPreference;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every part of dualwrite-mongo reads from the primary, whatever read preference the collection it is given carries
 * (docs/mongodb.md). A collection handle that records the read preference of every read issued through
 * it (and through every handle derived from it with withX) shows which reads still go by the application's preference.
 */
@ExtendWith(MongoExtension.class)
class RelayReadsFromThePrimaryTest {
    private static final Set<String> READS = Set.of("find", "countDocuments", "aggregate", "distinct",
            "estimatedDocumentCount", "watch");

    @SuppressWarnings("unchecked")
    static <D> MongoCollection<D> recording(MongoCollection<D> target, List<String> reads) {
        return (MongoCollection<D>) Proxy.newProxyInstance(MongoCollection.class.getClassLoader(),
                new Class<?>[] {MongoCollection.class}, (proxy, m, args) -> {
                    if (READS.contains(m.getName())) {
                        reads.add(m.getName() + "@" + target.getReadPreference().getName());
                    }
                    Object out;
                    try {
                        out = m.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    return out instanceof MongoCollection<?> c && m.getName().startsWith("with")
                            ? recording(c, reads) : out;
                });
    }

    private static DualWriter<Document> app(MongoPrimaryStore<Document> store) {
        return DualWriter.<Document>builder().entityType("item").idOf(d -> d.getString("_id")).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** Control: the primary store's reads go to the primary through a secondary-preferring handle. */
    @Test
    void thePrimaryStoreReadsFromThePrimary(MongoDatabase db) {
        List<String> reads = new CopyOnWriteArrayList<>();
        MongoCollection<Document> c = recording(db.getCollection("rp_store")
                .withReadPreference(ReadPreference.secondaryPreferred()), reads);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(c).build();
        try (DualWriter<Document> app = app(store)) {
            app.save(new Document("_id", "a").append("n", 1));
            store.read("a");
        }
        assertFalse(reads.isEmpty(), "the store read something");
        assertTrue(reads.stream().allMatch(r -> r.endsWith("@primary")), reads.toString());
    }

    /** The embedded event relay reads events, owners and revisions through the handle it is given. */
    @Test
    void theEmbeddedEventRelayReadsFromThePrimary(MongoDatabase db) {
        MongoCollection<Document> plain = db.getCollection("rp_events");
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(plain)
                .eventRecorder(EmbeddedEvents.builder().build()).build();
        List<String> reads = new CopyOnWriteArrayList<>();
        MongoCollection<Document> secondaries = recording(plain.withReadPreference(ReadPreference.secondaryPreferred()),
                reads);
        EnvelopeConsumer consumer = new EnvelopeConsumer();
        try (DualWriter<Document> app = app(store);
             EmbeddedEventRelay relay = EmbeddedEventRelay.builder(secondaries).entityType("item")
                     .deadLetterStore(new InMemoryDeadLetterStore()).sink("audit", consumer).build()) {
            app.save(new Document("_id", "a").append("n", 1));
            relay.drain(10);
            assertEquals(0, relay.backlog());
        }
        assertFalse(reads.isEmpty(), "the relay read something");
        assertEquals(List.of(), reads.stream().filter(r -> !r.endsWith("@primary")).toList(),
                "reads the relay issued on a handle that is not primary");
    }
}
