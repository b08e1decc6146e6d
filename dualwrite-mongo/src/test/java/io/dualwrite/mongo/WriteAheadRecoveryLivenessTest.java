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
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.fault.FaultySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery in the write-ahead mode stays live: a save whose document cannot be read back is
 * dead-lettered once and then left alone, and a sink that keeps failing for one entity never keeps
 * recovery from reaching other entities.
 */
@ExtendWith(MongoExtension.class)
class WriteAheadRecoveryLivenessTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private MongoDatabase db;
    private MongoCollection<Order> orders;
    private OrderRepository repository;

    @BeforeEach
    void setUp(MongoDatabase db) {
        this.db = db;
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        repository = new OrderRepository(orders);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"a status the entity class cannot hold", "no version field"})
    void aSaveWhoseDocumentCannotBeReadBackIsDeadLetteredOnceAndNeverClaimedAgain(String poison) {
        InMemorySink<Order> feed = new InMemorySink<>();
        InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        try (DualWriter<Order> w = DualWriter.<Order>builder().entityType("order").clock(clock)
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version").clock(clock).build())
                .deadLetterStore(deadLetters).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            w.saveWith("good", () -> repository.save(new Order("good", "NEW")));
            // the caller's own code writes a document the entity class cannot read back: its version stays unknown
            BsonDocument bad = new BsonDocument("_id", new BsonString("bad"));
            if (poison.startsWith("a status")) {
                bad.append("status", new BsonInt32(42)).append("version", new BsonInt64(0));
            } else {
                bad.append("status", new BsonString("NEW"));
            }
            assertThrows(RuntimeException.class, () -> w.saveWith("bad",
                    () -> orders.withDocumentClass(BsonDocument.class).insertOne(bad)));
            clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));

            RecoveryReport first = w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertEquals(1, first.deadLettered(), "the unreadable save is dead-lettered: " + first);
            assertTrue(feed.get("good").isPresent(), "the other entity is delivered");
            DeadLetter dl = deadLetters.get(DeadLetter.idOf("order", "bad", "feed")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());

            for (int pass = 0; pass < 3; pass++) {
                clock.advance(Duration.ofHours(1));
                RecoveryReport again = w.operations().recoverDue();
                w.operations().flushAcknowledgements();
                assertEquals(0, again.claimed(), "pass " + pass + ": never claimed again: " + again);
                assertEquals(0, again.deadLettered(), "pass " + pass + ": never dead-lettered again: " + again);
            }
            assertEquals(0, w.operations().backlog(), "nothing is left pending");
        }
    }

    @Test
    void aSinkThatKeepsFailingForOneEntityNeverHoldsBackAnotherEntitysDeliveryToAHealthySink() {
        InMemorySink<Order> healthy = new InMemorySink<>();
        FaultySink<Order> down = FaultySink.wrap(new InMemorySink<Order>()).seed(7)
                .failProbability(1.0, ErrorKind.TRANSIENT).build();
        try (DualWriter<Order> w = DualWriter.<Order>builder().entityType("order").clock(clock)
                .primary(MongoWriteAheadStore.builder(db, orders).versionField("version").clock(clock).build())
                .deadLetterStore(new InMemoryDeadLetterStore()).recoveryBatchSize(1)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("down", down, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .sink("healthy", healthy, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1).build())
                .build()) {
            // one entity piles up writes while a sink is down
            Order a = new Order("a", "v0");
            for (int i = 0; i < 8; i++) {
                a.setStatus("v" + i);
                w.saveWith("a", () -> repository.save(a));
            }
            RecoveryReport first = w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertEquals(1, first.claimed(), first.toString());
            assertEquals("v7", healthy.get("a").orElseThrow().getStatus());

            // then another entity is written: the next pass must reach it while "a" waits for its sink
            clock.advance(Duration.ofMillis(10));
            w.saveWith("b", () -> repository.save(new Order("b", "NEW")));
            for (int pass = 0; pass < 3 && healthy.get("b").isEmpty(); pass++) {
                clock.advance(Duration.ofMillis(10));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertTrue(healthy.get("b").isPresent(), "recovery reached the other entity");
        }
    }
}
