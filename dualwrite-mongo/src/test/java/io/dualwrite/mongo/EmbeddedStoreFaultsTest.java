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
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.RequiredSinkFailedException;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonWriter;
import org.bson.RawBsonDocument;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The promises of the embedded mode ({@link MongoPrimaryStore}) through its shortcuts, faults and errors: remembered
 * revisions, ids guessed new, acknowledgements that do not move the revision, constant-cost claims and batched
 * acknowledgements. Two application instances (A, whose collection is scripted by a {@link HookedCollection}, and B)
 * share one collection and one version-guarded sink; each instance has its own clock. Every test checks the promises
 * against the primary: the sink ends at the primary's latest state and version, it was never handed a state the
 * primary did not commit at that version, versions only grow, no intent is lost, and a failure the caller sees says
 * what happened.
 */
class EmbeddedStoreFaultsTest extends TwoEmbeddedInstancesFixture {
    /** What the primary committed, by entity and version (null for a delete), from the writers' results. */
    private final Map<String, Map<Long, Product>> committed = new ConcurrentHashMap<>();

    // ------------------------------------------------------------------ helpers

    private WriteResult save(DualWriter<Product> w, Product p) {
        return save(w, p, WriteOptions.DEFAULT);
    }

    private WriteResult save(DualWriter<Product> w, Product p, WriteOptions options) {
        WriteResult r = w.save(p, options);
        if (r.written()) {
            committed.computeIfAbsent(p.getId(), k -> new ConcurrentHashMap<>()).put(r.version(), p);
        }
        return r;
    }

    private WriteResult delete(DualWriter<Product> w, String id) {
        WriteResult r = w.delete(id);
        if (r.written()) {
            committed.computeIfAbsent(id, k -> new ConcurrentHashMap<>()).put(r.version(), TOMBSTONE);
        }
        return r;
    }

    private static final Product TOMBSTONE = new Product("-", "-", -1);

    /**
     * The promises for one entity: every change the sink was handed is a state the primary committed at that version,
     * the sink holds the primary's latest version and state, and the versions the primary committed grew.
     */
    private void assertPromises(String id) {
        Map<Long, Product> history = committed.getOrDefault(id, Map.of());
        for (Change<Product> c : search.seen) {
            if (!c.id().equals(id)) {
                continue;
            }
            Product stateAtVersion = history.get(c.version());
            assertTrue(stateAtVersion != null, "the sink was handed " + id + "@" + c.version()
                    + ", a version no write of the primary committed (" + history.keySet() + ")");
            if (c.operation() == Operation.DELETE) {
                assertEquals(TOMBSTONE, stateAtVersion, "a delete at a version that committed a save: " + c);
            } else {
                assertEquals(stateAtVersion, c.state().orElseThrow(), "the sink was handed " + id + "@"
                        + c.version() + " with a state the primary never held at that version");
            }
        }
        Fixture.assertConverged(storeB, id, Map.of("search", search.target));
        storeB.read(id).ifPresent(s -> assertEquals(java.util.Collections.max(history.keySet()), s.version(),
                "the primary's version is the highest any write committed"));
    }

    private static void assertGrows(long... versions) {
        for (int i = 1; i < versions.length; i++) {
            assertTrue(versions[i] > versions[i - 1], "versions only grow: " + java.util.Arrays.toString(versions));
        }
    }

    // ------------------------------------------------------------------ two instances, stale memories

    /**
     * Two instances, each remembering the document as it last wrote it, alternate saves, deletes, re-creations over
     * the tombstone and a save with {@code expectedVersion} taken from the other instance's write; a third id is
     * created by B while A has learnt to insert unknown ids at once. Promise: every write lands on the document as it
     * is (versions +1 each, a stale expectedVersion refused with nothing written), the sink ends at the primary's
     * state, and it is never handed a state the primary did not commit.
     */
    @Test
    void twoInstancesWithStaleMemoriesAlternatingSavesDeletesAndRecreationsConverge() {
        long v1 = save(a, new Product("p1", "a1", 1)).version();
        long v2 = save(b, new Product("p1", "b1", 2)).version();
        long v3 = delete(a, "p1").version();                  // A remembers a1: stale
        long v4 = save(b, new Product("p1", "b2", 3)).version(); // B remembers b1: stale; re-creates over the tombstone
        long v5 = save(a, new Product("p1", "a3", 4), WriteOptions.builder().expectedVersion(v4).build()).version();
        long v6 = delete(b, "p1").version();
        assertThrows(VersionConflictException.class, () -> a.save(new Product("p1", "a4", 5),
                WriteOptions.builder().expectedVersion(v5).build()), "A's expectation is stale: B deleted since");
        assertEquals(v6, storeB.read("p1").orElseThrow().version(), "the refused save wrote nothing");
        long v7 = save(a, new Product("p1", "a5", 6)).version();
        assertGrows(v1, v2, v3, v4, v5, v6, v7);
        assertEquals(v1 + 6, v7, "one version per committed write");

        // A learns that unknown ids are new, then saves an id B created meanwhile: its guessed insert must lose
        for (int i = 0; i < 4; i++) {
            save(a, new Product("new" + i, "n", i));
        }
        long theirs = save(b, new Product("p2", "b", 1)).version();
        long mine = save(a, new Product("p2", "a", 2)).version();
        assertEquals(theirs + 1, mine, "A's save of an id it guessed new lands on B's document");
        recoverEverything();
        assertPromises("p1");
        assertPromises("p2");
    }

    // ------------------------------------------------------------------ lost replies

    /**
     * A has learnt that unknown ids are new and inserts n9 at once; the insert lands, B deletes n9 (its own sync
     * delivery puts the tombstone in the sink), then the insert's reply is lost. Promise: A's save resolves as the
     * version its insert made (never written again), the sink ends deleted, and nothing re-creates the entity.
     */
    @Test
    void aLostReplyOfAGuessedNewInsertWithADeleteOnTopResolvesToItsOwnVersion() {
        for (int i = 0; i < 4; i++) {
            save(a, new Product("new" + i, "n", i));
        }
        long[] tombstone = new long[1];
        hooks.landThenLoseReply("insertOne", () -> tombstone[0] = delete(b, "n9").version());
        WriteResult mine = save(a, new Product("n9", "mine", 9));
        assertTrue(hooks.done(), "the insert was taken at once and its reply lost");
        assertEquals(tombstone[0] - 1, mine.version(), "the save resolves as the version its insert made");
        recoverEverything();
        assertTrue(storeB.read("n9").orElseThrow().deleted(), "the delete stands");
        assertPromises("n9");
    }

    /**
     * A remembers p3. Its conditional replace lands; before the reply comes back (it is then lost), B's recovery
     * claims nothing (not due) but B saves p3 twice on top, with the sink down (its intents stay); then A's reply is
     * lost. Promise: A returns the version its own write made, the newer intents stay, the sink ends at B's version.
     */
    @Test
    void aLostReplyOfARememberedRevisionReplaceWithWritesOnTopLosesNoIntent() {
        save(a, new Product("p3", "a1", 1));
        settle();
        long[] top = new long[1];
        hooks.landThenLoseReply("replaceOne", () -> {
            search.down.set(true);
            save(b, new Product("p3", "b1", 2));
            top[0] = save(b, new Product("p3", "b2", 3)).version();
            search.down.set(false);
        });
        WriteResult mine = save(a, new Product("p3", "a2", 4));
        assertTrue(hooks.done());
        assertEquals(top[0] - 2, mine.version(), "A's write is resolved by its token as the version it made");
        assertEquals(top[0], storeB.read("p3").orElseThrow().pending().get("search").version(),
                "B's intent stays pending whatever A's acknowledgement of its own version does");
        settle();
        assertEquals(top[0], storeB.read("p3").orElseThrow().pending().get("search").version(),
                "A's acknowledgement of its older version removes nothing newer");
        recoverEverything();
        assertPromises("p3");
    }

    /**
     * A's acknowledgement batch lands, then B saves p4 with the sink down, then the batch's reply is lost; A then
     * saves p4 on what it remembers. Promise: B's intent survives, A's save lands on B's version (A forgot the
     * document when the batch failed), and the sink converges.
     */
    @Test
    void aLostReplyOfTheAcknowledgementBatchRacingAnotherInstancesSaveLosesNoIntent() {
        long v1 = save(a, new Product("p4", "a1", 1)).version();
        long[] theirs = new long[1];
        hooks.landThenLoseReply("bulkWrite", () -> {
            search.down.set(true);
            theirs[0] = save(b, new Product("p4", "b1", 2)).version();
            search.down.set(false);
        });
        a.operations().flushAcknowledgements(); // the batch failed as far as A knows: dropped with a warning
        assertTrue(hooks.done());
        assertEquals(v1 + 1, theirs[0]);
        assertEquals(theirs[0], storeB.read("p4").orElseThrow().pending().get("search").version(),
                "B's intent is not removed by A's acknowledgement of v1");
        long mine = save(a, new Product("p4", "a2", 3)).version();
        assertEquals(theirs[0] + 1, mine);
        recoverEverything();
        assertPromises("p4");
    }

    /**
     * p5 was committed and its writer died. A's recovery claims it: the claim's updateMany lands, B saves p5 on top
     * (the sink is down, B's intent stays), then the claim's reply is lost. Promise: A reads back what it leased, never
     * delivers the dead writer's older state over it, leaves no lease behind, and the sink converges.
     */
    @Test
    void aLostReplyOfTheClaimWhileAnotherInstanceSavesDeliversTheCurrentState() {
        Fixture.commitAndDie(storeA, clockA, new Product("p5", "dead", 1), List.of("search"));
        committed.computeIfAbsent("p5", k -> new ConcurrentHashMap<>())
                .put(storeB.read("p5").orElseThrow().version(), new Product("p5", "dead", 1));
        clockA.advance(Duration.ofMinutes(2));
        clockB.advance(Duration.ofMinutes(2));
        long[] theirs = new long[1];
        hooks.landThenLoseReply("updateMany", () -> {
            search.down.set(true);
            theirs[0] = save(b, new Product("p5", "b1", 2)).version();
            search.down.set(false);
        });
        a.operations().recoverDue();
        assertTrue(hooks.done());
        settle();
        // B's intent is not due yet by A's clock (its grace period runs): the claim delivers nothing older than it
        assertTrue(search.target.versionOf("p5").orElse(-1) == -1
                        || search.target.versionOf("p5").orElse(-1) == theirs[0],
                "the claim read back the document with B's write: " + search.target.versionOf("p5"));
        assertEquals(0, products.countDocuments(Filters.exists("_dw.leaseOwner")), "no lease is left behind");
        recoverEverything();
        assertPromises("p5");
    }

    // ------------------------------------------------------------------ recovery racing the caller

    /**
     * A's save of p6 is in its sink call (v1 not yet applied) when B saves v2 (delivered) and v3 with the sink's
     * answer lost for the caller's path (the sink is down for v3), time jumps past the grace period and B's recovery
     * delivers v3; then A's call applies v1 late. Promise: the sink ends at v3, A's late v1 changes nothing, and A's
     * acknowledgement of v1 never removes v3's intent (before recovery delivered it).
     */
    @Test
    void recoveryOnAnotherInstanceDeliversWhileTheCallersSinkCallIsInFlight() {
        save(a, new Product("p6", "a0", 0));
        settle();
        search.before(c -> c.id().equals("p6") && c.state().map(p -> p.getName().equals("a1")).orElse(false), () -> {
            save(b, new Product("p6", "b2", 2));
            search.down.set(true);
            save(b, new Product("p6", "b3", 3));
            search.down.set(false);
            clockB.advance(Duration.ofMinutes(2));
            b.operations().recoverDue();
            b.operations().flushAcknowledgements();
        });
        WriteResult mine = save(a, new Product("p6", "a1", 1));
        assertTrue(search.hooksDone());
        assertEquals(SinkOutcome.APPLIED, mine.outcome("search").orElseThrow(), "a no-op counts as applied");
        settle();
        recoverEverything();
        assertPromises("p6");
    }

    /**
     * p7 was committed and its writer died. A's recovery claims it and is in its sink call when the lease runs out
     * (A's clock and B's move past it); B saves p7 (sink down: intent stays), B's recovery claims the entity A's lease
     * no longer holds and delivers B's version; then A's call applies the old state late and A acknowledges and
     * releases. Promise: the sink ends at B's version, B's intent is not removed by A's late acknowledgement, A's
     * release does not end B's lease, nothing stays pending.
     */
    @Test
    void aLeaseThatRunsOutMidDeliveryIsTakenOverWithoutLosingOrReorderingAnything() {
        Fixture.commitAndDie(storeA, clockA, new Product("p7", "dead", 1), List.of("search"));
        committed.computeIfAbsent("p7", k -> new ConcurrentHashMap<>())
                .put(storeB.read("p7").orElseThrow().version(), new Product("p7", "dead", 1));
        clockA.advance(Duration.ofMinutes(2));
        clockB.advance(Duration.ofMinutes(2));
        long[] theirs = new long[1];
        search.before(c -> c.id().equals("p7") && c.state().map(p -> p.getName().equals("dead")).orElse(false), () -> {
            clockA.advance(Duration.ofSeconds(61));
            clockB.advance(Duration.ofSeconds(61));
            search.down.set(true);
            theirs[0] = save(b, new Product("p7", "b1", 2)).version();
            search.down.set(false);
            clockB.advance(Duration.ofMinutes(2)); // B's intent falls due
            b.operations().recoverDue();
            b.operations().flushAcknowledgements();
        });
        a.operations().recoverDue();
        assertTrue(search.hooksDone());
        a.operations().flushAcknowledgements();
        assertEquals(theirs[0], search.target.versionOf("p7").orElse(-1), "the sink holds B's version");
        assertEquals(0, storeB.pendingCount(), "nothing pending");
        recoverEverything();
        assertPromises("p7");
    }

    // ------------------------------------------------------------------ acknowledgements racing a save

    /**
     * A's acknowledgement batch for p8@v1 is written while A's next save of p8 is about to send its replace (on what
     * A remembers), and in a second round right after that replace landed, before A remembers what it wrote.
     * Promise: the acknowledgement never removes the new version's intent, A's memory of the document never lacks an
     * intent the primary holds (its next save must not drop it), and the sink converges.
     */
    @Test
    void anAcknowledgementBatchRacingTheSameInstancesNextSaveNeverDropsAnIntent() {
        save(a, new Product("p8", "a1", 1)); // applied: its acknowledgement is queued
        hooks.first("replaceOne", () -> a.operations().flushAcknowledgements());
        WriteResult v2 = save(a, new Product("p8", "a2", 2)); // applied: its acknowledgement is queued
        assertTrue(hooks.done());
        search.down.set(true);
        hooks.landThen("replaceOne", () -> a.operations().flushAcknowledgements());
        WriteResult v3 = save(a, new Product("p8", "a3", 3));
        assertTrue(hooks.done());
        assertEquals(SinkOutcome.DEFERRED, v3.outcome("search").orElseThrow());
        assertEquals(v3.version(), storeB.read("p8").orElseThrow().pending().get("search").version(),
                "the intent of the newest version is pending (the sink is down)");
        search.down.set(false);
        WriteResult v4 = save(a, new Product("p8", "a4", 4));
        settle();
        assertGrows(v2.version(), v3.version(), v4.version());
        recoverEverything();
        assertPromises("p8");
    }

    // ------------------------------------------------------------------ clocks

    /**
     * A's clock runs two hours ahead of B's (far beyond any lease or grace period). They create, delete, re-create
     * and save p9 in turn, retry a keyed save across instances, and both run recovery. Promise: versions grow by one
     * per write whatever the clocks say (the tombstone carries the version), the keyed retry on the instance whose
     * clock is behind is answered as a duplicate, the sink converges.
     */
    @Test
    void instancesWhoseClocksDisagreeByHoursKeepVersionsGrowingAndConverge() {
        clockA.advance(Duration.ofHours(2));
        long v1 = save(a, new Product("p9", "a1", 1)).version();
        long v2 = delete(b, "p9").version();
        long v3 = save(b, new Product("p9", "b1", 2)).version();
        WriteResult keyed = save(a, new Product("p9", "a2", 3), WriteOptions.builder().requestKey("k-9").build());
        WriteResult retry = b.save(new Product("p9", "a2", 3), WriteOptions.builder().requestKey("k-9").build());
        assertTrue(retry.duplicate(), "the retry on B, two hours behind A, is the same request");
        assertEquals(keyed.version(), retry.version());
        long v5 = delete(a, "p9").version();
        long v6 = save(b, new Product("p9", "b2", 4)).version();
        assertGrows(v1, v2, v3, keyed.version(), v5, v6);
        assertEquals(v1 + 5, v6);
        recoverEverything();
        assertPromises("p9");
    }

    // ------------------------------------------------------------------ codec Errors and failures

    /** A codec that refuses to decode a negative price (an entity invariant) and to encode a name "legacy". */
    static final class StrictCodec implements Codec<Product> {
        private final Codec<Product> pojo = Collections.POJOS.get(Product.class);
        private final String kind;

        StrictCodec(String kind) {
            this.kind = kind;
        }

        private void refuse(String what) {
            switch (kind) {
                case "AssertionError" -> throw new AssertionError(what);
                case "IllegalArgumentException" -> throw new IllegalArgumentException(what);
                default -> throw new IllegalStateException(what);
            }
        }

        @Override
        public Product decode(BsonReader reader, DecoderContext context) {
            Product p = pojo.decode(reader, context);
            if (p.getPrice() < 0) {
                refuse("a price is never negative");
            }
            return p;
        }

        @Override
        public void encode(BsonWriter writer, Product value, EncoderContext context) {
            if ("legacy".equals(value.getName())) {
                refuse("legacy names are not written any more");
            }
            pojo.encode(writer, value, context);
        }

        @Override
        public Class<Product> getEncoderClass() {
            return Product.class;
        }
    }

    private MongoCollection<Product> strictCollection(String kind) {
        CodecRegistry registry = CodecRegistries.fromRegistries(CodecRegistries.fromCodecs(new StrictCodec(kind)),
                Collections.POJOS);
        return db.getCollection(Collections.uniqueName("strict"), Product.class).withCodecRegistry(registry);
    }

    /**
     * A save of an entity the codec encodes but cannot decode (an AssertionError, or an exception, in the entity's
     * invariant on the way back): the commit lands, then the store decodes the document it wrote to give the sinks
     * the state as stored, and that fails. Promise (PrimaryWriteException: "The primary store could not commit ...";
     * guarantees.md: a failure that means "nothing was written" never follows a commit): either the save is refused
     * with nothing written, or the caller learns that it was committed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"AssertionError", "IllegalArgumentException", "IllegalStateException"})
    void aStateTheCodecCannotDecodeIsNeverReportedAsNotCommittedOnceCommitted(String kind) {
        MongoCollection<Product> strict = strictCollection(kind);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(strict).build();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clockA, "S",
                Map.of("search", search)).build()) {
            Throwable thrown = null;
            try {
                w.save(new Product("neg", "negative", -5));
            } catch (Throwable t) {
                thrown = t;
            }
            BsonDocument stored = strict.withDocumentClass(BsonDocument.class).find(Filters.eq("_id", "neg")).first();
            if (thrown == null) {
                return; // the caller was told it committed
            }
            boolean saysNotCommitted = thrown instanceof PrimaryWriteException pwe && pwe.kind() != ErrorKind.UNKNOWN_OUTCOME;
            assertFalse(saysNotCommitted && stored != null, "the caller got " + thrown
                    + " (the primary could not commit, no unknown outcome), yet the primary holds " + stored);
        }
    }

    /**
     * The same save as above with a request key, then the client's retry of that key after the PERMANENT failure.
     * Promise (guarantees.md, caller idempotency; PrimaryWriteException: PERMANENT means "the same call fails again"):
     * the two answers agree - either the first said it committed, or the retry is not a duplicate of a write that
     * never happened.
     */
    @Test
    void aKeyedRetryAfterTheDecodeFailureContradictsTheFirstAnswer() {
        MongoCollection<Product> strict = strictCollection("AssertionError");
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(strict).build();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clockA, "S",
                Map.of("search", search)).build()) {
            WriteOptions keyed = WriteOptions.builder().requestKey("order-1").build();
            PrimaryWriteException first = assertThrows(PrimaryWriteException.class,
                    () -> w.save(new Product("neg2", "negative", -5), keyed));
            WriteResult retry = w.save(new Product("neg2", "negative", -5), keyed);
            assertFalse(first.kind() == ErrorKind.PERMANENT && retry.duplicate(), "first answer: " + first.kind()
                    + " (" + first.getMessage() + "); the retry of the same key: duplicate of version " + retry.version());
        }
    }

    /**
     * p10's document was changed outside the store (with DualWriteFilters.touch(), as documented) to a name the
     * entity's codec refuses to encode (an AssertionError, or an exception). A save of p10 then fails its REQUIRED
     * sink, so the coordinator commits the before-image back; encoding it fails. Promise (guarantees.md, REQUIRED:
     * "the write is undone ... then RequiredSinkFailedException names the sink and the reason"): the caller must
     * learn that the REQUIRED sink failed, whatever the compensation's own fate.
     */
    @ParameterizedTest
    @ValueSource(strings = {"AssertionError", "IllegalStateException"})
    void aRequiredSinkFailureIsReportedEvenWhenTheBeforeImageCannotBeEncoded(String kind) {
        MongoCollection<Product> strict = strictCollection(kind);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(strict).build();
        ScriptedSink required = new ScriptedSink();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clockA, "S", Map.of())
                .sink("ledger", required, SinkSettings.builder().policy(DeliveryPolicy.REQUIRED).maxAttempts(1).build())
                .build()) {
            w.save(new Product("p10", "one", 1));
            strict.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "p10"),
                    Updates.combine(Updates.set("name", "legacy"), DualWriteFilters.touch()));
            required.down.set(true);
            Throwable thrown = null;
            WriteResult result = null;
            try {
                result = w.save(new Product("p10", "two", 2));
            } catch (Throwable t) {
                thrown = t;
            }
            assertTrue(thrown instanceof RequiredSinkFailedException, "the REQUIRED sink failed; the caller got "
                    + (thrown != null ? thrown.toString() : "a result " + result));
        }
    }

    /**
     * One poison entity whose sink call throws an AssertionError on the caller's path and in recovery, among others
     * saved on both instances. Promise: the poison is dead-lettered, its save returns (the primary committed), every
     * other entity reaches the sink, nothing stays pending.
     */
    @Test
    void anErrorFromTheSinkForOnePoisonEntityBlocksNoOtherOnEitherInstance() {
        InMemoryDeadLetterStore dead = new InMemoryDeadLetterStore();
        io.dualwrite.spi.Sink<Product> poisonous = new io.dualwrite.spi.Sink<>() {
            @Override
            public io.dualwrite.spi.ApplyResult apply(Change<Product> change) throws Exception {
                if (change.id().equals("poison")) {
                    throw new AssertionError("scripted: poison");
                }
                return search.apply(change);
            }

            @Override
            public java.util.Optional<Duration> callTimeout() {
                return java.util.Optional.of(Duration.ZERO);
            }
        };
        DualWriter<Product> a2 = Fixture.writer(storeA, dead, clockA, "A2", Map.of("search", poisonous)).build();
        DualWriter<Product> b2 = Fixture.writer(storeB, dead, clockB, "B2", Map.of("search", poisonous)).build();
        save(a2, new Product("ok1", "x", 1));
        WriteResult poison = a2.save(new Product("poison", "p", 1));
        assertEquals(SinkOutcome.DEAD_LETTERED, poison.outcome("search").orElseThrow());
        save(b2, new Product("ok2", "y", 2));
        b2.save(new Product("poison", "p", 2));
        save(a2, new Product("ok2", "z", 3));
        for (int i = 0; i < 5; i++) {
            clockA.advance(Duration.ofMinutes(5));
            clockB.advance(Duration.ofMinutes(5));
            a2.operations().flushAcknowledgements();
            b2.operations().flushAcknowledgements();
            a2.operations().recoverDue();
            b2.operations().recoverDue();
        }
        a2.operations().flushAcknowledgements();
        b2.operations().flushAcknowledgements();
        assertEquals(0, storeB.pendingCount(), "nothing stays pending");
        assertPromises("ok1");
        assertPromises("ok2");
        assertTrue(dead.count() >= 1, "the poison is dead-lettered");
    }

    // ------------------------------------------------------------------ documents in the earlier layout

    /**
     * A document in the layout that kept only the last commit's token ({@code _dw.write}), which {@code Meta.of}
     * still reads ("the single last-commit token of documents written before the token list existed"). A save of it
     * on either instance. Promise: the save lands on top of it (one version more) and the sink receives it.
     */
    @Test
    void aSaveOfADocumentInTheSingleTokenLayoutLandsOnIt() {
        long v = Fixture.START.toEpochMilli() * 1000;
        products.withDocumentClass(BsonDocument.class).insertOne(BsonDocument.parse("{_id: 'old', name: 'old', price: 1,"
                + " _dw: {v: {$numberLong: '" + v + "'}, rev: {$numberLong: '3'}, at: {$date: '2026-05-01T07:00:00Z'},"
                + " write: 'tok-of-the-last-commit', pending: {}, keys: []}}"));
        committed.computeIfAbsent("old", k -> new ConcurrentHashMap<>()).put(v, new Product("old", "old", 1));
        long started = System.nanoTime();
        Throwable thrown = null;
        WriteResult r = null;
        try {
            r = save(b, new Product("old", "new", 2));
        } catch (Throwable t) {
            thrown = t;
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(thrown == null, "the save of the document in the earlier layout failed after " + millis + " ms: "
                + thrown);
        assertEquals(v + 1, r.version());
        recoverEverything();
        assertPromises("old");
    }

    /**
     * A document in the single-token layout with an intent pending for a sink that stays down. Recovery claims it
     * and fails on every pass (the writer allows five attempts). Promise (guarantees.md 5: transient failures are
     * retried a bounded number of times, then the intent becomes a dead letter): each attempt is recorded and the
     * intent is dead-lettered after the fifth.
     */
    @Test
    void aFailingIntentOfADocumentInTheSingleTokenLayoutIsCountedAndDeadLettered() {
        long v = Fixture.START.toEpochMilli() * 1000;
        products.withDocumentClass(BsonDocument.class).insertOne(BsonDocument.parse("{_id: 'old2', name: 'old', price: 1,"
                + " _dw: {v: {$numberLong: '" + v + "'}, rev: {$numberLong: '3'}, at: {$date: '2026-05-01T07:00:00Z'},"
                + " write: 'tok-of-the-last-commit', due: {$date: '2026-05-01T07:00:00Z'},"
                + " pending: {search: {v: {$numberLong: '" + v + "'}, due: {$date: '2026-05-01T07:00:00Z'}, attempts: 0}},"
                + " keys: []}}"));
        InMemoryDeadLetterStore dead = new InMemoryDeadLetterStore();
        DualWriter<Product> w = Fixture.writer(storeB, dead, clockB, "R", Map.of("search", search)).build();
        search.down.set(true);
        List<Integer> attempts = new ArrayList<>();
        for (int pass = 0; pass < 8 && dead.count() == 0; pass++) {
            clockB.advance(Duration.ofMinutes(5)); // past every backoff and lease
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            storeB.read("old2").ifPresent(s -> attempts.add(s.pending().containsKey("search")
                    ? s.pending().get("search").attempts() : -1));
        }
        assertEquals(1, dead.count(), "after the allowed attempts the intent is a dead letter; the attempts the"
                + " document recorded after each pass: " + attempts);
    }

    // ------------------------------------------------------------------ the caller's own Error

    /**
     * The caller's own serializer of the entity (registered in the writer's Jackson mapper, as an application does)
     * asserts an invariant the entity breaks: an AssertionError from the caller's code while the writer checks that
     * the entity serializes. Promise (guarantees.md: "an entity Jackson cannot serialize ... EntitySerializationException
     * ... nothing was written"): nothing is written and no sink touched, and the failure is an
     * EntitySerializationException.
     */
    @Test
    void anErrorFromTheCallersSerializerWritesNothingAndIsAnEntitySerializationException() {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.module.SimpleModule module = new com.fasterxml.jackson.databind.module.SimpleModule();
        module.addSerializer(Product.class, new com.fasterxml.jackson.databind.JsonSerializer<Product>() {
            @Override
            public void serialize(Product value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider serializers) {
                if (value.getPrice() < 0) {
                    throw new AssertionError("a price is never negative");
                }
                throw new UnsupportedOperationException("not used in this test");
            }
        });
        mapper.registerModule(module);
        DualWriter<Product> w = Fixture.writer(storeA, new InMemoryDeadLetterStore(), clockA, "J",
                Map.of("search", search)).objectMapper(mapper).build();
        Throwable thrown = null;
        try {
            w.save(new Product("p12", "x", -1));
        } catch (Throwable t) {
            thrown = t;
        }
        assertEquals(0, products.countDocuments(Filters.eq("_id", "p12")), "nothing was written");
        assertTrue(search.seen.isEmpty(), "no sink was touched");
        assertTrue(thrown instanceof io.dualwrite.EntitySerializationException, "the caller got " + thrown);
    }

    // ------------------------------------------------------------------ documents edited outside the store

    /**
     * A remembers p13. Someone else's code changes the price in place between two of A's saves, with
     * {@code DualWriteFilters.touch()} as mongodb.md asks. A's next save then fails its REQUIRED sink, and the
     * coordinator writes the before-image back. Promise (guarantees.md, REQUIRED: "the before-image is committed as a
     * new version"; promise 1: the sinks get what the primary holds): the compensation restores what the primary held
     * before the save, the outside edit included. (Without touch() mongodb.md states the limit: an instance that
     * remembers the document does not see such an edit.)
     */
    @Test
    void aCompensationRestoresAnOutsideEditMadeWithTouchBetweenTwoSaves() {
        ScriptedSink ledger = new ScriptedSink();
        DualWriter<Product> w = Fixture.writer(storeA, new InMemoryDeadLetterStore(), clockA, "L", Map.of())
                .sink("ledger", ledger, SinkSettings.builder().policy(DeliveryPolicy.REQUIRED).maxAttempts(1).build())
                .build();
        w.save(new Product("p13", "one", 1));
        products.withDocumentClass(BsonDocument.class).updateOne(Filters.eq("_id", "p13"),
                Updates.combine(Updates.set("price", 99L), DualWriteFilters.touch()));
        ledger.down.set(true);
        assertThrows(RequiredSinkFailedException.class, () -> w.save(new Product("p13", "two", 2)));
        Product now = storeB.read("p13").orElseThrow().state().orElseThrow();
        assertEquals(new Product("p13", "one", 99), now, "the compensation wrote back what the primary held before the"
                + " save");
    }

    // ------------------------------------------------------------------ size

    /**
     * The largest entity the store accepts (found by bisection on the store itself), an instance whose worker id is a
     * long host name (a Kubernetes pod name may have up to 253 characters; the builder takes any string), and a sink
     * that fails with a long error message in a script of 3-byte characters. Recovery leases the document and
     * reschedules it with the sink's errors. Promise (mongodb.md "How a commit works": an entity that would leave less
     * room than the store's later bookkeeping needs - a recovery lease, two errors per sink - is refused before
     * anything is written): the stored document never grows past MongoDB's 16 MiB, which a real server refuses on
     * update (so the claim, one updateMany for the whole batch, would fail for every entity claimed with it).
     */
    @Test
    void aDocumentAtTheLimitNeverGrowsPastItWhenALongNamedWorkerLeasesAndReschedulesIt() {
        int limit = 16 * 1024 * 1024;
        MongoCollection<Product> big = Collections.products(db);
        MongoPrimaryStore<Product> store = MongoPrimaryStore.builder(big).revisionCache(0, Duration.ofMinutes(1)).build();
        // the largest accepted name, by bisection on commits of the store
        int lo = limit - 20_000;
        int hi = limit;
        while (lo + 1 < hi) {
            int mid = (lo + hi) >>> 1;
            big.deleteMany(new BsonDocument());
            try {
                Fixture.commitAndDie(store, clockA, new Product("huge", "n".repeat(mid), 1), List.of("search"));
                lo = mid;
            } catch (io.dualwrite.mongo.MongoEntityTooLargeException e) {
                hi = mid;
            }
        }
        big.deleteMany(new BsonDocument());
        Fixture.commitAndDie(store, clockA, new Product("huge", "n".repeat(lo), 1), List.of("search"));
        String podName = "orders-api-" + "x".repeat(253 - 11);
        List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (DualWriter<Product> w = Fixture.writer(store, new InMemoryDeadLetterStore(), clockA, podName, Map.of())
                .sink("search", change -> {
                    // the document as it is while this worker's pass holds its lease
                    sizes.add(big.withDocumentClass(RawBsonDocument.class).find(Filters.eq("_id", "huge")).first()
                            .getByteBuffer().remaining());
                    throw new java.io.IOException("索引不可用".repeat(400));
                }, Fixture.ONE_ATTEMPT).validateSerialization(false).build()) {
            for (int pass = 0; pass < 3; pass++) {
                clockA.advance(Duration.ofMinutes(2));
                w.operations().recoverDue(); // leases it, the sink fails with a long error, reschedules it
            }
            sizes.add(big.withDocumentClass(RawBsonDocument.class).find(Filters.eq("_id", "huge")).first()
                    .getByteBuffer().remaining());
            int largest = java.util.Collections.max(sizes);
            assertTrue(sizes.size() >= 3, "the sink was called on each pass: " + sizes);
            assertTrue(largest <= limit, "accepted at " + lo + " name characters; with worker '" + podName.length()
                    + " characters' the document grew to " + sizes + " bytes: over " + limit
                    + " (a real MongoDB refuses the update)");
        }
    }
}
