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

import io.dualwrite.DualWriter;
import io.dualwrite.WriteResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first save of an id the instance does not know, while it guesses ids are new, creates the record with its first
 * command and still reads the document before the caller's write: for a document written outside the store before
 * (no record), that read is what tells the store the version field before the save, which {@code saveReturning}
 * needs to refuse an entity returned "as it was before the save" (docs/mongodb.md: "a version field not above the
 * one before the save ... reads the document back"). Each case beside the same steps on the long way.
 */
class WriteAheadFirstTurnReturnedCopyTest extends ScriptedWriteAheadFixture {


    /** An outside document at version field 3; the caller's immutable-style save returns its input, one behind. */
    private WriteResult saveReturningInputOneBehind(DualWriter<Order> w, String id) {
        return saveReturningOtherThanStored(w, id, "PAID", 3L);
    }

    /** An outside document at version field 3; the caller returns a copy the primary never held. */
    private WriteResult saveReturningNeverStored(DualWriter<Order> w, String id) {
        return saveReturningOtherThanStored(w, id, "NEVER-STORED", 0L);
    }

    /** Stores PAID over the outside document (version field 3 to 4) and returns another entity than it stored. */
    private WriteResult saveReturningOtherThanStored(DualWriter<Order> w, String id, String status, long version) {
        OrderRepository repository = new OrderRepository(orders);
        return w.saveReturning(id, () -> {
            Order copy = new Order(id, "PAID");
            copy.setVersion(3L);
            repository.save(copy); // stored at version field 4
            Order returned = new Order(id, status);
            returned.setVersion(version);
            return returned;
        });
    }

    private void insertOutside(String id) {
        Order old = new Order(id, "OLD");
        old.setVersion(3L);
        orders.insertOne(old);
    }

    /** Control: the long path (the instance does not guess new) reads the version field first and reads back. */
    @Test
    void controlWithoutTheGuessAStaleReturnedInputIsReadBack() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("c1");
            WriteResult paid = saveReturningInputOneBehind(a, "c1");
            assertEquals(a.operations().snapshot("c1").orElseThrow().version(), paid.version(),
                    "the save's version is the one the primary holds");
            assertConverged("c1", a);
        }
    }

    /**
     * The first turn skips the read, so the store does not know the version field before the save: it takes the
     * returned input (field 3) for the saved entity and delivers it at base + 3, acknowledging the intent, while the
     * primary holds field 4 (base + 4). The save's own version is never delivered: after recovery the sink is not at
     * the primary's version and nothing is pending.
     */
    @Test
    void firstTurnSaveReturningItsInputOneBehindOfAnOutsideDocumentLeavesTheSinkBehind() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("s1");
            leanNew(a, "lean");
            WriteResult paid = saveReturningInputOneBehind(a, "s1");
            assertTrue(paid.fullyApplied() && paid.versionKnown(), "delivered: " + paid);
            assertConverged("s1", a);
            long primary = a.operations().snapshot("s1").orElseThrow().version();
            assertEquals(primary, paid.version(), "the save reports the version the primary holds after it (returned "
                    + paid.version() + ", primary " + primary + ")");
        }
    }

    /**
     * The same with a returned copy the primary never held (status NEVER-STORED, version field 0): it reaches the
     * sink (promise 1: a sink is only ever sent a state the primary committed), and stays there after recovery.
     */
    @Test
    void firstTurnSaveReturningANeverStoredCopyOfAnOutsideDocumentDeliversAStateThePrimaryNeverHeld() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("s2");
            leanNew(a, "lean");
            saveReturningNeverStored(a, "s2");
            assertEquals("PAID", search.get("s2").orElseThrow().getStatus(),
                    "the sink holds only a state the primary committed");
            assertConverged("s2", a);
        }
    }

    /** Control for the above without the guess. */
    @Test
    void controlWithoutTheGuessANeverStoredCopyIsReadBack() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofSeconds(5))) {
            insertOutside("c2");
            saveReturningNeverStored(a, "c2");
            assertEquals("PAID", search.get("c2").orElseThrow().getStatus(),
                    "the sink holds only a state the primary committed");
            assertConverged("c2", a);
        }
    }
}
