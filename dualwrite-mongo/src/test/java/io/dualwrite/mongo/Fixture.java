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

import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.IdempotencyKeys;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.ForwardingPrimaryStore;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wiring shared by the end-to-end tests: writers over a store, sinks, and the convergence checks. */
final class Fixture {
    static final Instant START = Instant.parse("2026-05-01T08:00:00Z");
    static final Duration GRACE = Duration.ofSeconds(30);
    static final SinkSettings ONE_ATTEMPT = SinkSettings.builder().maxAttempts(1).build();

    private Fixture() {
    }

    static DualWriterBuilder<Product> writer(PrimaryStore<Product> store, DeadLetterStore deadLetters,
                                             MutableClock clock, String workerId, Map<String, ? extends Sink<Product>> sinks) {
        DualWriterBuilder<Product> b = DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(store).deadLetterStore(deadLetters).clock(clock).gracePeriod(GRACE)
                .lease(Duration.ofSeconds(60)).recoveryRetry(5, Duration.ofSeconds(1), Duration.ofSeconds(10))
                .workerId(workerId).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        sinks.forEach((name, sink) -> b.sink(name, sink, ONE_ATTEMPT));
        return b;
    }

    /** Commits a save with an intent per sink, as the writer does, and then "dies": no sink is called. */
    static Committed<Product> commitAndDie(PrimaryStore<Product> store, MutableClock clock, Product p,
                                           Collection<String> sinks) {
        Instant now = clock.instant();
        return store.commit(PrimaryWrite.<Product>builder().id(p.getId()).operation(io.dualwrite.Operation.UPSERT)
                .state(p).intents(sinks.stream().map(s -> new io.dualwrite.spi.IntentSpec(s, now.plus(GRACE))).toList())
                .correlationId("crash-" + p.getId()).time(now).build());
    }

    /** Commits a delete with an intent per sink and "dies". */
    static Committed<Product> deleteAndDie(PrimaryStore<Product> store, MutableClock clock, String id,
                                           Collection<String> sinks) {
        Instant now = clock.instant();
        return store.commit(PrimaryWrite.<Product>builder().id(id).operation(io.dualwrite.Operation.DELETE)
                .intents(sinks.stream().map(s -> new io.dualwrite.spi.IntentSpec(s, now.plus(GRACE))).toList())
                .correlationId("crash-" + id).time(now).build());
    }

    /** The change the writer would have sent for a commit. */
    static Change<Product> changeOf(Committed<Product> c) {
        return Change.<Product>builder().entityType("product").id(c.id()).version(c.version()).operation(c.operation())
                .state(c.state().orElse(null)).idempotencyKey(IdempotencyKeys.of("product", c.id(), c.version()))
                .correlationId("crash-" + c.id()).time(c.time()).build();
    }

    /** Runs recovery passes until nothing is pending (at most ten), moving the clock past grace periods and backoffs. */
    static void recoverAll(DualWriter<Product> writer, PrimaryStore<Product> store, MutableClock clock) {
        for (int i = 0; i < 10 && store.pendingCount() > 0; i++) {
            clock.advance(Duration.ofMinutes(2));
            writer.operations().recoverDue();
            writer.operations().flushAcknowledgements();
        }
        assertEquals(0, store.pendingCount(), "recovery leaves nothing pending");
    }

    /** Every sink holds the primary's latest committed state of the entity (or has dropped it). */
    static void assertConverged(PrimaryStore<Product> store, String id, Map<String, InMemorySink<Product>> sinks) {
        Optional<Snapshot<Product>> s = store.read(id);
        for (Map.Entry<String, InMemorySink<Product>> e : sinks.entrySet()) {
            InMemorySink<Product> sink = e.getValue();
            if (s.isEmpty() || s.get().deleted()) {
                assertTrue(sink.get(id).isEmpty(), "sink " + e.getKey() + " dropped deleted " + id);
            } else {
                assertEquals(s.get().version(), sink.versionOf(id).orElse(-1),
                        "sink " + e.getKey() + " holds the primary's version of " + id);
                assertEquals(s.get().state().orElseThrow(), sink.get(id).orElseThrow(),
                        "sink " + e.getKey() + " holds the primary's state of " + id);
            }
        }
    }

    static Map<String, InMemorySink<Product>> sinks(String... names) {
        Map<String, InMemorySink<Product>> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, new InMemorySink<>());
        }
        return m;
    }

    /** A store whose acknowledgements are lost: the writer "dies" after delivering, before acknowledging. */
    static <T> PrimaryStore<T> droppingAcks(PrimaryStore<T> store) {
        return new ForwardingPrimaryStore<>(store) {
            @Override
            public void acknowledge(Collection<Ack> acks) {
                // lost with the process
            }
        };
    }
}
