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
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.types.ObjectId;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ids stored before writes were held to the lower-case spelling of an ObjectId, read by recovery; and a write over a
 * document whose decoding throws an Error.
 */
@ExtendWith(MongoExtension.class)
class IdSpellingAndCodecErrorTest {

    /**
     * An earlier write-ahead store took an ObjectId id in any spelling and kept it verbatim in its intents
     * ({@code entityId}) and records ({@code _id}). Writes now take only the lower-case spelling; such an intent,
     * written here as that store wrote it, is still read by recovery, delivered, and blocks no other entity.
     */
    @Test
    void aLegacyIntentOfAnUpperCaseObjectIdBlocksNoOtherEntityOfRecovery(MongoDatabase db) {
        MutableClock clock = new MutableClock(Fixture.START);
        MongoCollection<Document> docs = db.getCollection(Collections.uniqueName("docs"));
        MongoCollection<BsonDocument> intents = db.getCollection(Collections.uniqueName("intents"), BsonDocument.class);
        MongoWriteAheadStore<Document> store = MongoWriteAheadStore.builder(db, docs).versionField("version")
                .idType(IdType.OBJECT_ID).intentCollection(intents).clock(clock).build();
        InMemorySink<Document> search = new InMemorySink<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Document> w = DualWriter.<Document>builder().entityType("doc")
                .idOf(d -> d.getObjectId("_id").toHexString()).primary(store).deadLetterStore(deadLetters)
                .clock(clock).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            // the legacy entity: its document, its record and its pending intent as the previous version left them
            ObjectId legacy = new ObjectId();
            String upper = legacy.toHexString().toUpperCase(Locale.ROOT);
            docs.insertOne(new Document("_id", legacy).append("version", 1L).append("title", "legacy"));
            Instant at = clock.instant().minus(Duration.ofMinutes(1));
            intents.insertOne(new BsonDocument("_id", new BsonString(upper)).append("last", new BsonInt64(1)));
            intents.insertOne(new BsonDocument("_id", new BsonObjectId(new ObjectId())).append("entityId", new BsonString(upper))
                    .append("op", new BsonString("UPSERT")).append("v", new BsonInt64(2))
                    .append("at", new BsonDateTime(at.toEpochMilli())).append("corr", new BsonString("c"))
                    .append("pending", new BsonDocument("search", new BsonDocument("due", new BsonDateTime(at.toEpochMilli()))
                            .append("attempts", new BsonInt32(0))))
                    .append("rev", new BsonInt64(1)).append("due", new BsonDateTime(at.toEpochMilli())));

            // an ordinary entity saved after the upgrade, left to recovery (ASYNC)
            ObjectId good = new ObjectId();
            w.saveWith(good.toHexString(), () -> docs.updateOne(Filters.eq("_id", good),
                    Updates.combine(Updates.set("title", "good"), Updates.inc("version", 1L)), new UpdateOptions().upsert(true)));

            List<String> passes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clock.advance(Duration.ofMinutes(10)); // past grace, settle time, backoffs and leases
                try {
                    passes.add(w.operations().recoverDue().toString());
                } catch (Throwable t) {
                    passes.add("pass threw " + t);
                }
                w.operations().flushAcknowledgements();
            }
            assertTrue(search.get(good.toHexString()).isPresent(), "the ordinary entity is delivered whatever becomes"
                    + " of the legacy one; passes: " + passes);
            boolean legacySettled = search.get(upper).isPresent() || search.get(legacy.toHexString()).isPresent()
                    || deadLetters.get(DeadLetter.idOf("doc", upper, "search")).isPresent()
                    || deadLetters.get(DeadLetter.idOf("doc", legacy.toHexString(), "search")).isPresent();
            assertTrue(legacySettled, "the legacy intent is delivered or dead-lettered; passes: " + passes);
        }
    }

    /**
     * guarantees.md: a write of an entity whose stored document the codec cannot decode is refused with
     * PrimaryWriteException PERMANENT, nothing written; a codec that throws an Error is such a codec too.
     */
    @Test
    void aWriteOverADocumentWhoseDecodingThrowsAnErrorIsRefusedAsPermanent(MongoDatabase db) {
        CodecRegistry registry = CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(
                new RecoveryCodecErrorTest.AssertingCodec(Collections.POJOS.get(Product.class), "AssertionError")),
                Collections.POJOS);
        MongoCollection<Product> products = db.getCollection(Collections.uniqueName("products"), Product.class)
                .withCodecRegistry(registry);
        MutableClock clock = new MutableClock(Fixture.START);
        try (DualWriter<Product> a = writer(products, clock); DualWriter<Product> b = writer(products, clock)) {
            a.save(new Product("bad", "bad", 2));
            products.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"), Updates.set("price", -5L));
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> b.save(new Product("bad", "bad", 7)));
            assertEquals(-5L, products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "bad")).first()
                    .getNumber("price").longValue(), "nothing was written");
            assertEquals(ErrorKind.PERMANENT, e.kind(), "refused as PERMANENT (guarantees.md): " + e);
        }
    }

    private static DualWriter<Product> writer(MongoCollection<Product> products, MutableClock clock) {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(MongoPrimaryStore.builder(products).build()).deadLetterStore(new InMemoryDeadLetterStore())
                .clock(clock).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", new InMemorySink<>(), SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build();
    }
}
