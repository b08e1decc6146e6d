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
import io.dualwrite.DelegatingStore;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.SinkSettings;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.PrimaryWrite;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.dualwrite.reconcile.ReconcileFixture.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Content comparison in the reconciler, over the in-memory primary and sinks: drift at equal
 * versions found, reported, repaired at a new version, and what happens around it.
 */
class ContentReconciliationTest {

    @ParameterizedTest(name = "digests={0}")
    @ValueSource(booleans = {false, true})
    void reconciliationFindsContentDriftAtEqualVersionsAndRepairsIt(boolean digests) {
        try (ReconcileFixture f = new ReconcileFixture().seed(30)) {
            String drifted = id(5);
            long v = f.version(drifted);
            Item primaryState = f.primary.read(drifted).orElseThrow().state().orElseThrow();
            f.search.force(drifted, v, new Item(drifted, "edited in the index by hand", 7));
            long appliedBefore = f.search.appliedCount() + f.cache.appliedCount();

            ReconcileReport versionsOnly = f.reconciler().useDigests(digests).build().dryRun(ReconcileScope.all());
            assertEquals(0, versionsOnly.drift(), "versions alone see nothing: " + versionsOnly.summary());
            assertEquals(0, versionsOnly.contentCompared(), versionsOnly.summary());

            Reconciler reconciler = f.reconciler().useDigests(digests).compareContent(true).build();
            ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
            assertEquals(1, dry.count("search", DriftClass.CONTENT_MISMATCH), dry.summary());
            assertEquals(29, dry.count("search", DriftClass.IN_SYNC), dry.summary());
            assertEquals(0, dry.count("cache", DriftClass.CONTENT_MISMATCH), dry.summary());
            assertEquals(60, dry.contentCompared(), "every id of both sinks was compared by content: " + dry.summary());
            assertEquals(List.of("search " + drifted + " CONTENT_MISMATCH REWRITE primary=" + v + " sink=" + v),
                    dry.samples().stream().map(PlanEntry::toText).toList(), "the sample names the id and its version");
            assertEquals(1.0, f.meters.find(ReconcileMetrics.DRIFT).tag("class", "CONTENT_MISMATCH")
                    .tag("mode", "DRY_RUN").counter().count(), "the drift meter counts the class");
            assertEquals(30.0, f.meters.find(ReconcileMetrics.CONTENT_COMPARED).tag("sink", "search").counter().count());
            assertEquals(v, f.version(drifted), "a dry run writes nothing to the primary");
            assertEquals("edited in the index by hand", f.search.get(drifted).orElseThrow().name(),
                    "a dry run leaves the sink as it was");
            assertEquals(appliedBefore, f.search.appliedCount() + f.cache.appliedCount(), "a dry run sends nothing");

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());

            assertEquals(1, applied.count("search", DriftClass.CONTENT_MISMATCH), applied.summary());
            assertEquals(1, applied.actions(RepairOutcome.REWRITTEN), applied.summary());
            assertEquals(1, applied.repaired(), applied.summary());
            assertEquals(v + 1, f.version(drifted), "the primary's version grew by one");
            assertEquals(primaryState, f.primary.read(drifted).orElseThrow().state().orElseThrow(),
                    "the rewrite commits the primary's own state, unchanged");
            assertEquals(v + 1, f.search.versionOf(drifted).getAsLong(), "the sink took the new version");
            assertEquals(primaryState, f.search.get(drifted).orElseThrow(), "the sink holds the primary's content");
            assertEquals(v + 1, f.cache.versionOf(drifted).getAsLong(), "every sink receives the new version");
            assertEquals(1.0, f.meters.find(ReconcileMetrics.REPAIRED).tag("outcome", "REWRITTEN").counter().count());
            assertTrue(applied.summary().contains("content mismatch 1") && applied.summary().contains("rewritten 1"),
                    applied.summary());

            ReconcileReport again = reconciler.apply(ReconcileScope.all());
            assertEquals(0, again.drift(), "nothing is left: " + again.summary());
            assertEquals(0, again.repaired(), again.summary());
        }
    }

    @Test
    void plansWithContentMismatchesAreByteIdenticalWhicheverPathComparesThem() {
        String[] json = new String[4];
        for (int i = 0; i < 2; i++) {
            try (ReconcileFixture f = new ReconcileFixture().seed(40)) {
                f.injectCommon();
                f.injectInto(f.search);
                for (int k : new int[] {2, 9, 21, 33}) {
                    f.search.force(id(k), f.version(id(k)), new Item(id(k), "drifted " + k, k));
                }
                f.cache.force(id(9), f.version(id(9)), new Item(id(9), "drifted in the cache", 0));
                json[2 * i] = f.reconciler().useDigests(false).compareContent(true).build()
                        .plan(ReconcileScope.all()).toJson();
                json[2 * i + 1] = f.reconciler().useDigests(true).compareContent(true).build()
                        .plan(ReconcileScope.all()).toJson();
            }
        }
        ReconcilePlan plan = ReconcilePlan.fromJson(json[0]);
        assertEquals(5, plan.count(DriftClass.CONTENT_MISMATCH), plan.toText());
        assertEquals(List.of("cache i-0009", "cache i-0011", "cache i-9000", "search i-0002", "search i-0003",
                        "search i-0007", "search i-0009", "search i-0011", "search i-0015", "search i-0021",
                        "search i-0033", "search i-9000", "search zz-ghost"),
                plan.entries().stream().map(e -> e.sink() + " " + e.id()).toList(), "sorted by sink, then id");
        for (int i = 1; i < 4; i++) {
            assertEquals(json[0], json[i], "plan " + i + " must be byte-identical to plan 0");
        }
    }

    @Test
    void overAWriteAheadStoreAContentMismatchIsReportedOnlyWithItsReason() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        DelegatingStore<Item> writeAhead = new DelegatingStore<>(primary) {
            @Override
            public boolean supportsCompensation() {
                return false;
            }
        };
        InMemorySink<Item> search = new InMemorySink<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(writeAhead)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            long v = writer.save(new Item("a", "as saved", 1)).version();
            search.force("a", v, new Item("a", "as edited", 1));
            Reconciler reconciler = Reconciler.<Item>builder().writer(writer).primary(writeAhead).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build();

            assertEquals("search a CONTENT_MISMATCH NOTHING primary=" + v + " sink=" + v,
                    reconciler.plan(ReconcileScope.all()).entries().get(0).toText(), "report only");
            ReconcileReport report = reconciler.apply(ReconcileScope.all());

            assertEquals(1, report.count(DriftClass.CONTENT_MISMATCH), report.summary());
            assertEquals(0, report.repaired(), report.summary());
            assertEquals(1, report.errors().size(), "one line says why: " + report.errors());
            assertTrue(report.errors().get(0).contains("write-ahead"), report.errors().get(0));
            assertEquals(v, writer.read("a").orElseThrow().version(), "nothing was written");
            assertEquals("as edited", search.get("a").orElseThrow().name(), "the sink keeps what it holds");
            assertThrows(UnsupportedOperationException.class, () -> writer.operations().rewrite("a", v),
                    "the writer cannot commit a write of its own over a write-ahead store");
        }
    }

    @Test
    void aWriterWithoutAnIdFunctionRewritesToo() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemorySink<Item> search = new InMemorySink<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            // written by other code than save(entity), which would need the id function
            long v = primary.commit(PrimaryWrite.<Item>builder().id("a").operation(Operation.UPSERT)
                    .state(new Item("a", "as committed", 1)).intents(List.of()).correlationId("test")
                    .time(Instant.now()).build()).version();
            writer.operations().redeliver("search", List.of("a"));
            search.force("a", v, new Item("a", "as edited", 1));

            ReconcileReport report = Reconciler.<Item>builder().writer(writer).primary(primary).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().apply(ReconcileScope.all());

            assertEquals(1, report.actions(RepairOutcome.REWRITTEN), "the id is known: " + report.summary());
            assertEquals(new Item("a", "as committed", 1), search.get("a").orElseThrow());
            assertEquals(v + 1, search.versionOf("a").getAsLong());
        }
    }

    @Test
    void aWriteBetweenTheRecheckAndTheRewriteWinsAndIsNotUndone() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        AtomicBoolean raced = new AtomicBoolean();
        DualWriter<Item>[] writerRef = newWriterArray();
        DelegatingStore<Item> racing = new DelegatingStore<>(primary) {
            @Override
            public Committed<Item> commit(PrimaryWrite<Item> write) {
                // the application saves the entity just before the rewrite commits
                if (write.expectedVersion().isPresent() && raced.compareAndSet(false, true)) {
                    writerRef[0].save(new Item(write.id(), "saved by the application meanwhile", 2));
                }
                return super.commit(write);
            }
        };
        InMemorySink<Item> search = new InMemorySink<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(racing)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writerRef[0] = writer;
            long v = writer.save(new Item("a", "as saved", 1)).version();
            search.force("a", v, new Item("a", "as edited", 1));
            ReconcileReport report = Reconciler.<Item>builder().writer(writer).primary(racing).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().apply(ReconcileScope.all());

            assertTrue(raced.get(), "the application's write happened during the rewrite");
            assertEquals(1, report.count(DriftClass.CONTENT_MISMATCH), report.summary());
            assertEquals(1, report.actions(RepairOutcome.SUPERSEDED), "the version conflict: " + report.summary());
            assertEquals(0, report.actions(RepairOutcome.REWRITTEN), report.summary());
            assertEquals(v + 1, writer.read("a").orElseThrow().version(), "only the application's write was committed");
            assertEquals(new Item("a", "saved by the application meanwhile", 2), search.get("a").orElseThrow(),
                    "the sink holds the application's write, not a rewrite of the state before it");
            assertEquals(v + 1, search.versionOf("a").getAsLong());
        }
    }

    @Test
    void aRewriteReachesAnAsynchronousSinkAtOnce() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemorySink<Item> feed = new InMemorySink<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore())
                .sink("feed", feed, SinkSettings.builder().policy(DeliveryPolicy.ASYNC).build())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            long v = writer.save(new Item("a", "as saved", 1)).version();
            writer.operations().recoverDue();
            feed.force("a", v, new Item("a", "as edited", 1));

            ReconcileReport report = Reconciler.<Item>builder().writer(writer).primary(primary).sink("feed", feed)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().apply(ReconcileScope.all());

            assertEquals(1, report.actions(RepairOutcome.REWRITTEN), report.summary());
            assertEquals(new Item("a", "as saved", 1), feed.get("a").orElseThrow(), "delivered without waiting for recovery");
            assertEquals(v + 1, feed.versionOf("a").getAsLong());
        }
    }

    @Test
    void anEntityWhoseExpectedContentCannotBeComputedIsAnErrorNotDrift() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemorySink<Item> held = new InMemorySink<>();
        ContentDigestingSink<Item> search = new ForwardingContentSink(held) {
            @Override
            public ContentDigest expectedContentDigest(Change<Item> change) throws Exception {
                if (change.id().equals(id(3))) {
                    throw new MappingException("could not map " + change.idempotencyKey() + ": a value is missing", null);
                }
                return super.expectedContentDigest(change);
            }
        };
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("search", search)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            for (int i = 0; i < 6; i++) {
                writer.save(new Item(id(i), "item " + i, 1));
            }
            ReconcileReport report = Reconciler.<Item>builder().writer(writer).primary(primary).sink("search", search)
                    .compareContent(true).meterRegistry(new SimpleMeterRegistry()).build().dryRun(ReconcileScope.all());

            assertEquals(RunStatus.COMPLETED, report.status(), report.summary());
            assertEquals(0, report.drift(), report.summary());
            assertEquals(1, report.errors().size(), report.errors().toString());
            assertTrue(report.errors().get(0).startsWith("search " + id(3) + ": the content it should hold cannot"),
                    report.errors().get(0));
        }
    }

    @Test
    void contentComparisonNeedsASinkThatDigestsContent() {
        try (ReconcileFixture f = new ReconcileFixture()) {
            HookedSink versionsOnly = new HookedSink(f.search);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> f.reconciler(versionsOnly, new HookedSink(f.cache)).compareContent(true).build());
            assertTrue(e.getMessage().contains("ContentDigestingSink"), e.getMessage());
            // one sink that digests content is enough; the other is compared by version
            f.reconciler(versionsOnly, f.cache).compareContent(true).build();
        }
    }

    /** Forwards to an in-memory sink; tests override what they want to break. */
    private static class ForwardingContentSink implements ContentDigestingSink<Item> {
        private final InMemorySink<Item> delegate;

        ForwardingContentSink(InMemorySink<Item> delegate) {
            this.delegate = delegate;
        }

        @Override
        public ApplyResult apply(Change<Item> change) {
            return delegate.apply(change);
        }

        @Override
        public Map<String, Long> versionsOf(Collection<String> ids) {
            return delegate.versionsOf(ids);
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) {
            return delegate.idsAfter(afterExclusive, limit);
        }

        @Override
        public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception {
            return delegate.contentDigestsOf(ids);
        }

        @Override
        public ContentDigest expectedContentDigest(Change<Item> change) throws Exception {
            return delegate.expectedContentDigest(change);
        }
    }

    @SuppressWarnings("unchecked")
    private static DualWriter<Item>[] newWriterArray() {
        return (DualWriter<Item>[]) new DualWriter<?>[1];
    }
}
