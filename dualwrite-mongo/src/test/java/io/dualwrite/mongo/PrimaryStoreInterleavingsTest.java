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
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteOptions;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.testkit.mongo.MongoExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two application instances (two writers, each with its own MongoPrimaryStore and what it remembers) over one
 * collection and one set of sinks, under interleavings of the remembered-revision shortcut that the existing tests do
 * not make.
 */
@ExtendWith(MongoExtension.class)
class PrimaryStoreInterleavingsTest {
    private final MutableClock clock = new MutableClock(Fixture.START);
    private final Map<String, InMemorySink<Product>> sinks = Fixture.sinks("search");
    private final HookedCollection hooks = new HookedCollection();
    private MongoCollection<Product> products;
    private MongoPrimaryStore<Product> storeA;
    private MongoPrimaryStore<Product> storeB;
    private DualWriter<Product> a;
    private DualWriter<Product> b;

    @BeforeEach
    void setUp(MongoDatabase db) {
        products = Collections.products(db);
        storeA = MongoPrimaryStore.builder(hooks.wrap(products)).build();
        storeB = MongoPrimaryStore.builder(products).createIndexes(false).build();
        a = Fixture.writer(storeA, new InMemoryDeadLetterStore(), clock, "A", sinks).build();
        b = Fixture.writer(storeB, new InMemoryDeadLetterStore(), clock, "B", sinks).build();
    }

    private void settle() {
        a.operations().flushAcknowledgements();
        b.operations().flushAcknowledgements();
    }

    /**
     * A remembers p1; B deletes it, every sink takes the delete, an operator purges the tombstone (as documented), and
     * B creates p1 again. A's next save must go on top of the new life, and the sink must end at it.
     */
    @Test
    void aPurgedAndRecreatedIdIsNotWrittenOnTheLifeAnotherInstanceRemembers() {
        a.save(new Product("p1", "one", 1));
        clock.advance(Duration.ofSeconds(1));
        a.save(new Product("p1", "two", 2));
        clock.advance(Duration.ofSeconds(1));
        b.delete("p1");
        settle();
        assertEquals(0, storeB.pendingCount());
        products.deleteMany(Filters.and(DualWriteFilters.deleted(), Filters.exists(DualWriteFilters.DUE, false)));
        clock.advance(Duration.ofHours(1));
        WriteResult again = b.save(new Product("p1", "again", 3));
        clock.advance(Duration.ofSeconds(1));
        WriteResult mine = a.save(new Product("p1", "mine", 4));
        settle();
        assertEquals(again.version() + 1, mine.version(), "A writes on the new life, not on the one it remembered");
        Fixture.assertConverged(storeB, "p1", sinks);
    }

    /**
     * A keyed save on A, its acknowledgement batch written; the client's retry of the same key reaches B, which had
     * read the entity before the keyed save (it remembers a document without the key). The retry must be answered with
     * the first result and write nothing.
     */
    @Test
    void aRequestKeyRetriedOnAnInstanceThatRemembersTheDocumentWithoutTheKeyIsADuplicate() {
        a.save(new Product("p2", "one", 1));
        b.read("p2");
        clock.advance(Duration.ofSeconds(1));
        WriteResult first = a.save(new Product("p2", "order", 2), WriteOptions.builder().requestKey("req-1").build());
        settle();
        clock.advance(Duration.ofSeconds(1));
        WriteResult retry = b.save(new Product("p2", "order", 2), WriteOptions.builder().requestKey("req-1").build());
        assertTrue(retry.duplicate(), "the retry is recognised");
        assertEquals(first.version(), retry.version());
        assertEquals(first.version(), storeB.read("p2").orElseThrow().version(), "nothing written again");
    }

    /**
     * p3's first version was committed and its process died (nothing delivered). Once it is due, B's recovery claims
     * and delivers it while A's save of the next version is on its way (A writes on the revision it remembers, which
     * the claim moved on). The sink must end at A's version and nothing stay pending.
     */
    @Test
    void recoveryOnAnotherInstanceClaimingTheEntityWhileASaveIsInFlightConverges() {
        Fixture.commitAndDie(storeA, clock, new Product("p3", "one", 1), List.of("search"));
        clock.advance(Duration.ofMinutes(2));
        hooks.first("replaceOne", () -> {
            b.operations().recoverDue();
            b.operations().flushAcknowledgements();
        });
        WriteResult mine = a.save(new Product("p3", "two", 2));
        assertTrue(hooks.done());
        settle();
        assertEquals(mine.version(), sinks.get("search").versionOf("p3").orElse(-1));
        Fixture.recoverAll(b, storeB, clock);
        Fixture.assertConverged(storeB, "p3", sinks);
    }

    /** expectedVersion on an instance whose remembered revision is stale is decided on the document as it is. */
    @Test
    void expectedVersionIsCheckedAgainstTheDocumentNotAStaleRememberedRevision() {
        long v1 = a.save(new Product("p4", "one", 1)).version();
        long v2 = b.save(new Product("p4", "two", 2)).version();
        assertThrows(VersionConflictException.class, () -> a.save(new Product("p4", "stale", 3),
                WriteOptions.builder().expectedVersion(v1).build()));
        assertEquals(v2, storeB.read("p4").orElseThrow().version(), "nothing written");
        WriteResult ok = a.save(new Product("p4", "fresh", 4), WriteOptions.builder().expectedVersion(v2).build());
        assertEquals(v2 + 1, ok.version());
    }

    /**
     * A direct update made with DualWriteFilters.touch() (as documented) between A's save and A's next save: the next
     * save's before-image must be what the primary held, the directly updated content.
     */
    @Test
    void aTouchedDirectUpdateIsSeenByTheInstanceThatRemembersTheDocument() {
        a.save(new Product("p5", "one", 1));
        products.updateOne(Filters.eq("_id", "p5"), Updates.combine(Updates.set("price", 99L),
                DualWriteFilters.touch()));
        a.save(new Product("p5", "two", 2));
        assertEquals("two", storeB.read("p5").orElseThrow().state().orElseThrow().getName());
    }

    /**
     * The application keeps a unique index on an entity field (a SKU). A tombstone has none of the entity's fields, so
     * for a plain unique index it holds null and a second tombstone is refused as a duplicate key: docs/mongodb.md
     * asks for a sparse index (or a partial one on the field's presence), under which deletes of any number of
     * entities are written. (The in-JVM server keeps sparse indexes; it does not apply a partial filter.)
     */
    @Test
    void deletesOfTwoEntitiesUnderAnApplicationsSparseUniqueIndexAreBothWritten() {
        products.createIndex(Indexes.ascending("name"), new IndexOptions().unique(true).sparse(true));
        a.save(new Product("u1", "kettle", 1));
        a.save(new Product("u2", "teapot", 2));
        assertTrue(a.delete("u1").written(), "the first delete is written");
        assertTrue(a.delete("u2").written(), "the second delete is written: tombstones are outside the index");
        a.save(new Product("u3", "mug", 3));
        assertThrows(io.dualwrite.PrimaryWriteException.class, () -> a.save(new Product("u4", "mug", 4)),
                "the index still refuses a second live entity with the same name");
    }

    /** A sink that can be switched off (transient failures), holding what it applies in an InMemorySink. */
    static final class Switchable implements io.dualwrite.spi.Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        volatile boolean down;

        @Override
        public io.dualwrite.spi.ApplyResult apply(io.dualwrite.Change<Product> change) throws Exception {
            if (down) {
                throw new io.dualwrite.spi.SinkException("scripted: down", io.dualwrite.ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        }
    }

    /**
     * A delivers p6's first version; its acknowledgement waits in the batch. Just before the batch is written, B saves
     * p6 again while the sink is down (its intent for the new version stays). The batch must not remove B's intent,
     * and recovery must bring the sink to B's version.
     */
    @Test
    void anAcknowledgementBatchRacingASaveOnAnotherInstanceNeverRemovesTheNewerIntent() {
        Switchable search = new Switchable();
        DualWriter<Product> a2 = Fixture.writer(storeA, new InMemoryDeadLetterStore(), clock, "A2", Map.of())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
        DualWriter<Product> b2 = Fixture.writer(storeB, new InMemoryDeadLetterStore(), clock, "B2", Map.of())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
        long[] theirs = new long[1];
        hooks.first("bulkWrite", () -> {
            search.down = true;
            theirs[0] = b2.save(new Product("p6", "two", 2)).version();
            search.down = false;
        });
        long v1 = a2.save(new Product("p6", "one", 1)).version();
        a2.operations().flushAcknowledgements();
        assertTrue(hooks.done(), "B's save came in between");
        assertEquals(v1 + 1, theirs[0]);
        assertEquals(theirs[0], storeB.read("p6").orElseThrow().pending().get("search").version(),
                "B's intent is still pending after A's acknowledgement of v1");
        Fixture.recoverAll(b2, storeB, clock);
        assertEquals(theirs[0], search.target.versionOf("p6").orElse(-1), "the sink reaches B's version");
        long v3 = a2.save(new Product("p6", "three", 3)).version();
        assertEquals(theirs[0] + 1, v3, "A, which remembered p6 at v1 (and learnt its acknowledgement), writes on top");
    }

    /** A sink that sends a batch in one call and throws an Error for one poison entity, alone or in a batch. */
    static final class PoisonBatchSink implements io.dualwrite.spi.Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();

        @Override
        public io.dualwrite.spi.ApplyResult apply(io.dualwrite.Change<Product> change) throws Exception {
            if (change.id().equals("poison")) {
                throw new AssertionError("scripted: poison");
            }
            return target.apply(change);
        }

        @Override
        public List<BatchItem> applyAll(List<io.dualwrite.Change<Product>> changes) {
            if (changes.stream().anyMatch(c -> c.id().equals("poison"))) {
                throw new AssertionError("scripted: poison in the batch");
            }
            return target.applyAll(changes);
        }

        @Override
        public boolean appliesAllInOneCall() {
            return true;
        }
    }

    /**
     * Recovery on the Mongo store claims three entities at once and sends them in one batch call; the sink throws an
     * Error for the batch because of one poison entity. The poison entity is dead-lettered alone, the others are
     * delivered, nothing stays pending and no lease is left behind.
     */
    @Test
    void anErrorFromABatchSinkForOnePoisonEntityBlocksNoOtherInTheClaim() {
        PoisonBatchSink sink = new PoisonBatchSink();
        InMemoryDeadLetterStore dead = new InMemoryDeadLetterStore();
        DualWriter<Product> w = Fixture.writer(storeA, dead, clock, "W", Map.of())
                .sink("search", sink, Fixture.ONE_ATTEMPT).build();
        for (String id : List.of("q1", "poison", "q2")) {
            Fixture.commitAndDie(storeA, clock, new Product(id, id, 1), List.of("search"));
        }
        clock.advance(Duration.ofMinutes(2));
        w.operations().recoverDue();
        w.operations().flushAcknowledgements();
        assertTrue(sink.target.get("q1").isPresent() && sink.target.get("q2").isPresent(), "the others are delivered");
        assertEquals(1, dead.count(), "the poison entity is dead-lettered alone");
        assertEquals(0, storeA.pendingCount(), "nothing stays pending");
        assertEquals(0, products.countDocuments(Filters.exists("_dw.leaseOwner")), "no lease is left behind");
    }
}
