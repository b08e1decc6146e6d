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
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A poisoned entity — one whose sink call or mapping always throws, even an {@link Error} — is
 * that entity's own permanent failure: it is dead-lettered, the caller gets its result once the
 * primary has committed, recovery goes on for every other entity, and the sink's circuit stays
 * closed.
 */
class PoisonEntityTest {
    private final WriterFixture fx = new WriterFixture();

    /** A strict breaker: four failures in a window of four open it. */
    private static SinkSettings strictBreaker() {
        return WriterFixture.fast().circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(4)
                .minimumNumberOfCalls(4).failureRateThreshold(50).waitDurationInOpenState(Duration.ofMinutes(10))
                .build()).build();
    }

    /** A sink whose calls for the entity "poison" throw what the test gives, and take everything else. */
    private static final class PoisonSink implements Sink<Product> {
        final InMemorySink<Product> target = new InMemorySink<>();
        final Supplier<Throwable> thrown;
        final AtomicInteger poisonCalls = new AtomicInteger();

        PoisonSink(Supplier<Throwable> thrown) {
            this.thrown = thrown;
        }

        @Override
        public ApplyResult apply(Change<Product> change) throws Exception {
            if (change.id().equals("poison")) {
                poisonCalls.incrementAndGet();
                Throwable t = thrown.get();
                if (t instanceof Error) {
                    throw (Error) t;
                }
                throw (Exception) t;
            }
            return target.apply(change);
        }
    }

    private static Supplier<Throwable> error(String kind) {
        switch (kind) {
            case "AssertionError":
                return () -> new AssertionError("a bug in the mapping of this entity");
            case "NoClassDefFoundError":
                return () -> new NoClassDefFoundError("com/example/Missing");
            default:
                return () -> new StackOverflowError();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AssertionError", "NoClassDefFoundError", "StackOverflowError"})
    void anErrorFromOneEntitysSinkIsThatEntitysPermanentFailureAndSaveReturnsOnceCommitted(String kind) {
        PoisonSink sink = new PoisonSink(error(kind));
        try (DualWriter<Product> w = fx.builder().sink("search", sink, strictBreaker()).build()) {
            for (int i = 0; i < 6; i++) {
                WriteResult r = w.save(new Product("poison", "p" + i, i));
                assertTrue(r.written(), "the primary committed the save");
                assertEquals(SinkOutcome.DEAD_LETTERED, r.outcome("search").orElseThrow(),
                        "an " + kind + " is the entity's permanent failure: " + r);
                assertEquals(r.version(), fx.primary.read("poison").orElseThrow().version());
            }
            assertEquals(6, sink.poisonCalls.get(), "each save called the sink once: an Error is never retried");
            assertEquals(SinkOutcome.APPLIED, w.save(new Product("healthy", "h", 1)).outcome("search").orElseThrow(),
                    "a healthy entity still flows");
            assertEquals("CLOSED", fx.circuitState(w, "search"),
                    "the poisoned entity never counted against the sink's health");
            DeadLetter dl = w.deadLetters().inspect(DeadLetter.idOf("product", "poison", "search")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertTrue(dl.lastError().contains(kind), dl.lastError());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AssertionError", "NoClassDefFoundError", "StackOverflowError"})
    void anErrorFromOneEntitysSinkNeverStallsRecoveryForTheOthers(String kind) {
        PoisonSink sink = new PoisonSink(error(kind));
        ScriptedSink outage = new ScriptedSink().failAlways(ErrorKind.TRANSIENT);
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast().policy(DeliveryPolicy.ASYNC)
                .build()).sink("cache", outage, WriterFixture.fast().maxAttempts(1).build()).build()) {
            w.save(new Product("poison", "p", 1));
            for (int i = 0; i < 5; i++) {
                w.save(new Product("h" + i, "h", i));
            }
            outage.heal();
            fx.clock.advance(Duration.ofSeconds(31));
            for (int pass = 0; pass < 5; pass++) {
                w.operations().recoverDue();
                w.operations().flushAcknowledgements();
                fx.clock.advance(Duration.ofMinutes(1));
            }
            for (int i = 0; i < 5; i++) {
                assertTrue(sink.target.get("h" + i).isPresent(), "healthy h" + i + " reached the ASYNC sink");
                assertTrue(outage.target.get("h" + i).isPresent(), "healthy h" + i + " reached the other sink");
            }
            assertEquals(1, sink.poisonCalls.get(), "the poisoned entity was tried once and dead-lettered");
            assertEquals(0, w.operations().backlog(), "nothing is left pending");
            assertTrue(w.deadLetters().inspect(DeadLetter.idOf("product", "poison", "search")).isPresent());
        }
    }

    @Test
    void aMappingFailureIsPermanentAndNeverOpensTheCircuit() {
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger mapped = new AtomicInteger();
        MappingSink<Product, String> sink = new MappingSink<>() {
            final InMemorySink<Product> target = new InMemorySink<>();

            @Override
            public String map(Change<Product> change) {
                mapped.incrementAndGet();
                // a user's mapper meeting a null it did not expect
                String name = change.id().equals("poison") ? null : change.requireState().getName();
                return name.toUpperCase(java.util.Locale.ROOT);
            }

            @Override
            public ApplyResult send(Change<Product> change, String request) {
                sent.incrementAndGet();
                return target.apply(change);
            }
        };
        try (DualWriter<Product> w = fx.builder().sink("search", sink, strictBreaker()).build()) {
            for (int i = 0; i < 8; i++) {
                WriteResult r = w.save(new Product("poison", "p" + i, i));
                assertEquals(SinkOutcome.DEAD_LETTERED, r.outcome("search").orElseThrow(), r.toString());
            }
            assertEquals(0, sent.get(), "nothing was sent for the poisoned entity");
            assertEquals("CLOSED", fx.circuitState(w, "search"),
                    "a mapping failure never counts against the sink's health");
            WriteResult healthy = w.save(new Product("healthy", "h", 1));
            assertEquals(SinkOutcome.APPLIED, healthy.outcome("search").orElseThrow());
            DeadLetter dl = w.deadLetters().inspect(DeadLetter.idOf("product", "poison", "search")).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dl.kind());
            assertTrue(dl.lastError().contains("NullPointerException"), dl.lastError());
            assertEquals(9, mapped.get(), "each save mapped its change once: a mapping failure is never retried");
        }
    }

    @Test
    void aMappingFailureInARecoveryBatchFailsOnlyItsOwnChange() {
        List<String> sentIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        MappingSink<Product, Product> sink = new MappingSink<>() {
            @Override
            public Product map(Change<Product> change) {
                if (change.id().equals("poison")) {
                    throw new IllegalStateException("cannot map");
                }
                return change.requireState();
            }

            @Override
            public ApplyResult send(Change<Product> change, Product request) {
                sentIds.add(change.id());
                return ApplyResult.APPLIED;
            }
        };
        try (DualWriter<Product> w = fx.builder().sink("search", sink, WriterFixture.fast()
                .policy(DeliveryPolicy.ASYNC).build()).build()) {
            w.save(new Product("a", "a", 1));
            w.save(new Product("poison", "p", 1));
            w.save(new Product("b", "b", 1));
            RecoveryReport r = w.operations().recoverDue();
            assertEquals(2, r.delivered(), r.toString());
            assertEquals(1, r.deadLettered(), r.toString());
            assertEquals(List.of("a", "b"), sentIds.stream().sorted().toList());
        }
    }
}
