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

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.dualwrite.DualWriter;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.BsonDocument;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.codecs.pojo.Conventions;
import org.bson.codecs.pojo.PojoCodecProvider;
import org.bson.codecs.pojo.annotations.BsonProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both stores refuse, at build, a POJO entity whose id the driver's POJO codec does not write as {@code _id}. */
@ExtendWith(MongoExtension.class)
class PojoIdMappingTest {

    // Public fields are properties to the POJO codec, so these need no accessors.

    /** A POJO whose {@code id} property maps to {@code _id} by the driver's default conventions alone. */
    public static final class Conventional {
        public String id;
        public String name;
    }

    /** A POJO keyed by a property the codec writes as {@code sku}: nothing of it is {@code _id}. */
    public static final class SkuKeyed {
        public String sku;
        public String name;
    }

    /** A POJO whose {@code id} property is renamed, so the conventions no longer take it for the id. */
    public static final class RenamedId {
        @BsonProperty("ident")
        public String id;
    }

    private static final CodecRegistry ANNOTATIONS_ONLY = CodecRegistries.fromRegistries(
            MongoClientSettings.getDefaultCodecRegistry(), CodecRegistries.fromProviders(PojoCodecProvider.builder()
                    .automatic(true).conventions(List.of(Conventions.ANNOTATION_CONVENTION)).build()));

    private static <T> MongoCollection<T> collection(MongoDatabase db, Class<T> type, CodecRegistry codecs) {
        return db.getCollection(Collections.uniqueName(type.getSimpleName()), type).withCodecRegistry(codecs);
    }

    private static void assertRefusedByBothStores(MongoDatabase db, MongoCollection<?> c, String written) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MongoPrimaryStore.builder(c).build(),
                "the embedded store refuses " + c.getDocumentClass().getSimpleName());
        assertTrue(e.getMessage().contains(c.getDocumentClass().getName()) && e.getMessage().contains("@BsonId")
                && e.getMessage().contains(written), e.getMessage());
        assertThrows(IllegalStateException.class, () -> MongoWriteAheadStore.builder(db, c).build(),
                "the write-ahead store keys documents by _id too");
    }

    @Test
    void aPojoWithBsonIdIsAccepted(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore.builder(products).build();
        MongoWriteAheadStore.builder(db, products).build();
    }

    @Test
    void aPojoWhosePropertyNamedIdMapsToUnderscoreIdByConventionIsAcceptedAndStoresOneId(MongoDatabase db) {
        MongoCollection<Conventional> c = collection(db, Conventional.class, Collections.POJOS);
        MongoWriteAheadStore.builder(db, c).build();
        try (DualWriter<Conventional> w = DualWriter.<Conventional>builder().entityType("conventional")
                .idOf(e -> e.id).primary(MongoPrimaryStore.builder(c).build())
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", new InMemorySink<>())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            Conventional lamp = new Conventional();
            lamp.id = "c1";
            lamp.name = "lamp";
            w.save(lamp);
        }
        BsonDocument raw = c.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "c1")).first();
        assertEquals(Set.of("_id", "name", DualWriteFilters.FIELD), raw.keySet(), "one id, in _id");
        assertEquals("lamp", c.find(Filters.eq("_id", "c1")).first().name, "and it reads back by it");
    }

    @Test
    void aPojoWithoutAnIdPropertyIsRefusedWithTheFix(MongoDatabase db) {
        assertRefusedByBothStores(db, collection(db, SkuKeyed.class, Collections.POJOS), "name, sku");
    }

    @Test
    void aPojoWhoseIdPropertyIsRenamedIsRefused(MongoDatabase db) {
        assertRefusedByBothStores(db, collection(db, RenamedId.class, Collections.POJOS), "id as ident");
    }

    @Test
    void theCodecsOwnConventionsDecideSoAPropertyNamedIdWithoutThemIsRefused(MongoDatabase db) {
        assertRefusedByBothStores(db, collection(db, Conventional.class, ANNOTATIONS_ONLY), "id, name");
        MongoPrimaryStore.builder(collection(db, Product.class, ANNOTATIONS_ONLY)).build();
    }
}
