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
package io.dualwrite.jdbc;

import io.dualwrite.Change;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.TestItem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promise 5 against the real PostgreSQL: a change the table can never take is dead-lettered at once
 * and never looped, and it blocks no other entity. The refusal is real: an id too large for the
 * primary key's btree index, which PostgreSQL refuses with SQL state 54000 (program limit exceeded).
 */
class JdbcPermanentRefusalTest {
    private static final String TYPE = "item";
    private static final String SINK = "table";
    private static final long SEED = 54_000L;
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();

    /**
     * An id whose index entry cannot fit a btree page (at most 2704 bytes): 6000 random letters and
     * digits, which PostgreSQL's compression of index values cannot shrink enough.
     */
    private static String idTooLargeForTheIndex() {
        Random random = new Random(SEED);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder id = new StringBuilder("huge-");
        while (id.length() < 6000) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    @Test
    void permanentRefusalIsDeadLetteredAtOnceAfterOneCallAndNeverRetriedWhileAHealthyEntityFlows() throws Exception {
        Harness h = new Harness(SinkSettings.builder().build()); // the default settings: three attempts per call
        String huge = idTooLargeForTheIndex();
        try (DualWriter<TestItem> writer = h.writer(Clock.systemUTC())) {
            WriteResult refused = writer.save(TestItem.variant(huge, 1));
            assertEquals(SinkOutcome.DEAD_LETTERED, refused.outcome(SINK).orElseThrow(),
                    "an id too large for the index is dead-lettered on the caller's path: " + refused.outcomes());
            assertEquals(1, h.calls(huge), "one sink call, no retry of a refusal that can never succeed");
            WriteResult healthy = writer.save(TestItem.variant("healthy", 1));
            assertEquals(SinkOutcome.APPLIED, healthy.outcome(SINK).orElseThrow(), "a healthy entity still flows");
            writer.operations().flushAcknowledgements();

            DeadLetter dead = writer.deadLetters().inspect(DeadLetter.idOf(TYPE, huge, SINK)).orElseThrow();
            assertEquals(ErrorKind.PERMANENT, dead.kind(), "the dead letter says why: " + dead.lastError());
            assertEquals(1, dead.attempts(), "after exactly one attempt");
            assertTrue(dead.lastError().contains("SQL state 54000: ERROR: index row size"),
                    "the dead letter says why, although the id makes its message long: "
                            + dead.lastError().substring(0, Math.min(300, dead.lastError().length())));
            assertTrue(h.primary.read(huge).orElseThrow().pending().isEmpty(), "no intent is left for recovery");

            // later, with the grace period and every backoff long passed, recovery finds nothing to retry
            for (Duration later : List.of(Duration.ZERO, Duration.ofMinutes(20), Duration.ofDays(1))) {
                try (DualWriter<TestItem> recovery = h.writer(Clock.offset(Clock.systemUTC(), later))) {
                    RecoveryReport report = recovery.operations().recoverDue();
                    assertEquals(0, report.claimed(), "recovery " + later + " later must not retry a dead letter: "
                            + report);
                }
            }
            assertEquals(1, h.calls(huge), "still one sink call in all");
            assertEquals(1, h.deadLetters.count(), "one dead letter, the refused entity's");

            WriteResult next = writer.save(TestItem.variant("healthy", 2));
            assertEquals(SinkOutcome.APPLIED, next.outcome(SINK).orElseThrow(), "the healthy entity keeps flowing");
            assertEquals(Map.of("healthy", next.version()), h.sink.versionsOf(List.of("healthy", huge)),
                    "the table holds the healthy entity's latest version and nothing of the refused one");
        }
    }

    @Test
    void permanentRefusalInARecoveryBatchIsDeadLetteredOnTheFirstPassAndBlocksNoOtherEntity() throws Exception {
        Harness h = new Harness(SinkSettings.builder().policy(DeliveryPolicy.ASYNC).build());
        String huge = idTooLargeForTheIndex();
        try (DualWriter<TestItem> writer = h.writer(Clock.systemUTC())) {
            for (int i = 0; i < 4; i++) {
                writer.save(TestItem.variant("batch-" + i, i));
            }
            writer.save(TestItem.variant(huge, 1));
            RecoveryReport first = writer.operations().recoverDue();
            assertEquals(4, first.delivered(), "the healthy entities of the batch are delivered: " + first);
            assertEquals(1, first.deadLettered(), "the refused one is dead-lettered on the first pass: " + first);
            assertEquals(0, first.deferred(), "nothing waits for another pass: " + first);
            writer.operations().flushAcknowledgements();
            assertEquals(ErrorKind.PERMANENT,
                    writer.deadLetters().inspect(DeadLetter.idOf(TYPE, huge, SINK)).orElseThrow().kind(), "PERMANENT");

            try (DualWriter<TestItem> dayLater = h.writer(Clock.offset(Clock.systemUTC(), Duration.ofDays(1)))) {
                assertEquals(0, dayLater.operations().recoverDue().claimed(), "nothing is left for recovery a day later");
            }
            assertEquals(1, h.calls(huge), "the refused change was in one sink call");
            assertEquals(4, h.sink.versionsOf(List.of("batch-0", "batch-1", "batch-2", "batch-3", huge)).size(),
                    "the four healthy rows are in the table");
        }
    }

    /** A writer over an in-memory primary and the real table, counting the sink calls per entity. */
    private static final class Harness {
        final InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
        final JdbcSink<TestItem> sink;
        final SinkSettings settings;
        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        Harness(SinkSettings settings) throws Exception {
            String table = pg.table("refusal");
            JdbcTables.createPostgresTable(pg.dataSource, table);
            this.sink = JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table).build();
            this.settings = settings;
        }

        /**
         * @param clock the writer's clock; one running ahead stands for a recovery pass that much later
         * @return a writer over the harness's stores, its sink counted
         */
        DualWriter<TestItem> writer(Clock clock) {
            ForwardingSink<TestItem> counting = new ForwardingSink<>(sink) {
                @Override
                public ApplyResult send(Change<TestItem> change, Object request) throws Exception {
                    count(change);
                    return super.send(change, request);
                }

                @Override
                public List<BatchItem> sendAll(List<Mapped<TestItem, Object>> mapped) {
                    mapped.forEach(m -> count(m.change()));
                    return super.sendAll(mapped);
                }
            };
            return DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id).primary(primary)
                    .deadLetterStore(deadLetters).sink(SINK, counting, settings).clock(clock)
                    .meterRegistry(new SimpleMeterRegistry()).build();
        }

        private void count(Change<TestItem> change) {
            calls.computeIfAbsent(change.id(), k -> new AtomicInteger()).incrementAndGet();
        }

        int calls(String id) {
            AtomicInteger n = calls.get(id);
            return n == null ? 0 : n.get();
        }
    }
}
