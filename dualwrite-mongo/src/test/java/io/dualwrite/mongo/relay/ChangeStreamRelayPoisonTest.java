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
package io.dualwrite.mongo.relay;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoCapability;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.mongo.RequiresMongo;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise 5 on the change-stream relay: "transient errors are retried ... a bounded number of
 * times" and "a poison entity never blocks any other entity". An entity that one sink always
 * fails transiently (an API that answers 503 for that one payload) keeps the relay's batch owed:
 * the relay retries only that batch, never counts its attempts, never dead-letters it, and reads
 * no further change — every later write of every other entity waits for ever.
 */
@ExtendWith(MongoExtension.class)
@RequiresMongo(MongoCapability.CHANGE_STREAMS)
class ChangeStreamRelayPoisonTest {

    @Test
    void anEntityASinkAlwaysFailsTransientlyNeverHoldsBackTheOthers(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        InMemorySink<Document> target = new InMemorySink<>();
        Sink<Document> api = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Document> change) throws Exception {
                if (change.id().equals("poison")) {
                    throw new SinkException("503 for this payload", ErrorKind.TRANSIENT, null);
                }
                return target.apply(change);
            }
        };
        try (DualWriter<Document> app = Items.app(store); DualWriter<Document> out = Items.relayWriter(store, api);
             ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("p").build()) {
            relay.pollOnce();
            app.save(new Document("_id", "poison").append("n", 1));
            for (int i = 0; i < 50; i++) {
                relay.pollOnce();
            }
            app.save(new Document("_id", "later").append("n", 2));
            for (int i = 0; i < 50 && target.get("later").isEmpty(); i++) {
                relay.pollOnce();
            }
            assertTrue(target.get("later").isPresent(), "a write of another entity, made after the poison, never"
                    + " reached the sink in 50 polls: the relay retries the poison's batch for ever");
        }
    }

    @Test
    void anEntityASinkKeepsFailingDuringAGapsResyncWaitsWithTheCheckpointAndTheGapCloses(MongoDatabase db) {
        MongoCollection<Document> items = Items.collection(db);
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(items).build();
        InMemorySink<Document> target = new InMemorySink<>();
        java.util.concurrent.atomic.AtomicInteger otherCalls = new java.util.concurrent.atomic.AtomicInteger();
        Sink<Document> api = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Document> change) throws Exception {
                if (change.id().equals("poison")) {
                    throw new SinkException("503 for this payload", ErrorKind.TRANSIENT, null);
                }
                if (change.id().equals("other")) {
                    otherCalls.incrementAndGet();
                }
                return target.apply(change);
            }
        };
        io.dualwrite.memory.InMemoryDeadLetterStore deadLetters = new io.dualwrite.memory.InMemoryDeadLetterStore();
        try (DualWriter<Document> app = Items.app(store);
             DualWriter<Document> out = Items.relayWriter(store, api, deadLetters)) {
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("gp")
                    .build()) {
                relay.pollOnce();
            }
            // while the relay is down, the oplog rolls over past its token
            app.save(new Document("_id", "poison").append("n", 1));
            app.save(new Document("_id", "other").append("n", 1));
            java.util.concurrent.atomic.AtomicBoolean lose = new java.util.concurrent.atomic.AtomicBoolean(true);
            try (ChangeStreamRelay relay = ChangeStreamRelay.builder(items, out, store).checkpoints(db).name("gp")
                    .retry(3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1))
                    .cursorDecorator(c -> lose.getAndSet(false) ? new LostHistoryCursor(c) : c).build()) {
                relay.pollOnce();
                org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of("poison"),
                        relay.deferred().stream().map(d -> d.id()).toList(),
                        "the entity the sink keeps failing waits with the checkpoint");
                assertTrue(target.get("other").isPresent(), "the resync delivered the other entity");
                app.save(new Document("_id", "later").append("n", 2));
                for (int i = 0; i < 20 && (target.get("later").isEmpty() || !relay.deferred().isEmpty()); i++) {
                    sleepPastBackoff();
                    relay.pollOnce();
                }
                assertTrue(target.get("later").isPresent(), "the relay went on from the present");
                assertTrue(relay.deferred().isEmpty(), "its attempts spent, the entity left the checkpoint");
                assertTrue(deadLetters.get(io.dualwrite.DeadLetter.idOf("item", "poison", Items.SINK)).isPresent(),
                        "and is dead-lettered");
                org.junit.jupiter.api.Assertions.assertEquals(1, otherCalls.get(),
                        "the resync ran once: the failing entity did not make it walk the collection again");
                org.junit.jupiter.api.Assertions.assertEquals(1, relay.gaps().size());
            }
        }
    }

    private static void sleepPastBackoff() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
