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
package io.dualwrite.testkit.fault;

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.RecordingSink;
import io.dualwrite.testkit.TestItem;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultySinkTest {

    private static Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, (int) version)).correlationId("c").time(Instant.EPOCH).build();
    }

    private static List<Boolean> outcomes(FaultySink<TestItem> sink, int calls) {
        List<Boolean> out = new ArrayList<>();
        for (int i = 1; i <= calls; i++) {
            try {
                sink.apply(upsert("e" + i, i));
                out.add(true);
            } catch (Exception e) {
                out.add(false);
            }
        }
        return out;
    }

    @Test
    void failNextFailsExactlyThatManyCallsWithTheChosenKindBeforeTheDestination() throws Exception {
        InMemorySink<TestItem> inner = new InMemorySink<>();
        FaultySink<TestItem> sink = FaultySink.wrap(inner).failNext(2, ErrorKind.PERMANENT).build();
        for (int i = 0; i < 2; i++) {
            InjectedFaultException e = assertThrows(InjectedFaultException.class, () -> sink.apply(upsert("a", 5)),
                    "call " + i + " must fail");
            assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "the classifier must say the injected kind");
        }
        assertTrue(inner.versionOf("a").isEmpty(), "a failed call must not reach the destination");
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("a", 5)), "the third call must pass");
        assertEquals(2, sink.injected(Fault.FAIL_NEXT), "two fail-next faults must be counted");
    }

    @Test
    void theSameSeedMakesTheSameDecisionsAndToStringShowsIt() {
        List<Boolean> a = outcomes(FaultySink.wrap(new InMemorySink<TestItem>()).seed(42)
                .failProbability(0.3, ErrorKind.TRANSIENT).build(), 300);
        List<Boolean> b = outcomes(FaultySink.wrap(new InMemorySink<TestItem>()).seed(42)
                .failProbability(0.3, ErrorKind.TRANSIENT).build(), 300);
        List<Boolean> c = outcomes(FaultySink.wrap(new InMemorySink<TestItem>()).seed(43)
                .failProbability(0.3, ErrorKind.TRANSIENT).build(), 300);
        assertEquals(a, b, "the same seed must fail the same calls");
        assertNotEquals(a, c, "another seed must fail other calls");
        long failures = a.stream().filter(ok -> !ok).count();
        assertTrue(failures > 60 && failures < 120, "about 30% of 300 calls must fail, failed " + failures);
        assertTrue(FaultySink.wrap(new InMemorySink<TestItem>()).seed(42).build().toString().contains("seed=42"),
                "toString must print the seed");
    }

    @Test
    void applyThenThrowAppliesTheChangeAndReportsAnUnknownOutcome() throws Exception {
        InMemorySink<TestItem> inner = new InMemorySink<>();
        FaultySink<TestItem> sink = FaultySink.wrap(inner).applyThenThrow(1.0).build();
        InjectedFaultException e = assertThrows(InjectedFaultException.class, () -> sink.apply(upsert("a", 7)));
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(e), "a lost acknowledgement is an unknown outcome");
        assertEquals(7, inner.versionOf("a").orElseThrow(), "the destination must hold the change whose ack was lost");
        assertEquals(1, sink.injected(Fault.APPLY_THEN_THROW), "the fault must be counted");
    }

    @Test
    void duplicateDeliversEveryChangeTwiceToTheDestination() throws Exception {
        RecordingSink<TestItem> recorder = new RecordingSink<>(new InMemorySink<>());
        FaultySink<TestItem> sink = FaultySink.wrap(recorder).duplicate(1.0).build();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("a", 3)), "the caller sees the first delivery's result");
        assertEquals(1, recorder.appliedCount("a", 3), "the version changed the destination once");
        assertEquals(1, recorder.ignoredCount("a", 3), "the duplicate reached the destination and was ignored");
    }

    @Test
    void poisonRejectsPermanentlyAndOutlivesHealUntilCleared() throws Exception {
        FaultySink<TestItem> sink = FaultySink.wrap(new InMemorySink<TestItem>()).failProbability(1.0, ErrorKind.TRANSIENT)
                .poison("bad").build();
        InjectedFaultException poison = assertThrows(InjectedFaultException.class, () -> sink.apply(upsert("bad", 1)));
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(poison), "poison is permanent");
        assertThrows(InjectedFaultException.class, () -> sink.apply(upsert("good", 1)), "every call fails before heal");
        sink.heal();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("good", 1)), "after heal a good entity passes");
        assertThrows(InjectedFaultException.class, () -> sink.apply(upsert("bad", 2)), "poison outlives heal");
        sink.clearPoison();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("bad", 2)), "a cleared poison passes");
        assertEquals(2, sink.injected(Fault.POISON), "two poison rejections must be counted");
    }

    @Test
    void aPoisonInTheMappingStageFailsBeforeAnythingIsSentAndInTheDryRunToo() throws Exception {
        RecordingSink<TestItem> recorder = new RecordingSink<>(new InMemorySink<>());
        FaultySink<TestItem> sink = FaultySink.wrap(recorder).poison("bad").poisonStage(PoisonStage.MAPPING).build();
        MappingException e = assertThrows(MappingException.class, () -> sink.apply(upsert("bad", 1)),
                "a poison in the mapping stage is a mapping failure");
        assertInstanceOf(InjectedFaultException.class, e.getCause(), "what the mapping threw is the cause");
        assertThrows(MappingException.class, () -> sink.validate(upsert("bad", 2)), "the dry run maps too");
        List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("a", 1), upsert("bad", 3), upsert("b", 1)));
        assertTrue(items.get(0).succeeded() && items.get(2).succeeded(), "the others pass");
        assertInstanceOf(MappingException.class, items.get(1).error(), "the poisoned item fails in mapping alone");
        assertEquals(1, sink.calls(), "only the batch of the two others was sent: " + sink);
        assertEquals(2, recorder.appliedCount(), "the two others reached the destination");
        assertEquals(0, recorder.failedCount(), "nothing of the poisoned entity reached the wrapped sink");
        assertEquals(3, sink.injected(Fault.POISON), "each mapping failure is counted as a poison");
    }

    @Test
    void aTimedOutCallStillReachesTheDestinationAfterTheCallerGaveUp() throws Exception {
        InMemorySink<TestItem> inner = new InMemorySink<>();
        FaultySink<TestItem> sink = FaultySink.wrap(inner).timeout(1.0, Duration.ofMillis(300)).build();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ApplyResult> call = pool.submit(() -> sink.apply(upsert("a", 9)));
            assertThrows(TimeoutException.class, () -> call.get(30, TimeUnit.MILLISECONDS),
                    "the call must outlast the caller's limit");
            call.cancel(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (inner.versionOf("a").isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(9, inner.versionOf("a").orElseThrow(), "the destination must take the change late");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, sink.injected(Fault.TIMEOUT), "the timeout must be counted");
    }

    @Test
    void aHeldCallIsOvertakenByALaterOne() throws Exception {
        List<Long> arrived = new CopyOnWriteArrayList<>();
        Sink<TestItem> logging = change -> {
            arrived.add(change.version());
            return ApplyResult.APPLIED;
        };
        FaultySink<TestItem> sink = FaultySink.wrap(logging).reorder(0.0, Duration.ofSeconds(10)).build();
        sink.holdNext(1);
        CompletableFuture<ApplyResult> held = CompletableFuture.supplyAsync(() -> {
            try {
                return sink.apply(upsert("a", 2));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sink.holding() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, sink.holding(), "the first call must be held");
        sink.apply(upsert("a", 1));
        held.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(1L, 2L), arrived, "the later call must reach the destination first");
        assertEquals(1, sink.injected(Fault.REORDER), "the reordering must be counted");
    }

    @Test
    void applyAllFailsPoisonedItemsAloneAndFailNextFailsTheWholeCall() {
        InMemorySink<TestItem> inner = new InMemorySink<>();
        FaultySink<TestItem> sink = FaultySink.wrap(inner).poison("bad").build();
        List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("a", 1), upsert("bad", 1), upsert("b", 1)));
        assertEquals(3, items.size(), "one result per change");
        assertTrue(items.get(0).succeeded() && items.get(2).succeeded(), "good items must pass");
        assertFalse(items.get(1).succeeded(), "the poisoned item must fail");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(items.get(1).error()), "poison is permanent");
        sink.failNext(1, ErrorKind.TRANSIENT);
        InjectedFaultException e = assertThrows(InjectedFaultException.class,
                () -> sink.applyAll(List.of(upsert("c", 1))), "fail-next must fail the whole call");
        assertEquals(ErrorKind.TRANSIENT, e.kind(), "with the chosen kind");
        assertTrue(inner.versionOf("c").isEmpty(), "a failed call must not reach the destination");
    }

    @Test
    void badSettingsAreRefused() {
        FaultySink.Builder<TestItem> b = FaultySink.wrap(new InMemorySink<>());
        assertThrows(IllegalArgumentException.class, () -> b.failProbability(1.5, ErrorKind.TRANSIENT));
        assertThrows(IllegalArgumentException.class, () -> b.latency(0.5, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.failNext(-1, ErrorKind.TRANSIENT));
        assertThrows(NullPointerException.class, () -> FaultySink.wrap(null));
    }
}
