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
package io.dualwrite;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryWrite;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecoveryAndDeadLettersTest {
    private final WriterFixture fx = new WriterFixture();

    @Test
    void recoveryBacksOffPerAttemptThenDeadLettersWhenAttemptsRunOut() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(1).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "x", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("search").orElseThrow());
            fx.clock.advance(Duration.ofSeconds(31));
            RecoveryReport first = w.operations().recoverDue();
            assertEquals(1, first.deferred(), first.toString());
            Intent after1 = fx.primary.read("p1").orElseThrow().pending().get("search");
            assertEquals(1, after1.attempts());
            assertTrue(after1.dueAt().isAfter(fx.clock.instant()), "rescheduled into the future");
            assertTrue(after1.lastError().orElseThrow().contains("outage"));
            assertEquals(0, w.operations().recoverDue().claimed(), "nothing is due before the backoff elapses");
            fx.clock.advance(Duration.ofMinutes(1));
            assertEquals(1, w.operations().recoverDue().deferred());
            fx.clock.advance(Duration.ofMinutes(1));
            RecoveryReport third = w.operations().recoverDue();
            assertEquals(1, third.deadLettered(), "the third attempt is the last: " + third);
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("p1").orElseThrow().pending().isEmpty());
            DeadLetter dl = w.deadLetters().inspect(DeadLetter.idOf("product", "p1", "search")).orElseThrow();
            assertEquals(3, dl.attempts());
            assertEquals(ErrorKind.TRANSIENT, dl.kind());
            assertEquals(r.correlationId(), dl.correlationId().orElseThrow(), "the write's correlation id travels");
        }
    }

    @Test
    void recoveryDeliversTheCurrentStateNotTheVersionItWasAskedFor() {
        InMemorySink<Product> sink = new InMemorySink<>();
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            // a writer that "died" after committing two versions, before any delivery
            commitWithoutDelivery("p1", new Product("p1", "old", 1));
            commitWithoutDelivery("p1", new Product("p1", "new", 2));
            fx.clock.advance(Duration.ofSeconds(31));
            RecoveryReport rep = w.operations().recoverDue();
            assertEquals(1, rep.claimed());
            assertEquals(fx.primary.read("p1").orElseThrow().version(), sink.versionOf("p1").getAsLong());
            assertEquals("new", sink.get("p1").orElseThrow().getName());
            assertEquals(1, sink.appliedCount(), "one delivery of the latest state covers both writes");
        }
    }

    private void commitWithoutDelivery(String id, Product p) {
        fx.primary.commit(PrimaryWrite.<Product>builder().id(id).operation(Operation.UPSERT).state(p)
                .intents(List.of(new IntentSpec("search", fx.clock.instant().plusSeconds(30))))
                .correlationId("c").time(fx.clock.instant()).build());
    }

    @Test
    void anOlderAcknowledgementNeverRemovesANewerIntent() {
        InMemorySink<Product> sink = new InMemorySink<>();
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            commitWithoutDelivery("p1", new Product("p1", "a", 1));
            long v1 = fx.primary.read("p1").orElseThrow().version();
            commitWithoutDelivery("p1", new Product("p1", "b", 2));
            fx.primary.acknowledge(List.of(new Ack("p1", "search", v1, null)));
            assertEquals(v1 + 1, fx.primary.read("p1").orElseThrow().pending().get("search").version(),
                    "the newer write's intent survives an ack of the older version");
        }
    }

    @Test
    void aPoisonChangeInABulkCallDeadLettersOnlyItself() {
        // a bulk sink that refuses the whole call when one change in it is poison
        InMemorySink<Product> target = new InMemorySink<>();
        io.dualwrite.spi.Sink<Product> bulk = new io.dualwrite.spi.Sink<>() {
            @Override
            public io.dualwrite.spi.ApplyResult apply(Change<Product> change) {
                if (change.id().equals("poison")) {
                    throw new IllegalArgumentException("rejected mapping");
                }
                return target.apply(change);
            }

            @Override
            public List<BatchItem> applyAll(List<Change<Product>> changes) {
                if (changes.stream().anyMatch(c -> c.id().equals("poison"))) {
                    throw new IllegalArgumentException("bulk request rejected: one document does not map");
                }
                return io.dualwrite.spi.Sink.super.applyAll(changes);
            }
        };
        try (DualWriter<Product> w = fx.builder().sink("bulk", bulk, WriterFixture.fast().policy(DeliveryPolicy.ASYNC)
                .build()).build()) {
            for (int i = 0; i < 9; i++) {
                w.save(new Product("p" + i, "x", i));
            }
            w.save(new Product("poison", "x", 1));
            RecoveryReport rep = w.operations().recoverDue();
            assertEquals(9, rep.delivered(), rep.toString());
            assertEquals(1, rep.deadLettered(), "only the poison change is dead-lettered: " + rep);
            assertEquals(9, target.liveVersions().size());
            assertTrue(w.deadLetters().inspect(DeadLetter.idOf("product", "poison", "bulk")).isPresent());
        }
    }

    @Test
    void intentForAnUnregisteredSinkIsDeadLetteredNotLooped() {
        try (DualWriter<Product> w = fx.builder().sink("search", new InMemorySink<>()).build()) {
            fx.primary.commit(PrimaryWrite.<Product>builder().id("p1").operation(Operation.UPSERT)
                    .state(new Product("p1", "x", 1)).intents(List.of(new IntentSpec("retired", fx.clock.instant())))
                    .correlationId("c").time(fx.clock.instant()).build());
            RecoveryReport rep = w.operations().recoverDue();
            assertEquals(1, rep.deadLettered(), rep.toString());
            assertTrue(w.deadLetters().inspect(DeadLetter.idOf("product", "p1", "retired")).orElseThrow()
                    .lastError().contains("not registered"));
        }
    }

    @Test
    void deadLettersAreListedReplayedAndDiscarded() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.PERMANENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            w.save(new Product("p1", "x", 1));
            w.save(new Product("p2", "y", 2));
            w.save(new Product("p3", "z", 3));
            assertEquals(3, w.deadLetters().list(DeadLetterQuery.ALL).size());
            assertEquals(1, w.deadLetters().list(DeadLetterQuery.builder().entityId("p2").build()).size());
            assertThrows(IllegalArgumentException.class,
                    () -> w.deadLetters().list(DeadLetterQuery.builder().entityType("order").build()));
            assertThrows(NoSuchElementException.class, () -> w.deadLetters().replay("product/nope#search"));

            // still broken: the replay fails again and the dead letter stays with one more attempt
            String id1 = DeadLetter.idOf("product", "p1", "search");
            assertEquals(SinkOutcome.DEAD_LETTERED, w.deadLetters().replay(id1));
            assertEquals(2, w.deadLetters().inspect(id1).orElseThrow().attempts());

            sink.heal();
            w.save(new Product("p1", "x2", 10)); // the entity moved on: replay sends the current state
            assertEquals(SinkOutcome.APPLIED, w.deadLetters().replay(id1));
            assertTrue(w.deadLetters().inspect(id1).isEmpty(), "a replayed dead letter is removed");
            assertEquals(10, sink.target.get("p1").orElseThrow().getPrice());

            assertTrue(w.deadLetters().discard(DeadLetter.idOf("product", "p2", "search")));
            assertFalse(w.deadLetters().discard(DeadLetter.idOf("product", "p2", "search")), "already gone");
            assertEquals(1, w.deadLetters().replayAll(DeadLetterQuery.ALL));
            assertEquals(0, w.deadLetters().count());
            assertEquals(fx.primary.read("p3").orElseThrow().version(), sink.target.versionOf("p3").getAsLong());
        }
    }

    @Test
    void workerDrainsTheBacklogInTheBackgroundAndStopsCleanly() throws Exception {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        // the outage is short: keep the circuit closed so the healed sink is called at once
        var lenient = io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom().minimumNumberOfCalls(1000)
                .build();
        try (DualWriter<Product> w = fx.builder().gracePeriod(Duration.ZERO).recoveryBatchSize(7)
                .sink("search", sink, WriterFixture.fast().maxAttempts(1).circuitBreaker(lenient).build()).build()) {
            for (int i = 0; i < 50; i++) {
                w.save(new Product("p" + i, "x", i));
            }
            assertEquals(50, w.operations().backlog());
            sink.heal();
            RecoveryWorker worker = RecoveryWorker.builder(w).interval(Duration.ofMillis(10)).build();
            worker.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (w.operations().backlog() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            worker.close();
            worker.close();
            assertEquals(0, w.operations().backlog(), "the worker drained every intent");
            assertEquals(50, sink.target.liveVersions().size());
            assertEquals(50, worker.totals().delivered());
            assertEquals(0.0, fx.meters.get(DualWriteMetrics.RECOVERY_BACKLOG).gauge().value());
            assertThrows(IllegalStateException.class, worker::start, "a closed worker does not restart");
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("dualwrite-product-recovery") && t.isAlive()),
                "no recovery thread is left behind");
    }
}
