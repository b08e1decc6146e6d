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
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MongoPrimaryStore's shortcuts (remembered revisions, insert-first of unknown ids) under lost replies, other
 * instances' writes, other unique indexes and other spellings of an ObjectId.
 */
@ExtendWith(MongoExtension.class)
class PrimaryStoreShortcutRacesTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private MongoCollection<Product> products;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
    }

    private BsonDocument raw(String id) {
        return products.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", id)).first();
    }

    private PrimaryWrite<Product> save(Product p) {
        clock.advance(Duration.ofMillis(10));
        Instant now = clock.instant();
        return PrimaryWrite.<Product>builder().id(p.getId()).operation(Operation.UPSERT).state(p)
                .intents(List.of(new IntentSpec("search", now.plus(Fixture.GRACE))))
                .correlationId("race-" + p.getId()).time(now).build();
    }

    /**
     * Instance A remembers p1 at its first version; instance B then saves p1 nine times (a hot entity served by
     * several instances, well within the time A remembers it). A saves p1: its replace is conditional on the
     * remembered (stale) revision, so it matches nothing, and its reply is lost. The document remembers only the last
     * eight commits, so A cannot tell whether the commit right after the revision it knew was its own: the save is an
     * unknown outcome (docs/mongodb.md, "How a commit works"), where a store that read first would have known. Nothing
     * is lost: the primary holds B's last save, and A's retry is written above it.
     */
    @Test
    void aLostReplyOfAWriteOnAStaleRememberedRevisionIsAnUnknownOutcomeThatLosesNothing() {
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> a = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        MongoPrimaryStore<Product> b = MongoPrimaryStore.builder(products).createIndexes(false).build();
        Committed<Product> first = a.commit(save(new Product("p1", "a0", 0)));
        long last = first.version();
        for (int i = 1; i <= 9; i++) {
            last = b.commit(save(new Product("p1", "b" + i, i))).version();
        }
        hooks.landThenLoseReply("replaceOne", () -> { });
        RuntimeException lost = assertThrows(RuntimeException.class, () -> a.commit(save(new Product("p1", "a10", 10))));
        assertTrue(hooks.done());
        assertEquals(io.dualwrite.ErrorKind.UNKNOWN_OUTCOME, MongoErrorClassifier.INSTANCE.classify(lost), lost.toString());
        assertEquals("b9", raw("p1").getString("name").getValue(), "the replace on the stale revision did not land");
        Committed<Product> retried = a.commit(save(new Product("p1", "a10", 10)));
        assertEquals(last + 1, retried.version(), "the retry is written above B's last save");
        assertEquals("a10", raw("p1").getString("name").getValue());
    }

    /** The same save on a store that reads first: written, as the control of the test above. */
    @Test
    void controlTheSameLostReplyOnAStoreThatReadsFirstIsWritten() {
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> a = MongoPrimaryStore.builder(hooks.wrap(products))
                .revisionCache(0, Duration.ofMinutes(10)).build();
        MongoPrimaryStore<Product> b = MongoPrimaryStore.builder(products).createIndexes(false).build();
        a.commit(save(new Product("p1", "a0", 0)));
        long last = 0;
        for (int i = 1; i <= 9; i++) {
            last = b.commit(save(new Product("p1", "b" + i, i))).version();
        }
        hooks.landThenLoseReply("replaceOne", () -> { });
        Committed<Product> mine = a.commit(save(new Product("p1", "a10", 10)));
        assertEquals(last + 1, mine.version());
    }

    /**
     * The application keeps a unique index of its own (a SKU, an e-mail). A save of a new id whose state takes a value
     * another entity holds is refused by the server with a duplicate key (11000) that is not the store's own insert
     * race: docs/mongodb.md classifies it PERMANENT and guarantees.md says nothing was written. The store takes every
     * duplicate key on an insert for a race on _id, reads (nothing there), inserts again, MAX_RACES times, and ends with
     * an IllegalStateException, which the coordinator reports as UNKNOWN_OUTCOME ("retry with the same request key to
     * learn the outcome") after two thousand commands.
     */
    @Test
    void aNewIdRefusedByAnotherUniqueIndexIsAPermanentFailureNotAnUnknownOutcome() {
        products.createIndex(Indexes.ascending("name"), new IndexOptions().unique(true));
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(products).build();
        DualWriter<Product> writer = Fixture.writer(store, new InMemoryDeadLetterStore(), clock, "W",
                Fixture.sinks("search")).build();
        writer.save(new Product("u1", "kettle", 1));
        PrimaryWriteException e = assertThrows(PrimaryWriteException.class,
                () -> writer.save(new Product("u2", "kettle", 2)));
        assertEquals(ErrorKind.PERMANENT, e.kind(), "a duplicate key outside the store's own insert race is"
                + " PERMANENT (docs/mongodb.md, Error classification); nothing was written, yet the caller is told: "
                + e.getMessage());
    }

    /**
     * Another unique index refuses a new id's insert, and the reply to that refusal is lost: the store looks for its
     * write, finds no document, inserts again and is refused again. It stops after two such looks with the unknown
     * outcome of the lost reply (an earlier insert may still land), the duplicate key beside it, instead of looping.
     */
    @Test
    void anInsertRefusedByAnotherUniqueIndexAfterALostReplyEndsAsAnUnknownOutcomeWithoutLooping() {
        products.createIndex(Indexes.ascending("name"), new IndexOptions().unique(true));
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> a = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        a.commit(save(new Product("u1", "kettle", 1)));
        hooks.sendThenLoseAnyReply("insertOne");
        RuntimeException e = assertThrows(RuntimeException.class, () -> a.commit(save(new Product("u2", "kettle", 2))));
        assertTrue(hooks.done());
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, MongoErrorClassifier.INSTANCE.classify(e), e.toString());
        assertTrue(java.util.Arrays.stream(e.getSuppressed()).anyMatch(x -> x instanceof com.mongodb.MongoWriteException
                        && ((com.mongodb.MongoWriteException) x).getError().getCategory() == com.mongodb.ErrorCategory.DUPLICATE_KEY),
                "the other index's refusal is named: " + java.util.Arrays.toString(e.getSuppressed()));
        assertEquals(null, raw("u2"), "nothing was written");
    }

    /**
     * Instance A has lately saved new ids, so it inserts an id it does not know at once. Its insert lands and the
     * reply is lost; instance B saves the same id on top before A looks. A must learn its own version, and its write
     * must not be applied a second time.
     */
    @Test
    void aLostReplyOfAnInsertFirstFollowedByAnotherInstancesSaveIsAppliedOnce() {
        HookedCollection hooks = new HookedCollection();
        MongoPrimaryStore<Product> a = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        MongoPrimaryStore<Product> b = MongoPrimaryStore.builder(products).createIndexes(false).build();
        a.commit(save(new Product("n1", "x", 1)));
        a.commit(save(new Product("n2", "x", 1))); // A now inserts unknown ids at once
        long[] theirs = new long[1];
        hooks.landThenLoseReply("insertOne", () -> theirs[0] = b.commit(save(new Product("n3", "b", 2))).version());
        Committed<Product> mine = a.commit(save(new Product("n3", "a", 1)));
        assertTrue(hooks.done());
        assertEquals(mine.version() + 1, theirs[0], "B wrote on top of A's insert");
        assertEquals(theirs[0], raw("n3").getDocument("_dw").getInt64("v").getValue());
        assertEquals("b", raw("n3").getString("name").getValue(), "A's insert was not applied again over B's save");
    }

    /**
     * With {@code idType(OBJECT_ID)} the store accepts any spelling of an ObjectId's hex form: "65A1..." and "65a1..."
     * are the same document. The coordinator, though, names the entity to sinks by the id the caller gave. A save
     * (id from the entity, lower case) and a delete by the id as a URL or a user typed it (upper case) reach one
     * primary document, and the sink two entities: the delete is committed and acknowledged, nothing is left pending,
     * and the sink keeps the deleted entity for good (promise 2, convergence; promise 3, tombstones at the sink).
     */
    @Test
    void anObjectIdSpelledInUpperCaseIsTheSameEntityAtTheSinkAsAtThePrimary(MongoDatabase db) {
        MongoCollection<Document> docs = db.getCollection(Collections.uniqueName("docs"));
        MongoPrimaryStore<Document> store = MongoPrimaryStore.builder(docs).idType(IdType.OBJECT_ID).build();
        InMemorySink<Document> search = new InMemorySink<>();
        DualWriter<Document> writer = DualWriter.<Document>builder().entityType("doc")
                .idOf(d -> d.getObjectId("_id").toHexString()).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).clock(clock)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
        ObjectId oid = new ObjectId();
        String id = oid.toHexString();
        writer.save(new Document("_id", oid).append("title", "kettle"));
        assertTrue(search.get(id).isPresent());

        String upper = id.toUpperCase(java.util.Locale.ROOT);
        try {
            writer.delete(upper);
        } catch (RuntimeException refused) {
            // refusing an id spelled otherwise than the store spells it keeps the promise too: nothing was written
        }
        writer.operations().flushAcknowledgements();
        assertEquals(0, store.pendingCount(), "nothing is left for recovery to deliver");
        boolean deleted = store.read(id).orElseThrow().deleted();
        assertEquals(deleted, search.get(id).isEmpty(), "the sink holds the primary's state of " + id + " ("
                + (deleted ? "deleted" : "live") + "); it holds " + search.get(id).orElse(null) + " (the delete reached"
                + " it as " + upper + ")");
    }

    /**
     * Instance A has lately saved new ids, so it inserts an id it does not know at once. The id exists: instance B (its
     * clock a minute ahead of A's) created it and saved it nine times more. The server refuses A's insert with a
     * duplicate key, and that reply is lost. Nothing of A's landed and nobody wrote during A's save; reading first
     * (no guess), A would have replaced the document and been told WRITTEN. Resolving the lost insert, A compares
     * its guessed first version (from its own clock) with a document that remembers only its last eight commits, and
     * reports UNKNOWN_OUTCOME.
     */
    @Test
    void aLostReplyOfAnInsertFirstOfAnIdCreatedOnAnotherInstanceIsResolvedAsAReadFirstWriteIsResolved() {
        boolean[] loseNextInsert = new boolean[1];
        @SuppressWarnings("unchecked")
        MongoCollection<Product> lossy = (MongoCollection<Product>) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{MongoCollection.class}, new java.lang.reflect.InvocationHandler() {
                    private Object wrap(Object target) {
                        return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                                new Class<?>[]{MongoCollection.class}, (proxy, m, args) -> call(target, m, args));
                    }

                    private Object call(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
                        Object r;
                        try {
                            r = m.invoke(target, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            if (m.getName().equals("insertOne") && loseNextInsert[0]) {
                                loseNextInsert[0] = false;
                                throw new com.mongodb.MongoSocketReadException("scripted: the reply was lost",
                                        new com.mongodb.ServerAddress());
                            }
                            throw e.getCause();
                        }
                        if (m.getName().equals("insertOne") && loseNextInsert[0]) {
                            loseNextInsert[0] = false;
                            throw new com.mongodb.MongoSocketReadException("scripted: the reply was lost",
                                    new com.mongodb.ServerAddress());
                        }
                        return r instanceof MongoCollection ? wrap(r) : r;
                    }

                    @Override
                    public Object invoke(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
                        return call(products, m, args);
                    }
                });
        MongoPrimaryStore<Product> a = MongoPrimaryStore.builder(lossy).build();
        MongoPrimaryStore<Product> b = MongoPrimaryStore.builder(products).createIndexes(false).build();
        a.commit(save(new Product("n1", "x", 1)));
        a.commit(save(new Product("n2", "x", 1))); // A now inserts unknown ids at once
        MutableClock bClock = new MutableClock(clock.instant().plus(Duration.ofMinutes(1)));
        long last = 0;
        for (int i = 0; i < 10; i++) {
            bClock.advance(Duration.ofMillis(10));
            last = b.commit(PrimaryWrite.<Product>builder().id("n3").operation(Operation.UPSERT)
                    .state(new Product("n3", "b" + i, i)).intents(List.of(new IntentSpec("search",
                            bClock.instant().plus(Fixture.GRACE)))).correlationId("b").time(bClock.instant()).build())
                    .version();
        }
        loseNextInsert[0] = true;
        Committed<Product> mine;
        try {
            mine = a.commit(save(new Product("n3", "a", 1)));
        } catch (RuntimeException e) {
            throw new AssertionError("A's save, refused as an insert and never written, nobody writing during it, fails"
                    + " with " + e + " (classified " + MongoErrorClassifier.INSTANCE.classify(e) + "); the primary"
                    + " holds " + raw("n3").getString("name").getValue() + " at version "
                    + raw("n3").getDocument("_dw").getInt64("v").getValue() + ". Reading first, it is written", e);
        }
        assertEquals(last + 1, mine.version());
        assertEquals("a", raw("n3").getString("name").getValue());
    }
}
