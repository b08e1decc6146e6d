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
package io.dualwrite.reconcile;

import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator's reconciliation hooks, on their own. */
class RedeliverTest {

    @Test
    void redeliverSendsThePrimarysCurrentStateAndSkipsWhatItDoesNotHold() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String id = ReconcileFixture.id(1);
            f.search.force(id, 0, null);
            Map<String, SinkOutcome> out = f.writer.operations().redeliver("search", List.of(id, "absent", id));
            assertEquals(Map.of(id, SinkOutcome.APPLIED, "absent", SinkOutcome.SKIPPED), out);
            assertEquals(List.of(id, "absent"), List.copyOf(out.keySet()), "in the given order, duplicates once");
            assertEquals(f.version(id), f.search.versionOf(id).getAsLong());
            assertEquals(SinkOutcome.APPLIED, f.writer.operations().redeliver("search", List.of(id)).get(id),
                    "a redelivery of what the sink holds is harmless");
            assertThrows(IllegalArgumentException.class, () -> f.writer.operations().redeliver("nope", List.of(id)));
        }
    }

    @Test
    void removeOrphansDeletesAtTheHeldVersionPlusOneAndLeavesLiveEntitiesAlone() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String live = ReconcileFixture.id(0);
            f.search.force("ghost", 9, new Item("ghost", "x", 1));
            Map<String, Long> held = new LinkedHashMap<>();
            held.put("ghost", 9L);
            held.put(live, f.version(live));
            Map<String, SinkOutcome> out = f.writer.operations().removeOrphans("search", held);
            assertEquals(SinkOutcome.APPLIED, out.get("ghost"));
            assertEquals(SinkOutcome.SKIPPED, out.get(live), "the primary holds it: not an orphan");
            assertTrue(f.search.isDeleted("ghost"));
            assertEquals(10, f.search.versionOf("ghost").getAsLong(), "held version + 1");
            assertTrue(f.search.get(live).isPresent());
            f.writer.save(new Item("ghost", "created for real later", 1));
            assertEquals("created for real later", f.search.get("ghost").orElseThrow().name(),
                    "a later real write beats the orphan's tombstone");
            assertThrows(IllegalArgumentException.class, () -> f.writer.operations().removeOrphans("search", Map.of("x", 0L)));
            assertThrows(IllegalArgumentException.class,
                    () -> f.writer.operations().removeOrphans("search", Map.of("x", Long.MAX_VALUE)));
        }
    }

    @Test
    void rewriteCommitsTheStoredStateAsTheNextVersionOnlyWhileThePrimaryHoldsTheExpectedOne() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String id = ReconcileFixture.id(1);
            long v = f.version(id);
            Item stored = f.primary.read(id).orElseThrow().state().orElseThrow();
            f.search.force(id, v, new Item(id, "edited by hand", 9));

            WriteResult result = f.writer.operations().rewrite(id, v);

            assertEquals(v + 1, result.version(), "the next version");
            assertEquals(Map.of("search", SinkOutcome.APPLIED, "cache", SinkOutcome.APPLIED), result.outcomes(),
                    "delivered like a save");
            assertEquals(stored, f.search.get(id).orElseThrow(), "the stored state, unchanged");
            VersionConflictException moved = assertThrows(VersionConflictException.class, () -> f.writer.operations().rewrite(id, v),
                    "the entity moved on since version " + v);
            assertEquals(v + 1, moved.actualVersion());
            assertThrows(VersionConflictException.class, () -> f.writer.operations().rewrite("absent", 1));
            f.writer.delete(id);
            assertThrows(VersionConflictException.class, () -> f.writer.operations().rewrite(id, v + 2), "a tombstone has no state");
            assertEquals(v + 2, f.version(id), "nothing was written by the refused rewrites");
        }
    }

    @Test
    void changeForIsWhatARedeliverySendsWithTheSinksSchemaVersion() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("v2", new InMemorySink<>(),
                        SinkSettings.builder().schemaVersion(2).build())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Item("a", "x", 1));
            Snapshot<Item> snap = writer.operations().snapshot("a").orElseThrow();
            Change<Item> change = writer.operations().changeFor("v2", snap);
            assertEquals(snap.version(), change.version());
            assertEquals(new Item("a", "x", 1), change.requireState());
            assertEquals(2, change.schemaVersion(), "the sink's schema version");
            assertEquals("item", change.entityType());
            assertThrows(IllegalArgumentException.class, () -> writer.operations().changeFor("nope", snap));
        }
    }

    @Test
    void aPermanentFailureOfARepairIsDeadLettered() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
        InMemorySink<Item> ok = new InMemorySink<>();
        Sink<Item> rejecting = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Item> change) throws Exception {
                throw new SinkException("mapping rejected " + change.id(), ErrorKind.PERMANENT, null);
            }
        };
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(dls).sink("ok", ok)
                .sink("rejecting", rejecting, SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(5)).build())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Item("a", "A", 1));
            assertEquals(1, writer.deadLetters().discardAll(DeadLetterQuery.builder().sink("rejecting").build()),
                    "the save itself dead-lettered the rejecting sink's delivery");

            Map<String, SinkOutcome> out = writer.operations().redeliver("rejecting", List.of("a"));

            assertEquals(Map.of("a", SinkOutcome.DEAD_LETTERED), out);
            assertEquals(1, writer.deadLetters().list(DeadLetterQuery.builder().sink("rejecting").build()).size(),
                    "the repair is in the dead-letter store with its reason");
            assertEquals(Map.of("a", SinkOutcome.APPLIED), writer.operations().redeliver("ok", List.of("a")),
                    "the other sink is not affected");
        }
    }

    /** A sink that fails every call transiently ("blip 1", "blip 2", ...) until healed. */
    private static final class Blipping implements Sink<Item> {
        final InMemorySink<Item> target = new InMemorySink<>();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicBoolean healed = new AtomicBoolean();

        @Override
        public ApplyResult apply(Change<Item> change) throws Exception {
            int n = calls.incrementAndGet();
            if (!healed.get()) {
                throw new SinkException("blip " + n, ErrorKind.TRANSIENT, null);
            }
            return target.apply(change);
        }
    }

    private static DualWriter<Item> writer(InMemoryPrimaryStore<Item> primary, InMemoryDeadLetterStore dls, Sink<Item> sink,
                                           CircuitBreakerConfig breaker) {
        return DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary).deadLetterStore(dls)
                .sink("api", sink, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).maxAttempts(1)
                        .attemptTimeout(Duration.ofSeconds(5)).circuitBreaker(breaker).build())
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    @Test
    void aCountedRedeliveryDeadLettersAVersionOnceItsAttemptsAreSpentAndAcknowledgesItsIntent() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
        Blipping api = new Blipping();
        try (DualWriter<Item> writer = writer(primary, dls, api, CircuitBreakerConfig.ofDefaults())) {
            long v = writer.save(new Item("a", "A", 1)).version();
            Map<String, Redelivery> earlier = Map.of();
            for (int attempt = 1; attempt <= 2; attempt++) {
                earlier = writer.operations().redeliver("api", List.of("a"), earlier, 3);
                Redelivery r = earlier.get("a");
                assertEquals(SinkOutcome.DEFERRED, r.outcome(), "attempt " + attempt + " of 3 is deferred");
                assertEquals(attempt, r.attempts(), "and counted");
                assertEquals(v, r.version(), "at the version sent");
                assertEquals(Optional.of("io.dualwrite.spi.SinkException: blip 1"), r.firstError(), "the first error stays");
            }
            assertEquals(0, dls.count(), "nothing is dead-lettered before the attempts are spent");
            Redelivery third = writer.operations().redeliver("api", List.of("a"), earlier, 3).get("a");
            assertEquals(SinkOutcome.DEAD_LETTERED, third.outcome(), "the third attempt spends them");
            DeadLetter d = dls.get(DeadLetter.idOf("item", "a", "api")).orElseThrow();
            assertEquals(v, d.version(), "the dead letter names the version");
            assertEquals(3, d.attempts(), "and its attempts");
            assertEquals(ErrorKind.TRANSIENT, d.kind(), "and the kind of its failures");
            assertTrue(d.firstError().endsWith("blip 1") && d.lastError().endsWith("blip 3"),
                    d.firstError() + " / " + d.lastError());
            writer.operations().flushAcknowledgements();
            assertTrue(primary.read("a").orElseThrow().pending().isEmpty(),
                    "the intent is acknowledged, as recovery does when its attempts run out");
            assertThrows(IllegalArgumentException.class, () -> writer.operations().redeliver("api", List.of("a"), Map.of(), 0));
        }
    }

    @Test
    void aNewerVersionStartsItsOwnCountAndAHealedSinkEndsIt() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
        Blipping api = new Blipping();
        try (DualWriter<Item> writer = writer(primary, dls, api, CircuitBreakerConfig.ofDefaults())) {
            writer.save(new Item("a", "A", 1));
            Map<String, Redelivery> earlier = writer.operations().redeliver("api", List.of("a"), Map.of(), 2);
            long v2 = writer.save(new Item("a", "A", 2)).version();
            Redelivery r = writer.operations().redeliver("api", List.of("a"), earlier, 2).get("a");
            assertEquals(SinkOutcome.DEFERRED, r.outcome(), "a newer version is not dead-lettered for the older one's attempt");
            assertEquals(1, r.attempts(), "it counts its own");
            assertEquals(v2, r.version());
            api.healed.set(true);
            Redelivery healed = writer.operations().redeliver("api", List.of("a"), Map.of("a", r), 2).get("a");
            assertEquals(Redelivery.withoutFailure("a", SinkOutcome.APPLIED, v2), healed, "delivered before its attempts ran out");
            assertEquals(0, dls.count());
            assertEquals(v2, api.target.versionOf("a").getAsLong());
        }
    }

    @Test
    void anAttemptTheSinkNeverReceivedIsNotCounted() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
        Blipping down = new Blipping();
        Sink<Item> api = new Sink<>() { // a bulk sink whose whole request fails: that is what its breaker counts
            @Override
            public ApplyResult apply(Change<Item> change) throws Exception {
                return down.apply(change);
            }

            @Override
            public List<BatchItem> applyAll(List<Change<Item>> changes) {
                down.calls.incrementAndGet();
                throw new java.io.UncheckedIOException(new java.io.IOException("connection refused"));
            }
        };
        CircuitBreakerConfig opensAfterTwo = CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                .waitDurationInOpenState(Duration.ofMinutes(10)).build();
        try (DualWriter<Item> writer = writer(primary, dls, api, opensAfterTwo)) {
            writer.save(new Item("a", "A", 1));
            Map<String, Redelivery> earlier = writer.operations().redeliver("api", List.of("a"), Map.of(), 3);
            earlier = writer.operations().redeliver("api", List.of("a"), earlier, 3);
            assertEquals(2, earlier.get("a").attempts(), "two calls failed; the circuit is open now");
            for (int i = 0; i < 5; i++) {
                earlier = writer.operations().redeliver("api", List.of("a"), earlier, 3);
            }
            assertEquals(2, down.calls.get(), "the sink was not called while its circuit was open");
            assertEquals(SinkOutcome.DEFERRED, earlier.get("a").outcome(), "so no attempt was spent");
            assertEquals(2, earlier.get("a").attempts(), "the count stays");
            assertFalse(dls.get(DeadLetter.idOf("item", "a", "api")).isPresent(), "and nothing is dead-lettered");
        }
    }
}
