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
import io.dualwrite.Operation;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interleavings in which what an instance remembers of a document could decide an outcome that reading the document
 * would decide otherwise: every answer given without writing is decided on the document as read, a remembered
 * revision of an earlier life of the document is never taken for the current one, and no write on what was known
 * puts back what an acknowledgement removed.
 */
@ExtendWith(MongoExtension.class)
class KnownRevisionRacesTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private MongoCollection<Product> products;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
    }

    private BsonDocument raw(String id) {
        return products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
    }

    private PrimaryWrite<Product> save(Product p, String requestKey, long expected, long undoes) {
        Instant now = clock.instant();
        PrimaryWrite.Builder<Product> b = PrimaryWrite.<Product>builder().id(p.getId()).operation(Operation.UPSERT)
                .state(p).intents(List.of(new IntentSpec("search", now.plus(Fixture.GRACE))))
                .correlationId("races-" + p.getId()).time(now);
        if (requestKey != null) {
            b.requestKey(requestKey);
        }
        if (expected >= 0) {
            b.expectedVersion(expected);
        }
        if (undoes >= 0) {
            b.undoes(undoes);
        }
        return b.build();
    }

    /**
     * A REQUIRED sink failed a keyed write on one instance, which compensated it and so forgot the key ("the caller's
     * retry of that request runs again"). The caller's retry reaches another instance that had read the entity
     * between the write and its compensation: that instance answers DUPLICATE_REQUEST from what it remembers, with
     * the version that was undone, and the retry is never written.
     */
    @Test
    void aRetryOfARequestACompensationOnAnotherInstanceForgotIsWrittenAgain() {
        MongoPrimaryStore<Product> writerNode = MongoPrimaryStore.builder(products).build();
        MongoPrimaryStore<Product> otherNode = MongoPrimaryStore.builder(products).build();
        Committed<Product> v1 = writerNode.commit(save(new Product("c1", "before", 1), null, -1, -1));
        clock.advance(Duration.ofSeconds(1));
        Committed<Product> keyed = writerNode.commit(save(new Product("c1", "order", 2), "req-7", -1, -1));
        assertEquals(v1.version() + 1, keyed.version());

        otherNode.read("c1"); // a GET served by the other node: it now remembers the document with req-7

        // the REQUIRED sink failed: the writer node writes the before-image back, forgetting req-7
        clock.advance(Duration.ofSeconds(1));
        Committed<Product> undo = writerNode.commit(save(new Product("c1", "before", 1), null, keyed.version(),
                keyed.version()));
        assertEquals(Committed.Status.WRITTEN, undo.status());

        // the caller, told RequiredSinkFailedException, retries req-7; the load balancer sends it to the other node
        clock.advance(Duration.ofSeconds(1));
        Committed<Product> retry = otherNode.commit(save(new Product("c1", "order", 2), "req-7", -1, -1));
        assertEquals(Committed.Status.WRITTEN, retry.status(), "the compensation forgot req-7, so its retry is"
                + " written again (decided on the document as it is, not as this instance remembered it); the"
                + " primary holds " + raw("c1").getString("name").getValue() + " at version "
                + raw("c1").getDocument("_dw").getInt64("v").getValue() + ", the retry was answered with version "
                + retry.version());
    }

    /** The same refusal decided on a remembered document: a key that another instance's keyed writes pushed out. */
    @Test
    void aKeyAnotherInstancePushedOutIsWrittenAgain() {
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(products).maxRequestKeys(1).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).maxRequestKeys(1).build();
        mine.commit(save(new Product("c2", "one", 1), "k-1", -1, -1));
        clock.advance(Duration.ofSeconds(1));
        other.commit(save(new Product("c2", "two", 2), "k-2", -1, -1)); // k-1 is forgotten now

        clock.advance(Duration.ofSeconds(1));
        Committed<Product> retry = mine.commit(save(new Product("c2", "one", 1), "k-1", -1, -1));
        assertEquals(Committed.Status.WRITTEN, retry.status(), "a retry of a key that later keyed writes pushed out"
                + " is written again (docs/guarantees.md); decided here on what this instance remembered");
    }

    /**
     * The revision is not unique across a document's lives: a direct replaceOne (documented: "drops _dw, and the
     * next write through the writer then starts the entity over") lets another instance write revision 1 again. An
     * instance that remembers revision 1 of the old life then writes on it without reading: its version (old first
     * version + 1) is below the one the entity and its sinks already hold, and the newer state is overwritten.
     */
    @Test
    void aRememberedRevisionOfAnEarlierLifeIsNotTakenForTheCurrentOne() {
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(products).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).build();
        Committed<Product> first = mine.commit(save(new Product("a1", "first", 1), null, -1, -1));
        mine.acknowledge(List.of(new Ack("a1", "search", first.version(), null)));

        // the application replaces the document itself (no $inc is possible in a replacement)
        products.replaceOne(Filters.eq("_id", "a1"), new Product("a1", "direct", 5));
        clock.advance(Duration.ofSeconds(1));
        Committed<Product> adopted = other.commit(save(new Product("a1", "other", 6), null, -1, -1));
        assertEquals(1L, raw("a1").getDocument("_dw").getInt64("rev").getValue(), "the new life is at revision 1");

        clock.advance(Duration.ofSeconds(1));
        Committed<Product> mineAgain = mine.commit(save(new Product("a1", "mine", 7), null, -1, -1));
        assertTrue(mineAgain.version() > adopted.version(), "versions only grow: the entity was at version "
                + adopted.version() + " (and its sinks may hold it), the next write committed version "
                + mineAgain.version() + " over it, so every version-guarded sink ignores it and keeps 'other'");
    }

    /**
     * A claim that finds a due time left early by an acknowledgement sets it right, conditional on the revision it
     * leased at. An acknowledgement no longer moves the revision on: one that removes the last intent in between
     * (and so removes the due time) is followed by the claim putting the due time back on a document with nothing
     * pending. pendingCount() and the due query ("stay exact") then count an entity with nothing to deliver.
     */
    @Test
    void aClaimNeverPutsBackTheDueTimeOfAnAcknowledgementThatLandedMeanwhile() {
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> mine = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        MongoPrimaryStore<Product> other = MongoPrimaryStore.builder(products).build();
        Instant now = clock.instant();
        Committed<Product> v1 = mine.commit(PrimaryWrite.<Product>builder().id("d1").operation(Operation.UPSERT)
                .state(new Product("d1", "one", 1)).intents(List.of(new IntentSpec("search", now.plusSeconds(30)),
                        new IntentSpec("cache", now.plus(Duration.ofMinutes(10)))))
                .correlationId("races-d1").time(now).build());
        // search is delivered: _dw.due stays at its time (earlier than cache's), as documented
        other.acknowledge(List.of(new Ack("d1", "search", v1.version(), null)));

        // recovery claims at +1 min (the stale due time), finds cache due at +10 min and plans to set _dw.due right;
        // before that fix is sent, the caller's delivery of cache is acknowledged by another instance
        hooks.first("bulkWrite", () -> other.acknowledge(List.of(new Ack("d1", "cache", v1.version(), null))));
        mine.claimDue(now.plus(Duration.ofMinutes(1)), 10, "w1/1", Duration.ofSeconds(60));
        assertTrue(hooks.done(), "the acknowledgement landed between the claim and its due-time fix");

        assertEquals(0, raw("d1").getDocument("_dw").getDocument("pending").size(), "nothing is pending");
        assertEquals(0, mine.pendingCount(), "pendingCount counts entities with intents pending; _dw = "
                + raw("d1").getDocument("_dw").toJson());
    }
}
