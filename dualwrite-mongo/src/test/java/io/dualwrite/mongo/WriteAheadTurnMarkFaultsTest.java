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

import com.mongodb.MongoSocketOpenException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.PrimaryWriteException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The turn mark under Errors instead of exceptions (from the caller's write and from the store's own commands),
 * clocks that disagree, two instances saving at once, documents the codec cannot read or whose version field is not a
 * number, and recovery between a failed last command and the next save.
 */
class WriteAheadTurnMarkFaultsTest extends ScriptedWriteAheadFixture {
    /** A non-fatal Error thrown by a scripted command. */
    static final class ScriptedError extends Error {
        private static final long serialVersionUID = 1L;

        ScriptedError(String m) {
            super(m);
        }
    }

    /** method name, and whether the Error comes after the command landed */
    record ErrorStep(String method, boolean afterLanding) {
    }

    /** A collection that throws an Error around the next scripted commands (others pass). */
    static final class ErrorCollection {
        final ConcurrentLinkedQueue<Object> steps = new ConcurrentLinkedQueue<>(); // ErrorStep or String (skip one)

        @SuppressWarnings("unchecked")
        <D> MongoCollection<D> wrap(MongoCollection<D> target) {
            return (MongoCollection<D>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{MongoCollection.class}, (proxy, method, args) -> {
                        Object step = steps.peek();
                        String m = step instanceof ErrorStep e ? e.method() : (String) step;
                        boolean hit = step != null && m.equals(method.getName()) && steps.remove(step);
                        if (hit && step instanceof ErrorStep e && !e.afterLanding()) {
                            throw new ScriptedError("scripted Error before " + m);
                        }
                        Object r;
                        try {
                            r = method.invoke(target, args);
                        } catch (InvocationTargetException x) {
                            throw x.getCause();
                        }
                        if (r instanceof MongoCollection) {
                            return wrap((MongoCollection<Object>) r);
                        }
                        if (hit && step instanceof ErrorStep e && e.afterLanding()) {
                            throw new ScriptedError("scripted Error after " + m + " landed");
                        }
                        return r;
                    });
        }
    }

    /** Refuses every n-th bulkWrite (counted per collection wrapper) while {@code on}. */
    static <D> MongoCollection<D> refusingEvery(MongoCollection<D> target, int n, AtomicInteger count, AtomicBoolean on) {
        @SuppressWarnings("unchecked")
        MongoCollection<D> c = (MongoCollection<D>) Proxy.newProxyInstance(WriteAheadTurnMarkFaultsTest.class.getClassLoader(),
                new Class<?>[]{MongoCollection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("bulkWrite") && on.get() && count.incrementAndGet() % n == 0) {
                        throw new MongoSocketOpenException("scripted: every " + n + "th bulkWrite refused",
                                new ServerAddress());
                    }
                    Object r;
                    try {
                        r = method.invoke(target, args);
                    } catch (InvocationTargetException x) {
                        throw x.getCause();
                    }
                    if (r instanceof MongoCollection) {
                        return refusingEvery((MongoCollection<Object>) r, n, count, on);
                    }
                    return r;
                });
        return c;
    }

    private DualWriter<Order> writer(String name, boolean scripted) {
        return writer(name, scripted, Duration.ofSeconds(5));
    }

    private DualWriter<Order> writerOn(String name, MongoCollection<BsonDocument> intentColl, MutableClock c) {
        MongoWriteAheadStore<Order> store = MongoWriteAheadStore.builder(db, orders).versionField("version")
                .intentCollection(intentColl).writeLease(Duration.ofMinutes(1), Duration.ofSeconds(5)).clock(c).build();
        return DualWriter.<Order>builder().entityType("order").clock(c).workerId(name).primary(store)
                .deadLetterStore(new InMemoryDeadLetterStore()).gracePeriod(Fixture.GRACE)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .sink("search", search, Fixture.ONE_ATTEMPT).build();
    }

    private void landed(String id, String status) {
        orders.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", status), Updates.inc("version", 1L)));
    }

    private void ownState(DualWriter<Order> w, String id, String status, String context) {
        String before = "record before: " + record(id) + ", doc " + raw.find(Filters.eq("_id", id)).first();
        WriteResult r = returningBeforeImage(w, id, status);
        assertEquals(status, search.get(id).orElseThrow().getStatus(), "the save's own state reached the sink: " + r
                + " (" + context + "; " + before + ")");
    }

    // ---------------------------------------------------------------- 1. Errors

    /** Caller's write lands then throws AssertionError (A's short turn); A then saves returning a before-image. */
    @Test
    void aCallersAssertionErrorAfterItsWriteLandedSameInstance() {
        try (DualWriter<Order> a = writer("A", false)) {
            save(a, "e1", "S1");
            save(a, "e1", "S2");
            a.operations().flushAcknowledgements();
            assertThrows(AssertionError.class, () -> a.saveWith("e1", () -> {
                landed("e1", "S3");
                throw new AssertionError("the caller's own assertion after its write landed");
            }));
            assertEquals(3, field("e1"));
            ownState(a, "e1", "S4", "after an AssertionError");
            assertConverged("e1", a);
        }
    }

    /** A's caller's write lands then throws StackOverflowError; B (remembering last=2) saves returning a before-image. */
    @Test
    void aCallersStackOverflowAfterItsWriteLandedThenTheRememberingInstance() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "e2", "S1");
            save(b, "e2", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertThrows(StackOverflowError.class, () -> a.saveWith("e2", () -> {
                landed("e2", "S3");
                throw new StackOverflowError();
            }));
            assertEquals(3, field("e2"));
            ownState(b, "e2", "S4", "after a StackOverflowError");
            ownState(a, "e2", "S5", "A after");
            assertConverged("e2", a, b);
        }
    }

    /** The finish bulkWrite throws an Error before it is sent: A then B save before-images. */
    @Test
    void anErrorOnTheFinishBeforeItIsSent() {
        ErrorCollection errors = new ErrorCollection();
        try (DualWriter<Order> a = writerOn("A", errors.wrap(intents), clock); DualWriter<Order> b = writer("B", false)) {
            save(a, "e3", "S1");
            save(b, "e3", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            errors.steps.add("bulkWrite"); // A's short turn (does not match)
            errors.steps.add(new ErrorStep("bulkWrite", false));
            assertThrows(ScriptedError.class, () -> save(a, "e3", "S3"));
            assertTrue(errors.steps.isEmpty());
            assertEquals(3, field("e3"));
            String between = "record between " + record("e3");
            ownState(b, "e3", "S4", between);
            ownState(a, "e3", "S5", "A after");
            assertConverged("e3", a, b);
        }
    }

    /** Same instance: A's own short turn, finish throws an Error before it is sent, then A's before-image. */
    @Test
    void anErrorOnTheFinishBeforeItIsSentSameInstance() {
        ErrorCollection errors = new ErrorCollection();
        try (DualWriter<Order> a = writerOn("A", errors.wrap(intents), clock)) {
            save(a, "e4", "S1");
            save(a, "e4", "S2");
            a.operations().flushAcknowledgements();
            errors.steps.add("bulkWrite"); // A's short turn (matches)
            errors.steps.add(new ErrorStep("bulkWrite", false));
            assertThrows(ScriptedError.class, () -> save(a, "e4", "S3"));
            assertTrue(errors.steps.isEmpty());
            ownState(a, "e4", "S4", "record between " + record("e4"));
            assertConverged("e4", a);
        }
    }

    /** The finish lands, then an Error instead of its reply. */
    @Test
    void anErrorAfterTheFinishLanded() {
        ErrorCollection errors = new ErrorCollection();
        try (DualWriter<Order> a = writerOn("A", errors.wrap(intents), clock); DualWriter<Order> b = writer("B", false)) {
            save(a, "e7", "S1");
            save(b, "e7", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            errors.steps.add("bulkWrite");
            errors.steps.add(new ErrorStep("bulkWrite", true));
            assertThrows(ScriptedError.class, () -> save(a, "e7", "S3"));
            String between = "record between " + record("e7");
            ownState(b, "e7", "S4", between);
            ownState(a, "e7", "S5", "A after");
            assertConverged("e7", a, b);
        }
    }

    /** The finish throws an Error before it is sent; the endTurn after it throws an Error too. */
    @Test
    void anErrorOnTheFinishAndOnTheEndTurn() {
        ErrorCollection errors = new ErrorCollection();
        try (DualWriter<Order> a = writerOn("A", errors.wrap(intents), clock); DualWriter<Order> b = writer("B", false)) {
            save(a, "e5", "S1");
            save(b, "e5", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            errors.steps.add("bulkWrite");
            errors.steps.add(new ErrorStep("bulkWrite", false));
            errors.steps.add(new ErrorStep("updateOne", false)); // the endTurn in commit's finally
            assertThrows(ScriptedError.class, () -> save(a, "e5", "S3"));
            String between = "record between " + record("e5");
            clock.advance(Duration.ofMinutes(2));
            ownState(b, "e5", "S4", between);
            ownState(a, "e5", "S5", "A after");
            assertConverged("e5", a, b);
        }
    }

    /** A's short turn command lands and an Error replaces its reply (before the try/finally of commit). */
    @Test
    void anErrorAfterTheShortTurnLanded() {
        ErrorCollection errors = new ErrorCollection();
        try (DualWriter<Order> a = writerOn("A", errors.wrap(intents), clock); DualWriter<Order> b = writer("B", false)) {
            save(b, "e6", "S1");
            save(a, "e6", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            errors.steps.add(new ErrorStep("bulkWrite", true));
            assertThrows(ScriptedError.class, () -> save(a, "e6", "S3"));
            String between = "record between " + record("e6");
            clock.advance(Duration.ofMinutes(2));
            ownState(a, "e6", "S4", between);
            ownState(b, "e6", "S5", "B after");
            assertConverged("e6", a, b);
        }
    }

    // ---------------------------------------------------------------- 2. clocks

    /** A's clock 40 s ahead; A's last command refused (and every command after); B saves after B's clock passes the lease. */
    @Test
    void aFailedLastCommandOnTheInstanceAhead() {
        MutableClock ahead = new MutableClock(Fixture.START.plus(Duration.ofSeconds(40)));
        try (DualWriter<Order> a = writerOn("A", script.wrap(intents), ahead); DualWriter<Order> b = writer("B", false)) {
            save(a, "c1", "S1");
            save(b, "c1", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite").refuse("bulkWrite").refuse("updateOne");
            assertThrows(PrimaryWriteException.class, () -> save(a, "c1", "S3"));
            assertTrue(script.done());
            String between = "record between " + record("c1");
            clock.advance(Duration.ofSeconds(110));
            ahead.advance(Duration.ofSeconds(110));
            ownState(b, "c1", "S4", between);
            assertConverged("c1", b, a);
        }
    }

    /** A's clock 40 s behind; A's last command refused (and all after); B saves once its clock passes A's lease. */
    @Test
    void aFailedLastCommandOnTheInstanceBehind() {
        MutableClock behind = new MutableClock(Fixture.START.minus(Duration.ofSeconds(40)));
        try (DualWriter<Order> a = writerOn("A", script.wrap(intents), behind); DualWriter<Order> b = writer("B", false)) {
            save(a, "c2", "S1");
            save(b, "c2", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite").refuse("bulkWrite").refuse("updateOne");
            assertThrows(PrimaryWriteException.class, () -> save(a, "c2", "S3"));
            assertTrue(script.done());
            String between = "record between " + record("c2");
            clock.advance(Duration.ofSeconds(25)); // past A's lease on B's clock only
            behind.advance(Duration.ofSeconds(25));
            ownState(b, "c2", "S4", between);
            assertConverged("c2", b, a);
        }
    }

    // ---------------------------------------------------------------- 3. real threads

    @Test
    void twoInstancesSavingConcurrentlyOneRefusingEverySeventhBulkWrite() throws Exception {
        AtomicInteger count = new AtomicInteger();
        AtomicBoolean refusing = new AtomicBoolean(true);
        try (DualWriter<Order> a = writerOn("A", refusingEvery(intents, 7, count, refusing), clock);
             DualWriter<Order> b = writer("B", false)) {
            save(a, "t1", "S0");
            List<DualWriter<Order>> ws = List.of(a, b);
            List<CompletableFuture<List<String>>> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                DualWriter<Order> w = ws.get(t);
                int tt = t;
                threads.add(CompletableFuture.supplyAsync(() -> {
                    List<String> problems = new ArrayList<>();
                    long last = Long.MIN_VALUE;
                    for (int i = 0; i < 50; i++) {
                        try {
                            WriteResult r = save(w, "t1", "T" + tt + "-" + i);
                            if (r.version() <= last) {
                                problems.add("thread " + tt + " save " + i + " at " + r.version() + " after " + last);
                            }
                            last = r.version();
                        } catch (RuntimeException e) {
                            // failed saves are allowed
                        }
                    }
                    return problems;
                }));
            }
            List<String> problems = new ArrayList<>();
            for (CompletableFuture<List<String>> f : threads) {
                problems.addAll(f.get(120, TimeUnit.SECONDS));
            }
            assertEquals(List.of(), problems, "versions grow on each thread");
            refusing.set(false); // the saves below check what the refusals left, and must not meet one themselves
            String between = "record " + record("t1") + ", field " + field("t1");
            ownState(a, "t1", "RA", between);
            ownState(b, "t1", "RB", between);
            assertConverged("t1", a, b);
        }
    }

    // ---------------------------------------------------------------- 4. poison documents

    /** A's caller's write leaves the version field a string; fixed from outside at the number it meant; B, then A. */
    @Test
    void aPoisonVersionFieldFromTheCallersWriteThenFixed() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "p1", "S1");
            save(b, "p1", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertThrows(RuntimeException.class, () -> a.saveWith("p1", () -> raw.updateOne(Filters.eq("_id", "p1"),
                    Updates.combine(Updates.set("status", "S3"), Updates.set("version", new BsonString("3"))))));
            assertThrows(RuntimeException.class, () -> b.read("p1"));
            raw.updateOne(Filters.eq("_id", "p1"), Updates.set("version", 3L));
            ownState(b, "p1", "S4", "record between " + record("p1"));
            ownState(a, "p1", "S5", "A after");
            assertConverged("p1", a, b);
        }
    }

    /** A's caller's write leaves status of the wrong type (the codec fails); fixed from outside; B, then A. */
    @Test
    void aPoisonStatusFromTheCallersWriteThenFixed() {
        try (DualWriter<Order> a = writer("A", false); DualWriter<Order> b = writer("B", false)) {
            save(a, "p2", "S1");
            save(b, "p2", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            assertThrows(RuntimeException.class, () -> a.saveWith("p2", () -> raw.updateOne(Filters.eq("_id", "p2"),
                    Updates.combine(Updates.set("status", new BsonDocument("x", new BsonString("y"))),
                            Updates.inc("version", 1L)))));
            String between = "record between " + record("p2");
            raw.updateOne(Filters.eq("_id", "p2"), Updates.set("status", "S3"));
            ownState(b, "p2", "S4", between);
            ownState(a, "p2", "S5", "A after");
            assertConverged("p2", a, b);
        }
    }

    /**
     * A's last command refused (doc at 3, record at 2, marked). A read starts to have the record learn field 3; right
     * before its turn the document's version field is made a string from outside; the learning turn finds nothing
     * numeric to learn and ends its turn without the mark. The document is then fixed at 3 from outside: B (its
     * memory at 2, matching the record) takes the short turn.
     */
    @Test
    void aPoisonVersionFieldSeenByTheLearningTurnOfARead() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "p3");
            script.first("findOneAndUpdate", () -> raw.updateOne(Filters.eq("_id", "p3"),
                    Updates.set("version", new BsonString("3"))));
            assertThrows(RuntimeException.class, () -> a.read("p3"));
            assertTrue(script.done());
            String between = "record after the read " + record("p3");
            raw.updateOne(Filters.eq("_id", "p3"), Updates.set("version", 3L));
            ownState(b, "p3", "S5", between);
            assertConverged("p3", a, b);
        }
    }

    // ---------------------------------------------------------------- 5. recovery between

    @Test
    void recoveryOnTheFailingInstanceBeforeTheNextSave() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "r1");
            clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            a.operations().recoverDue();
            String between = "record after recovery " + record("r1") + ", sink " + search.get("r1");
            ownState(b, "r1", "S5", between);
            ownState(a, "r1", "S6", "A after");
            assertConverged("r1", a, b);
        }
    }

    @Test
    void recoveryOnTheRememberingInstanceBeforeTheNextSave() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            markedAheadOfTheRecord(a, b, "r2");
            clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
            b.operations().recoverDue();
            String between = "record after recovery " + record("r2") + ", sink " + search.get("r2");
            ownState(b, "r2", "S5", between);
            ownState(a, "r2", "S6", "A after");
            assertConverged("r2", a, b);
        }
    }

    /** Recovery (B) runs inside A's failing save, between A's caller's write and A's refused last command. */
    @Test
    void recoveryBetweenTheCallersWriteAndTheRefusedLastCommand() {
        try (DualWriter<Order> a = writer("A", true); DualWriter<Order> b = writer("B", false)) {
            save(a, "r3", "S1");
            save(b, "r3", "S2");
            a.operations().flushAcknowledgements();
            b.operations().flushAcknowledgements();
            script.first("bulkWrite", () -> { }).refuse("bulkWrite");
            assertThrows(PrimaryWriteException.class, () -> a.saveWith("r3", () -> {
                landed("r3", "S3");
                clock.advance(MongoWriteAheadStore.DEFAULT_SETTLE_TIME.plus(Duration.ofMinutes(1)));
                b.operations().recoverDue();
            }));
            String between = "record " + record("r3") + ", sink " + search.get("r3");
            ownState(b, "r3", "S5", between);
            ownState(a, "r3", "S6", "A after");
            assertConverged("r3", a, b);
        }
    }
}
