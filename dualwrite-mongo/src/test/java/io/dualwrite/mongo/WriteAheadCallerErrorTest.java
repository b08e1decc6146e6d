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
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write-ahead store when the caller's lambda throws an Error after its write landed, and after a lost closing reply. */
class WriteAheadCallerErrorTest extends ScriptedWriteAheadFixture {
    /**
     * A short-turn saveReturning whose lambda's write lands, then the lambda throws an Error: the caller gets the
     * Error, the turn ends at once, a later save goes above the landed write, and recovery delivers.
     */
    @Test
    void aSaveReturningWhoseLambdaThrowsAnErrorAfterItsWriteLanded() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofMillis(200))) {
            saveReturning(a, "e1", "NEW");
            long paid = saveReturning(a, "e1", "PAID").version();
            assertThrows(AssertionError.class, () -> a.saveReturning("e1", () -> {
                orders.findOneAndUpdate(Filters.eq("_id", "e1"), Updates.combine(Updates.set("status", "SHIPPED"),
                        Updates.inc("version", 1L)), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
                throw new AssertionError("the caller's code fails after its write landed");
            }));
            assertEquals("PAID", search.get("e1").orElseThrow().getStatus(), "nothing delivered on the caller's path");
            WriteResult next = saveReturning(a, "e1", "DELIVERED"); // does not wait for a turn the Error kept
            assertEquals(paid + 2, next.version(), "above the write that landed before the Error");
            assertConverged("e1", a);
            assertEquals("DELIVERED", search.get("e1").orElseThrow().getStatus());
        }
    }

    /** The same with no later save: recovery delivers the state the Error's write left. */
    @Test
    void aSaveReturningWhoseLambdaThrowsAnErrorAfterItsWriteLandedIsDeliveredByRecovery() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofMillis(200))) {
            saveReturning(a, "e2", "NEW");
            saveReturning(a, "e2", "PAID");
            assertThrows(StackOverflowError.class, () -> a.saveReturning("e2", () -> {
                orders.findOneAndUpdate(Filters.eq("_id", "e2"), Updates.combine(Updates.set("status", "SHIPPED"),
                        Updates.inc("version", 1L)), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
                throw new StackOverflowError();
            }));
            assertConverged("e2", a);
            assertEquals("SHIPPED", search.get("e2").orElseThrow().getStatus());
        }
    }

    /** A deleteWith whose lambda deletes, then throws an Error: recovery delivers the delete; a re-creation goes above. */
    @Test
    void aDeleteWhoseLambdaThrowsAnErrorAfterItsDeleteLanded() {
        try (DualWriter<Order> a = writer("A", false, Duration.ofMillis(200))) {
            saveReturning(a, "e3", "NEW");
            long paid = saveReturning(a, "e3", "PAID").version();
            assertThrows(NoClassDefFoundError.class, () -> a.deleteWith("e3", () -> {
                orders.deleteOne(Filters.eq("_id", "e3"));
                throw new NoClassDefFoundError("after the delete");
            }));
            assertConverged("e3", a);
            WriteResult again = saveReturning(a, "e3", "AGAIN");
            assertTrue(again.version() > paid + 1, "the re-creation goes above the delete: " + again);
            assertConverged("e3", a);
        }
    }

    /**
     * A short-turn saveReturning whose last command lands with its reply lost; before its intent is kept, another
     * instance saves; then the first instance saves again with what it remembers now stale. Every save gets a
     * version above the one before, and the sink ends at the primary.
     */
    @Test
    void aLostFinishReplyThenAnotherInstanceThenAStaleMemory() {
        try (DualWriter<Order> a = writer("A", true, Duration.ofMillis(200));
             DualWriter<Order> b = writer("B", false, Duration.ofMillis(200))) {
            saveReturning(a, "e4", "NEW");
            long paid = saveReturning(a, "e4", "PAID").version();
            a.operations().flushAcknowledgements();
            long[] bVersion = new long[1];
            script.first("bulkWrite", () -> { }).landThenLoseReply("bulkWrite",
                    () -> bVersion[0] = saveReturning(b, "e4", "B").version());
            assertThrows(PrimaryWriteException.class, () -> saveReturning(a, "e4", "LOST"));
            assertTrue(script.done());
            assertEquals(paid + 2, bVersion[0], "B's save follows the landed write");
            assertEquals("B", search.get("e4").orElseThrow().getStatus());
            WriteResult last = saveReturning(a, "e4", "LAST");
            assertEquals(bVersion[0] + 1, last.version());
            assertConverged("e4", a, b);
            assertEquals("LAST", search.get("e4").orElseThrow().getStatus());
        }
    }
}
