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
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every policy outcome of the synchronous path, against the in-memory reference store and sinks. */
class DualWriterPoliciesTest {
    private final WriterFixture fx = new WriterFixture();

    @Test
    void appliesToEverySyncSinkAndAcknowledgesTheIntents() {
        ScriptedSink search = new ScriptedSink();
        ScriptedSink cache = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("search", search, WriterFixture.fast().build())
                .sink("cache", cache, WriterFixture.fast().build()).build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 2999));
            assertEquals(Map.of("search", SinkOutcome.APPLIED, "cache", SinkOutcome.APPLIED), r.outcomes());
            assertTrue(r.fullyApplied(), "every sink applied");
            assertEquals(Versions.firstVersion(fx.clock.instant()), r.version(), "first version comes from the commit time");
            assertEquals("product/p1@" + r.version(), r.idempotencyKey().orElseThrow());
            assertEquals(r.version(), search.target.versionOf("p1").getAsLong());
            assertEquals(r.version(), cache.target.versionOf("p1").getAsLong());
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("p1").orElseThrow().pending().isEmpty(), "acknowledged intents are removed");

            WriteResult second = w.save(new Product("p1", "Kettle", 2499));
            assertEquals(r.version() + 1, second.version(), "each write adds one to the version");
            assertEquals(2499, search.target.get("p1").orElseThrow().getPrice());
            assertEquals(2, fx.timerCount(DualWriteMetrics.WRITE, "outcome", "applied"), "write timer counts both writes");
        }
    }

    @Test
    void retriesTransientFailuresThenApplies() {
        ScriptedSink sink = new ScriptedSink().failNext(2, ErrorKind.TRANSIENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(3).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.APPLIED, r.outcome("search").orElseThrow());
            assertEquals(3, sink.calls.get(), "two failures then a success");
            assertEquals(2.0, fx.counter(DualWriteMetrics.SINK_RETRIES, "sink", "search"), "retries are counted");
            assertEquals(r.version(), sink.target.versionOf("p1").getAsLong());
        }
    }

    @Test
    void deadLettersPermanentFailureAtOnceWithoutRetrying() {
        ScriptedSink sink = new ScriptedSink().failNext(1, ErrorKind.PERMANENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(5).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.DEAD_LETTERED, r.outcome("search").orElseThrow());
            assertEquals(1, sink.calls.get(), "a permanent failure is never retried");
            DeadLetter dl = fx.deadLetters.get(DeadLetter.idOf("product", "p1", "search")).orElseThrow();
            assertEquals(r.version(), dl.version());
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertEquals(r.correlationId(), dl.correlationId().orElseThrow());
            assertTrue(dl.lastError().contains("scripted PERMANENT failure"), dl.lastError());
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("p1").orElseThrow().pending().isEmpty(), "the dead-lettered intent is not looped");
            assertEquals(1.0, fx.counter(DualWriteMetrics.DEAD_LETTERS, "sink", "search"));
        }
    }

    @Test
    void defersWhenRetriesRunOutAndKeepsTheIntentForRecovery() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(3).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("search").orElseThrow());
            assertFalse(r.fullyApplied());
            assertEquals(3, sink.calls.get(), "all attempts were made");
            w.operations().flushAcknowledgements();
            Snapshot<Product> s = fx.primary.read("p1").orElseThrow();
            assertEquals(r.version(), s.pending().get("search").version(), "the intent is still pending");

            sink.heal();
            assertEquals(0, w.operations().recoverDue().claimed(), "recovery leaves the intent alone during the grace period");
            fx.clock.advance(Duration.ofSeconds(31));
            RecoveryReport rep = w.operations().recoverDue();
            assertEquals(1, rep.delivered(), rep.toString());
            assertEquals(r.version(), sink.target.versionOf("p1").getAsLong());
            assertTrue(fx.primary.read("p1").orElseThrow().pending().isEmpty());
        }
    }

    @Test
    void requiredFailureCompensatesBringsOtherSinksToItAndThrows() {
        ScriptedSink ledger = new ScriptedSink();
        ScriptedSink search = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("ledger", ledger, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).maxAttempts(2).build())
                .sink("search", search, WriterFixture.fast().build()).build()) {
            WriteResult first = w.save(new Product("p1", "Kettle", 100));
            ledger.failAlways(ErrorKind.TRANSIENT);
            RequiredSinkFailedException e = assertThrows(RequiredSinkFailedException.class,
                    () -> w.save(new Product("p1", "Kettle", 999)));
            assertEquals("ledger", e.sink());
            assertEquals(first.version() + 1, e.failedVersion());
            assertEquals(first.version() + 2, e.compensationVersion().orElseThrow(), "the before-image is a new version");
            assertTrue(e.getMessage().contains("ledger"), e.getMessage());
            assertEquals(SinkOutcome.COMPENSATED, e.result().outcome("search").orElseThrow());

            Snapshot<Product> now = fx.primary.read("p1").orElseThrow();
            assertEquals(first.version() + 2, now.version());
            assertEquals(100, now.state().orElseThrow().getPrice(), "the primary holds the before-image again");
            assertEquals(first.version() + 2, search.target.versionOf("p1").getAsLong(),
                    "the other sink was brought to the compensation version");
            assertEquals(100, search.target.get("p1").orElseThrow().getPrice());
            assertEquals(1.0, fx.counter(DualWriteMetrics.COMPENSATIONS, "sink", "ledger"));

            // the failed sink converges to the compensation once it heals
            ledger.heal();
            fx.clock.advance(Duration.ofSeconds(31));
            w.operations().recoverDue();
            assertEquals(first.version() + 2, ledger.target.versionOf("p1").getAsLong());
            assertEquals(100, ledger.target.get("p1").orElseThrow().getPrice());
        }
    }

    @Test
    void retryingACompensatedRequestRunsItAgainInsteadOfReportingTheUndoneWrite() {
        ScriptedSink ledger = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("ledger", ledger, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).maxAttempts(1).build())
                .build()) {
            w.save(new Product("p1", "Kettle", 100));
            WriteOptions order = WriteOptions.builder().requestKey("order-9").build();
            ledger.failNext(1, ErrorKind.TRANSIENT);
            assertThrows(RequiredSinkFailedException.class, () -> w.save(new Product("p1", "Kettle", 999), order));
            WriteResult retry = w.save(new Product("p1", "Kettle", 999), order);
            assertFalse(retry.duplicate(), "the first attempt was undone: the retry must run, not echo it");
            assertEquals(SinkOutcome.APPLIED, retry.outcome("ledger").orElseThrow());
            assertEquals(999, fx.primary.read("p1").orElseThrow().state().orElseThrow().getPrice());
            assertTrue(w.save(new Product("p1", "Kettle", 999), order).duplicate(), "the successful retry is remembered");
        }
    }

    @Test
    void requiredFailureOnInsertCompensatesWithADelete() {
        ScriptedSink ledger = new ScriptedSink().failAlways(ErrorKind.PERMANENT);
        ScriptedSink search = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("ledger", ledger, WriterFixture.fast().policy(DeliveryPolicy.REQUIRED).build())
                .sink("search", search, WriterFixture.fast().build()).build()) {
            RequiredSinkFailedException e = assertThrows(RequiredSinkFailedException.class,
                    () -> w.save(new Product("p9", "New", 1)));
            assertEquals(ErrorKind.PERMANENT, e.kind());
            assertTrue(fx.primary.read("p9").orElseThrow().deleted(), "compensating an insert is a delete");
            assertTrue(search.target.isDeleted("p9"), "the other sink dropped it");
            assertEquals(e.compensationVersion().orElseThrow(), search.target.versionOf("p9").getAsLong());
        }
    }

    @Test
    void shadowMapsAndValidatesButNeverSends() {
        ScriptedSink shadow = new ScriptedSink();
        ScriptedSink search = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("next-index", shadow, WriterFixture.fast().policy(DeliveryPolicy.SHADOW).build())
                .sink("search", search, WriterFixture.fast().build()).build()) {
            WriteResult ok = w.save(new Product("p1", "Kettle", 1));
            WriteResult bad = w.save(new Product("p2", "Broken", -5));
            assertEquals(SinkOutcome.SKIPPED, ok.outcome("next-index").orElseThrow());
            assertEquals(SinkOutcome.SKIPPED, bad.outcome("next-index").orElseThrow(), "shadow failures never fail a write");
            assertEquals(2, shadow.validations.get(), "every change was mapped and validated");
            assertEquals(0, shadow.calls.get(), "a shadow sink is never sent anything");
            assertFalse(fx.primary.read("p1").orElseThrow().pending().containsKey("next-index"), "no intent for shadow");
            assertEquals(1, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "next-index", "outcome", "shadow_failed"));
            assertEquals(1, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "next-index", "outcome", "shadow_ok"));
        }
    }

    @Test
    void asyncSinkIsLeftToRecovery() {
        ScriptedSink partner = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("partner", partner, WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("partner").orElseThrow());
            assertEquals(0, partner.calls.get(), "never called on the caller's path");
            assertEquals(1, w.operations().recoverDue().delivered(), "an ASYNC intent is due at once");
            assertEquals(r.version(), partner.target.versionOf("p1").getAsLong());
        }
    }

    @Test
    void openCircuitDefersWithoutCallingTheSink() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(1)
                .circuitBreaker(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
                        .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50)
                        .waitDurationInOpenState(Duration.ofMinutes(5)).build())
                .build()).build()) {
            for (int i = 0; i < 4; i++) {
                assertEquals(SinkOutcome.DEFERRED, w.save(new Product("p" + i, "x", i)).outcome("search").orElseThrow());
            }
            assertEquals("OPEN", fx.circuitState(w, "search"));
            int before = sink.calls.get();
            WriteResult r = w.save(new Product("p-open", "x", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("search").orElseThrow());
            assertEquals(before, sink.calls.get(), "an open circuit does not call the sink");
            assertEquals(1, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "search", "outcome", "circuit_open"));
        }
    }

    @Test
    void readTellsTheCommittedVersionStateAndWhichSinksStillWait() {
        try (DualWriter<Product> w = fx.builder().sink("search", new io.dualwrite.memory.InMemorySink<>(),
                WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build()) {
            WriteResult saved = w.save(new Product("p1", "kettle", 10));
            StoredEntity<Product> stored = w.read("p1").orElseThrow();
            assertEquals(saved.version(), stored.version());
            assertEquals("kettle", stored.state().orElseThrow().getName());
            assertEquals(java.util.Set.of("search"), stored.pendingSinks(), "the ASYNC sink waits for recovery");
            w.operations().recoverDue();
            w.operations().flushAcknowledgements();
            assertTrue(w.read("p1").orElseThrow().pendingSinks().isEmpty(), "delivered");
            w.delete("p1");
            StoredEntity<Product> tomb = w.read("p1").orElseThrow();
            assertTrue(tomb.deleted(), "deleted, its tombstone kept until the sink has the delete: " + tomb);
            assertTrue(tomb.state().isEmpty());
            assertTrue(w.read("absent").isEmpty());
        }
    }

    @Test
    void theBreakersLiveInTheApplicationsRegistryUnderTheirNamesUntilTheWriterCloses() {
        io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry breakers =
                io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry.ofDefaults();
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        String name = DualWriter.circuitBreakerName("product", "search");
        assertEquals("dualwrite.product.search", name);
        DualWriter<Product> first = fx.builder().circuitBreakerRegistry(breakers).sink("search", sink,
                WriterFixture.fast().maxAttempts(1).circuitBreaker(
                        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom().slidingWindowSize(2)
                                .minimumNumberOfCalls(2).waitDurationInOpenState(Duration.ofMinutes(5)).build())
                        .build()).build();
        DualWriter<Product> second = fx.builder().circuitBreakerRegistry(breakers).sink("search", sink,
                WriterFixture.fast().maxAttempts(1).build()).build();
        try {
            first.save(new Product("a", "x", 1));
            first.save(new Product("b", "x", 1));
            io.github.resilience4j.circuitbreaker.CircuitBreaker breaker = breakers.find(name).orElseThrow();
            assertEquals(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN, breaker.getState(),
                    "the application reads the state without any cast");
            int before = sink.calls.get();
            assertEquals(SinkOutcome.DEFERRED, second.save(new Product("c", "x", 1)).outcome("search").orElseThrow(),
                    "a second writer of the same type and sink shares the breaker");
            assertEquals(before, sink.calls.get(), "and does not call the sink while it is open");
        } finally {
            second.close();
            first.close();
        }
        assertTrue(breakers.find(name).isEmpty(), "the writer that created it removed it when it closed");
        assertTrue(fx.meters.find("resilience4j.circuitbreaker.state").tag("name", name).gauges().isEmpty(),
                "a registry the application supplies is its own to publish");
    }

    @Test
    void poisonEntityDoesNotOpenTheCircuit() {
        ScriptedSink sink = new ScriptedSink().failAlways(ErrorKind.PERMANENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(1)
                .circuitBreaker(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
                        .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50).build())
                .build()).build()) {
            for (int i = 0; i < 8; i++) {
                assertEquals(SinkOutcome.DEAD_LETTERED, w.save(new Product("bad" + i, "x", i)).outcome("search").orElseThrow());
            }
            assertEquals("CLOSED", fx.circuitState(w, "search"),
                    "permanent failures of single entities never open the circuit");
        }
    }

    @Test
    void aSinkWhoseClientBoundsItsCallsRunsOnTheCallersThread() {
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.dualwrite.spi.Sink<Product> sink = change -> {
            threads.add(Thread.currentThread().getName());
            return io.dualwrite.spi.ApplyResult.APPLIED;
        };
        try (DualWriter<Product> w = fx.builder().sink("direct", sink, WriterFixture.fast().clientEnforcesTimeout(true)
                .build()).build()) {
            assertEquals(SinkOutcome.APPLIED, w.save(new Product("p1", "x", 1)).outcome("direct").orElseThrow());
            assertEquals(List.of(Thread.currentThread().getName()), threads, "no hand-off to another thread");
        }
        threads.clear();
        try (DualWriter<Product> w = fx.builder().sink("limited", sink, WriterFixture.fast().build()).build()) {
            w.save(new Product("p1", "x", 1));
            assertTrue(threads.get(0).startsWith("dualwrite-product-io"),
                    "by default the coordinator enforces the time limit on its own thread: " + threads);
        }
    }

    @Test
    void timeoutIsAnUnknownOutcomeThatIsDeferred() {
        ScriptedSink slow = new ScriptedSink().delay(Duration.ofMillis(500));
        try (DualWriter<Product> w = fx.builder().sink("slow", slow, WriterFixture.fast().maxAttempts(1)
                .attemptTimeout(Duration.ofMillis(50)).build()).build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.DEFERRED, r.outcome("slow").orElseThrow());
            assertEquals(1, fx.timerCount(DualWriteMetrics.SINK_APPLY, "sink", "slow", "outcome", "unknown_outcome"));
        }
    }

    @Test
    void unexpectedSinkExceptionIsClassifiedAndNeverLost() {
        ScriptedSink sink = new ScriptedSink();
        sink.failNextWith(() -> new IllegalStateException("bug in a sink"));
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().maxAttempts(2).build())
                .build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            assertEquals(SinkOutcome.APPLIED, r.outcome("search").orElseThrow(),
                    "an unexpected exception is an unknown outcome: redelivered, then applied");
            assertEquals(2, sink.calls.get());
        }
    }

    @Test
    void rampSendsAStableShareOfEntities() {
        ScriptedSink half = new ScriptedSink();
        ScriptedSink none = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder()
                .sink("half", half, WriterFixture.fast().rampPercent(50).build())
                .sink("none", none, WriterFixture.fast().rampPercent(0).build()).build()) {
            int applied = 0;
            for (int i = 0; i < 400; i++) {
                WriteResult r = w.save(new Product("id-" + i, "x", i));
                assertEquals(SinkOutcome.SKIPPED, r.outcome("none").orElseThrow());
                if (r.outcome("half").orElseThrow() == SinkOutcome.APPLIED) {
                    applied++;
                    // the same entity stays in the ramp on its next write
                    assertEquals(SinkOutcome.APPLIED, w.save(new Product("id-" + i, "y", i)).outcome("half").orElseThrow());
                }
            }
            assertTrue(applied > 150 && applied < 250, "about half the entities are ramped in: " + applied);
            assertEquals(0, none.calls.get());
            assertEquals(applied, half.target.liveVersions().size());
        }
    }

    @Test
    void loweringARampRemovesTheEntitiesThatLeftItFromTheSinkAndTheirDeletesStillReachIt() {
        InMemorySink<Product> search = new InMemorySink<>();
        try (DualWriter<Product> full = fx.builder().sink("search", search, WriterFixture.fast().build()).build()) {
            for (int i = 0; i < 100; i++) {
                full.save(new Product("id-" + i, "v1", i));
            }
        }
        assertEquals(100, search.liveVersions().size(), "at 100 % every entity reached the sink");
        // the rollout is rolled back to 30 %: the application restarts with the lower ramp
        try (DualWriter<Product> lowered = fx.builder().sink("search", search, WriterFixture.fast().rampPercent(30)
                .rampDownFrom(100).build()).build()) {
            int kept = 0;
            for (int i = 0; i < 100; i++) {
                WriteResult r = lowered.save(new Product("id-" + i, "v2", i));
                assertEquals(SinkOutcome.APPLIED, r.outcome("search").orElseThrow(), "id-" + i);
                if (search.get("id-" + i).isPresent()) {
                    kept++;
                    assertEquals("v2", search.get("id-" + i).orElseThrow().getName(), "an entity in the ramp is current");
                } else {
                    assertEquals(r.version(), search.versionOf("id-" + i).orElseThrow(),
                            "an entity that left the ramp left the sink at its new version");
                }
            }
            assertTrue(kept > 15 && kept < 45, "about 30 % stay: " + kept);
            assertEquals(kept, search.liveVersions().size(), "no entity outside the ramp is left behind, stale");
        }
        try (DualWriter<Product> lowered = fx.builder().sink("search", search, WriterFixture.fast().rampPercent(30)
                .rampDownFrom(100).build()).build()) {
            for (int i = 0; i < 100; i++) {
                lowered.delete("id-" + i);
            }
            assertTrue(search.liveVersions().isEmpty(), "every delete reached the sink, in the ramp or not");
        }
    }

    @Test
    void aRampThatWasNeverHigherSkipsTheEntitiesOutsideIt() {
        ScriptedSink sink = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("new", sink, WriterFixture.fast().rampPercent(10).build())
                .build()) {
            int skipped = 0;
            for (int i = 0; i < 100; i++) {
                WriteResult r = w.save(new Product("id-" + i, "x", i));
                WriteResult d = w.delete("id-" + i);
                if (r.outcome("new").orElseThrow() == SinkOutcome.SKIPPED) {
                    skipped++;
                    assertEquals(SinkOutcome.SKIPPED, d.outcome("new").orElseThrow(), "nor its delete");
                }
            }
            assertTrue(skipped > 70, "entities never in the ramp cost the new sink nothing: " + skipped);
            assertEquals(2 * (100 - skipped), sink.calls.get());
        }
    }

    @Test
    void aRampCannotBeLoweredFromBelowItself() {
        assertThrows(IllegalArgumentException.class, () -> SinkSettings.builder().rampPercent(50).rampDownFrom(40)
                .build());
    }

    @Test
    void deleteIsAVersionedTombstoneThatStaysOnceEverySinkHasIt() {
        ScriptedSink a = new ScriptedSink();
        ScriptedSink b = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("a", a, WriterFixture.fast().build())
                .sink("b", b, WriterFixture.fast().build()).build()) {
            WriteResult saved = w.save(new Product("p1", "Kettle", 1));
            WriteResult deleted = w.delete("p1");
            assertEquals(Operation.DELETE, deleted.operation());
            assertEquals(saved.version() + 1, deleted.version());
            assertTrue(a.target.isDeleted("p1") && b.target.isDeleted("p1"));
            w.operations().flushAcknowledgements();
            assertTrue(fx.primary.read("p1").orElseThrow().pending().isEmpty(), "every sink has the delete");
            assertEquals(deleted.version(), fx.primary.read("p1").orElseThrow().version(),
                    "the tombstone stays with its version");
            assertEquals(0, w.operations().backlog(), "and nothing is pending");
            WriteResult again = w.delete("p1");
            assertFalse(again.written(), "deleting a deleted entity writes nothing");
        }
    }

    @Test
    void aReCreatedIdReachesEverySinkWhateverTheClocksSay() {
        ScriptedSink sink = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("a", sink, WriterFixture.fast().build()).build()) {
            w.save(new Product("p1", "first life", 1));
            WriteResult deleted = w.delete("p1");
            w.operations().flushAcknowledgements();
            assertTrue(sink.target.isDeleted("p1"), "the sink guards the tombstone");
            // the instance that re-creates the id has a clock a minute behind the one that deleted it
            fx.clock.set(fx.clock.instant().minus(Duration.ofMinutes(1)));
            WriteResult reborn = w.save(new Product("p1", "second life", 2));
            assertTrue(reborn.version() > deleted.version(), "the new life starts above the old tombstone");
            assertEquals(SinkOutcome.APPLIED, reborn.outcome("a").orElseThrow());
            assertEquals("second life", sink.target.get("p1").orElseThrow().getName(),
                    "the sink holds the re-created entity, not its old tombstone");
        }
    }

    @Test
    void versionConflictWritesNothing() {
        ScriptedSink sink = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1));
            WriteResult r2 = w.save(new Product("p1", "Kettle", 2), WriteOptions.builder().expectedVersion(r.version()).build());
            assertEquals(r.version() + 1, r2.version());
            VersionConflictException e = assertThrows(VersionConflictException.class,
                    () -> w.save(new Product("p1", "Stale", 3), WriteOptions.builder().expectedVersion(r.version()).build()));
            assertEquals(r.version(), e.expectedVersion());
            assertEquals(r2.version(), e.actualVersion());
            assertEquals(2, fx.primary.read("p1").orElseThrow().state().orElseThrow().getPrice());
            assertEquals(2, sink.calls.get(), "no sink call for a conflicting write");
            assertThrows(VersionConflictException.class,
                    () -> w.save(new Product("p1", "x", 1), WriteOptions.builder().expectedVersion(0).build()),
                    "0 means the entity must not exist yet");
        }
    }

    @Test
    void sameRequestKeyReturnsTheFirstResultAndWritesNothingAgain() {
        ScriptedSink sink = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().build()).build()) {
            WriteOptions opts = WriteOptions.builder().requestKey("order-42").build();
            WriteResult first = w.save(new Product("p1", "Kettle", 1), opts);
            w.operations().flushAcknowledgements();
            WriteResult again = w.save(new Product("p1", "Kettle", 1), opts);
            assertTrue(again.duplicate());
            assertFalse(again.written());
            assertEquals(first.version(), again.version());
            assertEquals(SinkOutcome.APPLIED, again.outcome("search").orElseThrow());
            assertEquals(first.version(), fx.primary.read("p1").orElseThrow().version(), "nothing written again");
            assertEquals(1, sink.calls.get());
            fx.clock.advance(DualWriterBuilder.DEFAULT_REQUEST_KEY_WINDOW.plusSeconds(1));
            assertFalse(w.save(new Product("p1", "Kettle", 1), opts).duplicate(), "the key is forgotten after the window");
        }
    }

    @Test
    void correlationIdAndKeyAreInTheMdcWhileTheSinkRuns() {
        ScriptedSink a = new ScriptedSink();
        ScriptedSink b = new ScriptedSink();
        try (DualWriter<Product> w = fx.builder().sink("a", a, WriterFixture.fast().build())
                .sink("b", b, WriterFixture.fast().build()).build()) {
            WriteResult r = w.save(new Product("p1", "Kettle", 1), WriteOptions.builder().correlationId("corr-7").build());
            assertEquals("corr-7", r.correlationId());
            assertEquals(List.of("corr-7"), a.correlationIdsSeen, "parallel sink thread sees the correlation id");
            assertEquals(List.of("corr-7"), b.correlationIdsSeen, "caller-thread sink sees the correlation id");
            assertEquals(List.of(r.idempotencyKey().orElseThrow()), a.keysSeen);
            assertEquals(null, org.slf4j.MDC.get(DualWriteMetrics.MDC_CORRELATION_ID), "the caller's MDC is restored");
        }
    }

    /** A sink built for one entity type on a writer of another fails at build, naming both, not at every write. */
    @Test
    void aSinkBuiltForAnotherEntityTypeIsRefusedAtBuild() {
        InMemorySink<Product> target = new InMemorySink<>();
        io.dualwrite.spi.Sink<Product> forProducts = new io.dualwrite.spi.Sink<>() {
            @Override
            public io.dualwrite.spi.ApplyResult apply(Change<Product> change) {
                return target.apply(change);
            }

            @Override
            public java.util.Optional<String> boundEntityType() {
                return java.util.Optional.of("products");
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> fx.builder().sink("cache", forProducts).build());
        assertTrue(e.getMessage().contains("'cache'") && e.getMessage().contains("'products'")
                && e.getMessage().contains("'product'"), e.getMessage());
        fx.builder().entityType("products").sink("cache", forProducts).build().close(); // the same type is fine
    }

    /** One name twice, or one sink instance under two names, is refused when it is registered. */
    @Test
    void aSinkRegisteredTwiceIsRefused() {
        InMemorySink<Product> cache = new InMemorySink<>();
        IllegalArgumentException sameName = assertThrows(IllegalArgumentException.class,
                () -> fx.builder().sink("cache", cache).sink("cache", new InMemorySink<>()));
        assertTrue(sameName.getMessage().contains("'cache' is already registered"), sameName.getMessage());
        IllegalArgumentException sameSink = assertThrows(IllegalArgumentException.class,
                () -> fx.builder().sink("cache", cache).sink("cache2", cache));
        assertTrue(sameSink.getMessage().contains("already registered as 'cache'"), sameSink.getMessage());
        fx.builder().sink("cache", cache).sink("cache2", new InMemorySink<>()).build().close(); // two sinks are fine
    }

    /** An ASYNC writer of products on {@code fx}'s registry, with its own store, so that its backlog is its own. */
    private DualWriter<Product> asyncWriterOnSharedMeters(String workerId) {
        return new WriterFixture().builder().meterRegistry(fx.meters).workerId(workerId).sink("s",
                new InMemorySink<>(), WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build();
    }

    /** Saves two entities through {@code a} and one through {@code b}. */
    private static void backlogsOfTwoAndOne(DualWriter<Product> a, DualWriter<Product> b) {
        a.save(new Product("p1", "x", 1));
        a.save(new Product("p2", "x", 1));
        b.save(new Product("q1", "x", 1));
        assertEquals(2, a.operations().backlog());
        assertEquals(1, b.operations().backlog());
    }

    /** Two writers of one entity type on one registry each publish their own backlog; a closed one publishes none. */
    @Test
    void twoWritersOfOneTypeOnOneRegistryEachPublishTheirOwnGauges() {
        try (DualWriter<Product> a = asyncWriterOnSharedMeters("a")) {
            DualWriter<Product> b = asyncWriterOnSharedMeters("b");
            backlogsOfTwoAndOne(a, b);
            assertEquals(Map.of("a", 2.0, "b", 1.0), gaugesByInstance(DualWriteMetrics.RECOVERY_BACKLOG));
            b.close();
            assertEquals(Map.of("a", 2.0), gaugesByInstance(DualWriteMetrics.RECOVERY_BACKLOG),
                    "a closed writer's gauges are removed");
        }
    }

    /**
     * Micrometer keys a gauge by name and tags and keeps the first of two registrations: two writers of one type with
     * one worker id (a host name, say) in one JVM must still publish each its own figures, and closing one must
     * leave the other's meters in place.
     */
    @Test
    void twoWritersOfOneTypeWithTheSameWorkerIdPublishTheirOwnMetersAndCloseOnlyTheirOwn() {
        try (DualWriter<Product> a = asyncWriterOnSharedMeters("host-1")) {
            DualWriter<Product> b = asyncWriterOnSharedMeters("host-1");
            backlogsOfTwoAndOne(a, b);
            Map<String, Double> backlogs = gaugesByInstance(DualWriteMetrics.RECOVERY_BACKLOG);
            assertEquals(List.of(1.0, 2.0), backlogs.values().stream().sorted().toList(),
                    "each writer's backlog under an instance tag of its own: " + backlogs);
            assertTrue(backlogs.keySet().stream().allMatch(i -> i.startsWith("host-1")),
                    "the instance tag starts with the worker id: " + backlogs);
            assertEquals(2, gaugesByInstance(DualWriteMetrics.RECOVERY_OLDEST_AGE).size(), "both age gauges");
            assertEquals(2, breakerStates().size(), "each writer's breaker is published apart: " + breakerStates());

            b.close();
            b.close();
            assertEquals(List.of(2.0), List.copyOf(gaugesByInstance(DualWriteMetrics.RECOVERY_BACKLOG).values()),
                    "the closed writer's backlog is gone, the open one's stays");
            assertEquals(1, gaugesByInstance(DualWriteMetrics.RECOVERY_OLDEST_AGE).size(), "and its age gauge");
            assertEquals(1, breakerStates().size(), "and its breaker's meters, not the open writer's");

            asyncWriterOnSharedMeters("host-1").close();
            assertEquals(List.of(2.0), List.copyOf(gaugesByInstance(DualWriteMetrics.RECOVERY_BACKLOG).values()),
                    "a writer that took the freed tag and closed again leaves the open writer's gauges alone");
        }
        assertTrue(fx.meters.find(DualWriteMetrics.RECOVERY_BACKLOG).gauges().isEmpty(), "none once both closed");
    }
    private Map<String, Double> gaugesByInstance(String name) {
        Map<String, Double> out = new java.util.TreeMap<>();
        fx.meters.find(name).tag(DualWriteMetrics.TAG_TYPE, "product").gauges()
                .forEach(g -> out.put(g.getId().getTag(DualWriteMetrics.TAG_INSTANCE), g.value()));
        return out;
    }

    private List<String> breakerStates() {
        return fx.meters.find("resilience4j.circuitbreaker.state").tag("name", DualWriter.circuitBreakerName("product", "s"))
                .tag("state", "closed").gauges().stream().map(g -> g.getId().getTag(DualWriteMetrics.TAG_INSTANCE))
                .toList();
    }
}
