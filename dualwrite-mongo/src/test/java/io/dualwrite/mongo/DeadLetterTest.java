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

import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dead letters in MongoDB: stored durably, listed, inspected, replayed after the sink heals, and discarded. */
@ExtendWith(MongoExtension.class)
class DeadLetterTest {

    /** A sink that rejects every change as a bad request until healed. */
    static final class RejectingSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        volatile boolean broken = true;

        @Override
        public ApplyResult apply(Change<Product> change) {
            if (broken) {
                throw new SinkException("400 rejected " + change.id(), ErrorKind.PERMANENT, null);
            }
            return target.apply(change);
        }
    }

    @Test
    void deadLettersAreListedReplayedAndDiscardedThroughTheApi(MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dead")).build();
        MutableClock clock = new MutableClock(Fixture.START);
        RejectingSink search = new RejectingSink();
        InMemorySink<Product> cache = new InMemorySink<>();
        try (DualWriter<Product> w = Fixture.writer(store, dls, clock, "w1", Map.of("search", search, "cache", cache))
                .build()) {
            WriteResult r1 = w.save(new Product("x1", "bad", 1));
            WriteResult r2 = w.save(new Product("x2", "bad", 2));
            assertEquals(SinkOutcome.DEAD_LETTERED, r1.outcome("search").orElseThrow(), "a permanent error dead-letters");
            assertEquals(SinkOutcome.APPLIED, r1.outcome("cache").orElseThrow(), "the other sink is not held up");
            w.operations().flushAcknowledgements();
            assertEquals(0, store.pendingCount(), "a dead-lettered intent leaves the primary's backlog");

            List<DeadLetter> listed = w.deadLetters().list(DeadLetterQuery.ALL);
            assertEquals(List.of("product/x1#search", "product/x2#search"),
                    listed.stream().map(DeadLetter::id).collect(Collectors.toList()), "both are listed, oldest first");
            assertEquals(1, w.deadLetters().list(DeadLetterQuery.builder().entityId("x2").build()).size(),
                    "filtered by entity");
            assertEquals(2, w.deadLetters().list(DeadLetterQuery.builder().kind(ErrorKind.PERMANENT).sink("search")
                    .build()).size(), "filtered by kind and sink");
            assertTrue(w.deadLetters().list(DeadLetterQuery.builder().sink("cache").build()).isEmpty(),
                    "nothing for the healthy sink");
            DeadLetter d1 = w.deadLetters().inspect("product/x1#search").orElseThrow();
            assertEquals(r1.version(), d1.version(), "the dead letter keeps the version");
            assertTrue(d1.lastError().contains("400 rejected x1"), "the dead letter keeps the error: " + d1.lastError());
            assertEquals(r1.correlationId(), d1.correlationId().orElseThrow(), "and the correlation id");
            assertEquals(1, db.getCollection(dls.collection().getNamespace().getCollectionName())
                    .countDocuments(new Document("_id", "product/x1#search")), "stored durably in MongoDB");

            search.broken = false;
            assertEquals(SinkOutcome.APPLIED, w.deadLetters().replay("product/x1#search"), "replay after healing");
            assertEquals(r1.version(), search.target.versionOf("x1").orElseThrow(), "the replay delivered the entity");
            assertFalse(w.deadLetters().inspect("product/x1#search").isPresent(), "a replayed dead letter is gone");
            assertTrue(w.deadLetters().discard("product/x2#search"), "discard removes it");
            assertEquals(0, w.deadLetters().count(), "nothing left");
            assertTrue(search.target.get("x2").isEmpty(), "a discarded dead letter is not delivered");
            assertEquals(r2.version(), cache.versionOf("x2").orElseThrow(), "the healthy sink has it anyway");
        }
    }

    @Test
    void replayAllByFilterGoesThroughTheNormalDeliveryPath(MongoDatabase db) {
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(Collections.products(db)).build();
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dead")).build();
        MutableClock clock = new MutableClock(Fixture.START);
        RejectingSink search = new RejectingSink();
        try (DualWriter<Product> w = Fixture.writer(store, dls, clock, "w1", Map.of("search", search)).build()) {
            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                versions.add(w.save(new Product("y" + i, "n", i)).version());
            }
            assertEquals(3, dls.count(), "three dead letters");
            search.broken = false;
            assertEquals(3, w.deadLetters().replayAll(DeadLetterQuery.builder().sink("search").build()), "all replayed");
            for (int i = 0; i < 3; i++) {
                assertEquals(versions.get(i), search.target.versionOf("y" + i).orElseThrow(), "y" + i + " delivered");
            }
            assertEquals(0, dls.count(), "none left");
        }
    }

    // the contract (merging, queries, removal) is MongoDeadLetterStoreContractTest's

    @Test
    void theIndexesForOperatorsQueriesExist(MongoDatabase db) {
        MongoDeadLetterStore dls = MongoDeadLetterStore.builder(db).collectionName(Collections.uniqueName("dead")).build();
        assertTrue(dls.ensureIndexes().containsAll(List.of(MongoDeadLetterStore.INDEX_QUERY,
                MongoDeadLetterStore.INDEX_ENTITY, MongoDeadLetterStore.INDEX_CREATED)), "the indexes exist");
    }
}
