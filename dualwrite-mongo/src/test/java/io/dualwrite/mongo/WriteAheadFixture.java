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
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import org.bson.BsonDocument;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Write-ahead writers of orders, each on its own store instance (its own memory of the records), all on one entity
 * collection and one intent collection, one clock and one sink; the intent collection scripted for a writer that
 * asks for it. The caller's save is an {@code updateOne} that grows the version field.
 */
final class WriteAheadFixture {
    final HookedCollection script = new HookedCollection();
    final MutableClock clock = new MutableClock(Fixture.START);
    final InMemorySink<Order> search = new InMemorySink<>();
    final MongoDatabase db;
    final MongoCollection<Order> orders;
    final MongoCollection<BsonDocument> intents;
    private final Duration writeLease;

    WriteAheadFixture(MongoDatabase db, Duration writeLease) {
        this.db = db;
        this.writeLease = writeLease;
        orders = db.getCollection(Collections.uniqueName("orders"), Order.class).withCodecRegistry(Collections.POJOS);
        intents = db.getCollection(Collections.uniqueName("intents"), BsonDocument.class);
    }

    /** @return a store on the shared collections, the intent collection the one given */
    MongoWriteAheadStore<Order> store(MongoCollection<BsonDocument> intentCollection, Duration writeWait) {
        return MongoWriteAheadStore.builder(db, orders).versionField("version").intentCollection(intentCollection)
                .writeLease(writeLease, writeWait).clock(clock).build();
    }

    /** @return a writer on its own store, its intent collection scripted when asked; default acknowledgements */
    DualWriter<Order> writer(String name, boolean scripted, Duration writeWait) {
        return writer(name, store(scripted ? script.wrap(intents) : intents, writeWait), null);
    }

    /**
     * @param acknowledgeEvery the writer's acknowledgement interval, or null for the default
     * @return a writer of the store
     */
    DualWriter<Order> writer(String name, MongoWriteAheadStore<Order> store, Duration acknowledgeEvery) {
        DualWriterBuilder<Order> b = DualWriter.<Order>builder().entityType("order").clock(clock).workerId(name)
                .primary(store).deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT);
        if (acknowledgeEvery != null) {
            b.acknowledgements(256, acknowledgeEvery);
        }
        return b.build();
    }

    WriteResult save(DualWriter<Order> w, String id, String status) {
        return w.saveWith(id, () -> orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", status),
                Updates.inc("version", 1L)), new UpdateOptions().upsert(true)));
    }

    /**
     * The next save of the entity by {@code w} sends its first command, which lands and whose reply is lost: the save
     * fails as nothing written (the caller may retry), and the caller's own write never ran. Then the caller retries,
     * and the retry's version follows {@code lastVersion}: the lost attempt used none.
     */
    void assertALostFirstReplyWritesNothingAndTheRetryFollows(DualWriter<Order> w, String id, long lastVersion) {
        script.landThenLoseReply("bulkWrite", () -> { });
        AtomicBoolean ran = new AtomicBoolean();
        PrimaryWriteException e = assertThrows(PrimaryWriteException.class, () -> w.saveWith(id, () -> {
            ran.set(true);
            orders.updateOne(Filters.eq("_id", id), Updates.inc("version", 1L));
        }));
        assertTrue(script.done());
        assertFalse(ran.get(), "the caller's save did not run");
        assertEquals(ErrorKind.TRANSIENT, e.kind(), "nothing was written, so the caller may retry: " + e);
        // the caller retries at once: the turn the lost command took is over, the retry does not wait for its lease
        WriteResult retried = save(w, id, "RETRIED");
        assertEquals(lastVersion + 1, retried.version(), "the lost attempt used no version");
        assertEquals("RETRIED", search.get(id).orElseThrow().getStatus());
    }

    /** @return the entity's record in the intent collection */
    BsonDocument record(String id) {
        return intents.find(Filters.eq("_id", id)).first();
    }

    /**
     * Recovery on every writer, past the settle time, then: the sink holds what the primary holds, nothing is
     * pending and no write holds the entity.
     */
    @SafeVarargs
    final void assertConverged(String id, DualWriter<Order>... writers) {
        clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
        for (int i = 0; i < 5; i++) {
            for (DualWriter<Order> w : writers) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
        }
        var primary = writers[0].operations().snapshot(id).orElseThrow();
        assertEquals(primary.version(), search.versionOf(id).orElseThrow(), "the sink holds the primary's version");
        assertEquals(primary.state().orElseThrow().getStatus(), search.get(id).orElseThrow().getStatus(),
                "and its state");
        assertEquals(0, intents.countDocuments(Filters.exists("entityId")), "no intent is left");
        assertNull(record(id).get("turnOwner"), "no write holds the entity");
    }
}
