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
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Documents that cannot be handled the normal way: one the codec cannot decode, and one so
 * large that the store's own bookkeeping would push it past MongoDB's 16 MiB limit.
 */
@ExtendWith(MongoExtension.class)
class PoisonDocumentTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private final InMemorySink<Product> search = new InMemorySink<>();

    private DualWriter<Product> writer(MongoPrimaryStore<Product> store, InMemoryDeadLetterStore deadLetters) {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId).primary(store)
                .deadLetterStore(deadLetters).clock(clock).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build();
    }

    @Test
    void aDocumentTheCodecCannotDecodeIsDeadLetteredOnceAndBlocksNoOtherEntity(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Product> w = writer(store, deadLetters)) {
            w.save(new Product("a", "a", 1));
            w.save(new Product("bad", "bad", 2));
            w.save(new Product("c", "c", 3));
            // someone else's code turns the price into text the entity class cannot hold
            products.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"),
                    Updates.set("price", "twelve"));
            RecoveryReport first = w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertEquals(2, first.delivered(), "the others are delivered in the same pass: " + first);
            assertEquals(1, first.deadLettered(), "the undecodable one is dead-lettered: " + first);
            assertTrue(search.get("a").isPresent() && search.get("c").isPresent());
            DeadLetter dl = deadLetters.get(DeadLetter.idOf("product", "bad", "search")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertTrue(dl.lastError().contains("decode"), dl.lastError());
            clock.advance(Duration.ofHours(1));
            assertEquals(0, w.operations().recoverDue().claimed(), "and is never claimed again");
            assertEquals(0, w.operations().backlog());
        }
    }

    @Test
    void aWriteAheadDocumentTheCodecCannotDecodeIsDeadLetteredOnceAndBlocksNoOtherEntity(MongoDatabase db) {
        MongoCollection<Order> orders = db.getCollection(Collections.uniqueName("orders"), Order.class)
                .withCodecRegistry(Collections.POJOS);
        OrderRepository repository = new OrderRepository(orders);
        InMemorySink<Order> feed = new InMemorySink<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Order> w = DualWriter.<Order>builder().entityType("order").clock(clock)
                .primary(MongoWriteAheadStore.builder(db, orders).clock(clock).build()).deadLetterStore(deadLetters)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            for (String id : java.util.List.of("a", "bad", "c")) {
                w.saveWith(id, () -> repository.save(new Order(id, "NEW")));
            }
            orders.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "bad"),
                    Updates.set("status", 42));
            RecoveryReport first = w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertEquals(2, first.delivered(), first.toString());
            assertEquals(1, first.deadLettered(), first.toString());
            assertTrue(deadLetters.get(DeadLetter.idOf("order", "bad", "feed")).orElseThrow().lastError()
                    .contains("decode"));
            clock.advance(Duration.ofHours(1));
            assertEquals(0, w.operations().recoverDue().claimed(), "never claimed again");
        }
    }

    @Test
    void noDocumentGrowsPastTheLimitWhenRecoveryLeasesAndReschedulesIt(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        int limit = 16 * 1024 * 1024;
        try (DualWriter<Product> w = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(deadLetters).clock(clock).gracePeriod(Fixture.GRACE)
                .validateSerialization(false)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", change -> {
                    throw new java.io.IOException("the search index is down: " + "x".repeat(2000));
                }, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .sink("cache", change -> {
                    throw new java.io.IOException("the cache is down: " + "y".repeat(2000));
                }, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build()).build()) {
            // the largest entity the store accepts
            int size = limit;
            Product huge = null;
            while (huge == null) {
                size -= 4096;
                Product candidate = new Product("huge", "n".repeat(size), 1);
                try {
                    w.save(candidate);
                    huge = candidate;
                } catch (PrimaryWriteException | IllegalArgumentException e) {
                    // too large for the primary, with what the store adds later: smaller
                }
            }
            clock.advance(Duration.ofMinutes(1));
            w.operations().recoverDue(); // leases it, both sinks fail with long errors, reschedules it
            w.operations().recoverDue();
            RawBsonDocument stored = products.withDocumentClass(RawBsonDocument.class)
                    .find(Filters.eq("_id", "huge")).first();
            assertTrue(stored.getByteBuffer().remaining() <= limit, "the document holds "
                    + stored.getByteBuffer().remaining() + " bytes: a real MongoDB refuses any update past " + limit);
        }
    }

    @Test
    void anEntityTooLargeForTheStoresBookkeepingIsRefusedWithAClearErrorAndNothingWritten(MongoDatabase db) {
        MongoCollection<Product> products = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        try (DualWriter<Product> w = writer(store, new InMemoryDeadLetterStore())) {
            Product tooLarge = new Product("big", "n".repeat(16 * 1024 * 1024 - 1000), 1);
            PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> w.save(tooLarge));
            assertEquals(ErrorKind.PERMANENT, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("bytes"), "the message says how large it is: " + e.getMessage());
            assertEquals(0, products.countDocuments(), "nothing was written");
        }
    }
}
