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
import com.mongodb.client.model.Updates;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonWriter;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A document the codec cannot decode (guarantees.md: "its deliveries are dead-lettered with the decode failure on every
 * road (recovery, ...) ...; every other entity flows"), where the codec's failure is an {@code Error} — an entity class
 * whose constructor or setter asserts an invariant ({@code assert}, a {@code StackOverflowError} of a recursive
 * setter). The store turns a {@code RuntimeException} of the codec into an unreadable snapshot of that entity alone;
 * an {@code Error} escapes the whole recovery claim, and every entity claimed with the poison document is never
 * delivered: each pass claims the same batch (leasing all of it) and fails again.
 */
@ExtendWith(MongoExtension.class)
class RecoveryCodecErrorTest {

    /** The entity class's own invariant, checked when a document becomes a Product. */
    static final class AssertingCodec implements Codec<Product> {
        private final Codec<Product> pojo;
        private final String kind;

        AssertingCodec(Codec<Product> pojo, String kind) {
            this.pojo = pojo;
            this.kind = kind;
        }

        @Override
        public Product decode(BsonReader reader, DecoderContext context) {
            Product p = pojo.decode(reader, context);
            if (p.getPrice() < 0) {
                switch (kind) {
                    case "IllegalArgumentException" -> throw new IllegalArgumentException("a price is never negative");
                    case "AssertionError" -> throw new AssertionError("a price is never negative");
                    case "StackOverflowError" -> throw new StackOverflowError("recursive setter");
                    default -> throw new IllegalStateException(kind);
                }
            }
            return p;
        }

        @Override
        public void encode(BsonWriter writer, Product value, EncoderContext context) {
            pojo.encode(writer, value, context);
        }

        @Override
        public Class<Product> getEncoderClass() {
            return Product.class;
        }
    }

    /** For AssertionError and StackOverflowError as for IllegalArgumentException. */
    @ParameterizedTest
    @ValueSource(strings = {"IllegalArgumentException", "AssertionError", "StackOverflowError"})
    void aDocumentWhoseDecodingThrowsAnErrorBlocksNoOtherEntityOfRecovery(String kind, MongoDatabase db) {
        CodecRegistry registry = CodecRegistries.fromRegistries(
                CodecRegistries.fromCodecs(new AssertingCodec(Collections.POJOS.get(Product.class), kind)),
                Collections.POJOS);
        MongoCollection<Product> products = db.getCollection(Collections.uniqueName("products"), Product.class)
                .withCodecRegistry(registry);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        InMemorySink<Product> search = new InMemorySink<>();
        MutableClock clock = new MutableClock(Fixture.START);
        try (DualWriter<Product> w = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(deadLetters).clock(clock).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            w.save(new Product("a", "a", 1));
            w.save(new Product("bad", "bad", 2));
            w.save(new Product("c", "c", 3));
            // someone else's code writes a price the entity class refuses
            products.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"), Updates.set("price", -5L));

            List<String> passes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clock.advance(Duration.ofMinutes(5)); // past grace periods, backoffs and leases
                try {
                    passes.add(w.operations().recoverDue().toString());
                } catch (Throwable t) {
                    passes.add("pass threw " + t);
                }
                w.operations().flushAcknowledgements();
            }
            assertTrue(search.get("a").isPresent() && search.get("c").isPresent(),
                    "a and c are delivered whatever becomes of 'bad'; the sink holds " + search.liveVersions()
                            + " after five passes: " + passes);
            assertTrue(deadLetters.get(DeadLetter.idOf("product", "bad", "search")).isPresent(),
                    "the undecodable document is dead-lettered: " + passes);
            assertEquals(0, w.operations().backlog(), passes.toString());
        }
    }
}
