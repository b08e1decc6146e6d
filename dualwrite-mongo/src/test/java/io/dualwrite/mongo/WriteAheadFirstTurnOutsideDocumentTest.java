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

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first save of an entity whose record its first command creates, over a document written outside the store
 * (one with a version field above the commit time; an outside write before the read-back), and with reads, deletes
 * and caller writes of unknown outcome racing it; each beside the same steps on the long way.
 */
class WriteAheadFirstTurnOutsideDocumentTest extends ScriptedWriteAheadFixture {


    private void insertOutside(String id, long field) {
        Order old = new Order(id, "OLD");
        old.setVersion(field);
        orders.insertOne(old);
    }

    /** The caller's save re-creates the document at version field 0 (as a TTL delete and an insert would). */
    private WriteResult recreateAtZero(DualWriter<Order> w, String id) {
        return w.saveWith(id, () -> {
            Order fresh = new Order(id, "FRESH");
            fresh.setVersion(0L);
            orders.replaceOne(Filters.eq("_id", id), fresh);
        });
    }

    /**
     * A document written outside the store with a version field above the commit time in microseconds (a
     * timestamp-like version scheme); a repair delivers it at 1 + field. The first save through the store re-creates
     * it at version field 0: the long path reads the field first and moves the base above (control below); the first
     * turn does not read, so its version is the commit time, below what the sink holds, and the sink keeps OLD.
     */
    @Test
    void firstTurnOverAnOutsideDocumentWithAHugeVersionFieldGoesBelowWhatTheSinkHolds() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            insertOutside("h1", 5_000_000_000_000_000L);
            b.operations().redeliver("search", List.of("h1"));
            long delivered = search.versionOf("h1").orElseThrow();
            leanNew(a, "lean");
            WriteResult fresh = recreateAtZero(a, "h1");
            assertConverged("h1", a, b);
            assertTrue(fresh.version() > delivered, "versions only grow: the sink holds " + delivered
                    + ", the save made " + fresh.version());
        }
    }

    @Test
    void controlWithoutTheGuessAnOutsideDocumentWithAHugeVersionFieldStaysAbove() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            insertOutside("h2", 5_000_000_000_000_000L);
            b.operations().redeliver("search", List.of("h2"));
            long delivered = search.versionOf("h2").orElseThrow();
            WriteResult fresh = recreateAtZero(a, "h2");
            assertTrue(fresh.version() > delivered, "versions only grow: the sink holds " + delivered
                    + ", the save made " + fresh.version());
            assertConverged("h2", a, b);
        }
    }

    /** A read and a repair of the entity while its first turn is held, after the caller's write landed. */
    @Test
    void aReadAndARepairDuringTheFirstTurnNeverDeliverAnotherStateAtTheSavesVersion() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(50))) {
            insertOutside("r1", 3);
            b.operations().redeliver("search", List.of("r1"));
            leanNew(a, "lean");
            AtomicReference<Object> seen = new AtomicReference<>();
            WriteResult paid = a.saveWith("r1", () -> {
                orders.updateOne(Filters.eq("_id", "r1"), Updates.combine(Updates.set("status", "PAID"),
                        Updates.inc("version", 1L)));
                try {
                    seen.set(b.operations().snapshot("r1"));
                } catch (RuntimeException e) {
                    seen.set(e);
                }
                try {
                    b.operations().redeliver("search", List.of("r1"));
                } catch (RuntimeException e) {
                    // busy: fine
                }
            });
            if (seen.get() instanceof Optional<?> o && o.isPresent()) {
                Snapshot<?> s = (Snapshot<?>) o.get();
                assertEquals(paid.version(), s.version(), "a read during the turn: " + s);
            }
            assertTrue(paid.fullyApplied(), "delivered: " + paid);
            assertConverged("r1", a, b);
        }
    }

    /** The caller's write lands, then throws (its own failure, not an unknown outcome). */
    @Test
    void aCallerWriteThatLandsThenThrowsInTheFirstTurnIsDeliveredByRecovery() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            insertOutside("t1", 3);
            b.operations().redeliver("search", List.of("t1"));
            long before = search.versionOf("t1").orElseThrow();
            leanNew(a, "lean");
            assertThrows(RuntimeException.class, () -> a.saveWith("t1", () -> {
                orders.updateOne(Filters.eq("_id", "t1"), Updates.combine(Updates.set("status", "PAID"),
                        Updates.inc("version", 1L)));
                throw new IllegalStateException("the application fails after its write landed");
            }));
            assertConverged("t1", a, b);
            assertTrue(search.versionOf("t1").orElseThrow() > before);
            assertEquals("PAID", search.get("t1").orElseThrow().getStatus());
        }
    }

    /** A delete of the same id on another instance waits for the first turn, then goes above the save. */
    @Test
    void aDeleteRacingTheFirstSaveGoesAboveIt() throws Exception {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            leanNew(a, "lean");
            AtomicReference<CompletableFuture<WriteResult>> del = new AtomicReference<>();
            WriteResult created = a.saveWith("d1", () -> {
                del.set(CompletableFuture.supplyAsync(() -> delete(b, "d1")));
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                orders.updateOne(Filters.eq("_id", "d1"), Updates.combine(Updates.set("status", "NEW"),
                        Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
            });
            WriteResult deleted = del.get().get(10, TimeUnit.SECONDS);
            assertTrue(deleted.version() > created.version(), created + " then " + deleted);
            assertConverged("d1", a, b);
        }
    }

    /** The caller's write fails without a reply after landing: the first turn is kept for its lease. */
    @Test
    void aCallerWriteWithAnUnknownOutcomeInTheFirstTurnIsDeliveredByRecovery() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5));
             DualWriter<Order> b = writer("B", false, Duration.ofSeconds(5))) {
            leanNew(a, "lean");
            assertThrows(RuntimeException.class, () -> a.saveWith("u1", () -> {
                orders.updateOne(Filters.eq("_id", "u1"), Updates.combine(Updates.set("status", "NEW"),
                        Updates.inc("version", 1L)), new UpdateOptions().upsert(true));
                throw lostReply();
            }));
            clock.advance(Duration.ofMinutes(2));
            WriteResult next = save(b, "u1", "PAID");
            assertTrue(next.fullyApplied(), "delivered: " + next);
            assertConverged("u1", a, b);
        }
    }

    /**
     * guarantees.md: a write-ahead save whose version the store cannot prove (code outside the coordinator wrote the
     * document between the caller's write and the read-back) says {@code versionKnown() == false}. Over a document
     * written outside the store, the first turn does not read the version field before the caller's write, so it
     * cannot see that the field grew by two, and claims the outside write's version as the save's own.
     */
    @Test
    void firstTurnOverAnOutsideDocumentClaimsAVersionItCannotProve() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("k1", 3);
            leanNew(a, "lean");
            WriteResult paid = outsideWriteAfterTheCallers(a, "k1");
            assertTrue(!paid.versionKnown(), "the save's version " + paid.version() + " is the outside write's (status "
                    + orders.find(Filters.eq("_id", "k1")).first().getStatus() + "), not provably the save's: " + paid);
        }
    }

    @Test
    void controlWithoutTheGuessAnUnprovableVersionIsSaidSo() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("k2", 3);
            WriteResult paid = outsideWriteAfterTheCallers(a, "k2");
            assertTrue(!paid.versionKnown(), "not provably the save's: " + paid);
        }
    }

    private WriteResult outsideWriteAfterTheCallers(DualWriter<Order> w, String id) {
        return w.saveWith(id, () -> {
            orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "PAID"),
                    Updates.inc("version", 1L)));
            // code outside the coordinator writes the document before the store reads it back
            orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "OUTSIDE"),
                    Updates.inc("version", 1L)));
        });
    }
}
