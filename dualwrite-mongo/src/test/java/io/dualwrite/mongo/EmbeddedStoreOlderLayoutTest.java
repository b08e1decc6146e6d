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
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Documents in the layout that kept only the last commit's token ({@code _dw.write}) under a lost reply, a lost race,
 * a delete and recovery's claim and acknowledgement; and a lost reply whose document then cannot be decoded.
 */
class EmbeddedStoreOlderLayoutTest extends TwoEmbeddedInstancesFixture {
    private final long v = Fixture.START.toEpochMilli() * 1000;

    private void insertOld(String id, boolean pending) {
        String p = pending ? "due: {$date: '2026-05-01T07:00:00Z'}, pending: {search: {v: {$numberLong: '" + v
                + "'}, due: {$date: '2026-05-01T07:00:00Z'}, attempts: 0}}," : "pending: {},";
        products.withDocumentClass(BsonDocument.class).insertOne(BsonDocument.parse("{_id: '" + id + "', name: 'old',"
                + " price: 1, _dw: {v: {$numberLong: '" + v + "'}, rev: {$numberLong: '3'},"
                + " at: {$date: '2026-05-01T07:00:00Z'}, write: 'tok-of-the-last-commit', " + p + " keys: []}}"));
    }

    /** A's save of a single-token document lands, B saves twice on top, then A's reply is lost: A's is v+1. */
    @Test
    void aLostReplyOfASaveOnASingleTokenDocumentWithWritesOnTopResolvesToItsOwnVersion() {
        insertOld("old1", false);
        hooks.landThenLoseReply("replaceOne", () -> {
            b.save(new Product("old1", "b1", 2));
            b.save(new Product("old1", "b2", 3));
        });
        WriteResult mine = a.save(new Product("old1", "a1", 4));
        assertTrue(hooks.done());
        assertEquals(v + 1, mine.version(), "A's write is the version it made");
        assertEquals(v + 3, storeB.read("old1").orElseThrow().version());
        recoverEverything();
        Fixture.assertConverged(storeB, "old1", Map.of("search", search.target));
    }

    /** B saves between A's read and A's replace of a single-token document; A's (refused) answer is lost. */
    @Test
    void aLostRaceOnASingleTokenDocumentWhoseAnswerIsLostIsWrittenAgainOnTop() {
        insertOld("old2", false);
        hooks.landThen("find", () -> b.save(new Product("old2", "b1", 2)));
        hooks.sendThenLoseAnyReply("replaceOne");
        WriteResult mine = a.save(new Product("old2", "a1", 4));
        assertTrue(hooks.done());
        assertEquals(v + 2, mine.version(), "A's write lands on B's");
        assertEquals("a1", storeB.read("old2").orElseThrow().state().orElseThrow().getName());
        recoverEverything();
        Fixture.assertConverged(storeB, "old2", Map.of("search", search.target));
    }

    /** A delete of a single-token document, then a re-creation: versions go on above it. */
    @Test
    void aDeleteOfASingleTokenDocumentLeavesATombstoneAndARecreationGoesOnAboveIt() {
        insertOld("old3", false);
        WriteResult del = a.delete("old3");
        assertEquals(v + 1, del.version());
        WriteResult again = b.save(new Product("old3", "new", 5));
        assertEquals(v + 2, again.version());
        recoverEverything();
        Fixture.assertConverged(storeB, "old3", Map.of("search", search.target));
    }

    /** A single-token document with a pending intent: recovery claims, delivers and acknowledges it. */
    @Test
    void recoveryClaimsDeliversAndAcknowledgesASingleTokenDocument() {
        insertOld("old4", true);
        recoverEverything();
        assertEquals(v, search.target.versionOf("old4").orElse(-1));
        b.save(new Product("old4", "after", 6));
        recoverEverything();
        Fixture.assertConverged(storeB, "old4", Map.of("search", search.target));
    }
    /**
     * A keyed save of a state the codec encodes but cannot decode; its insert lands and the reply is lost. The store
     * reads the document back, finds its token, and cannot decode what it wrote. Then the client retries the key,
     * and recovery runs. Promise (CHANGELOG, MongoWriteUnconfirmedException): the caller is told UNKNOWN_OUTCOME (never
     * "nothing written"), the keyed retry is the same write (a duplicate), and recovery dead-letters the entity with
     * the codec's error: it is never silently lost, and nothing stays pending.
     */
    @Test
    void aLostInsertReplyThenADecodeFailureIsUnknownAndEndsDeadLettered() {
        MongoCollection<Product> strict = db.getCollection(Collections.uniqueName("strict"), Product.class)
                .withCodecRegistry(org.bson.codecs.configuration.CodecRegistries.fromRegistries(
                        org.bson.codecs.configuration.CodecRegistries.fromCodecs(
                                new EmbeddedStoreFaultsTest.StrictCodec("AssertionError")), Collections.POJOS));
        HookedCollection h = new HookedCollection();
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(h.wrap(strict)).build();
        InMemoryDeadLetterStore dead = new InMemoryDeadLetterStore();
        try (DualWriter<Product> w = Fixture.writer(store, dead, clockA, "S", Map.of("search", search)).build()) {
            h.landThenLoseReply("insertOne", () -> { });
            WriteOptions keyed = WriteOptions.builder().requestKey("order-9").build();
            PrimaryWriteException first = org.junit.jupiter.api.Assertions.assertThrows(PrimaryWriteException.class,
                    () -> w.save(new Product("neg9", "negative", -5), keyed));
            assertTrue(h.done());
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, first.kind(), first.getMessage());
            WriteResult retry = w.save(new Product("neg9", "negative", -5), keyed);
            assertTrue(retry.duplicate(), "the keyed retry is the first write");
            for (int i = 0; i < 5 && store.pendingCount() > 0; i++) {
                clockA.advance(Duration.ofMinutes(5));
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
            }
            assertEquals(0, store.pendingCount(), "nothing stays pending");
            assertTrue(dead.count() == 1, "the unreadable entity is dead-lettered: " + dead.count());
            assertTrue(search.seen.isEmpty(), "the sink was never handed a state: " + search.seen);
        }
    }
}
