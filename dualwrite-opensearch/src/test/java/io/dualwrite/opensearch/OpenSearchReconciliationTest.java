package io.dualwrite.opensearch;

import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reconciliation against a real OpenSearch index, the case users ask about most: documents whose
 * delete never reached the index, and writes the index never got, found and repaired.
 */
class OpenSearchReconciliationTest {
    private String index;

    @AfterEach
    void dropIndex() throws Exception {
        if (index != null) {
            OpenSearchTestSupport.deleteIndex(index);
        }
    }

    private static String id(int i) {
        return String.format("o-%03d", i);
    }

    private static void commitUnseen(InMemoryPrimaryStore<TestItem> primary, String id, TestItem state) {
        primary.commit(PrimaryWrite.<TestItem>builder().id(id).operation(state == null ? Operation.DELETE : Operation.UPSERT)
                .state(state).intents(List.of()).correlationId("test").time(Instant.now()).build());
    }

    @Test
    void deletesAndWritesThatNeverReachedTheIndexAreFoundAndRepaired() throws Exception {
        index = OpenSearchTestSupport.newIndexName("reconcile");
        OpenSearchSink<TestItem> sink = OpenSearchSink.<TestItem>builder().client(OpenSearchTestSupport.client())
                .index(index).indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).refresh(RefreshPolicy.IMMEDIATE)
                .build();
        InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        try (DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("search", sink)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            for (int i = 0; i < 20; i++) {
                writer.save(TestItem.variant(id(i), i));
            }
            writer.operations().flushAcknowledgements();
            // while the index was away: a new entity (missing), a change (stale), two deletes (orphans)
            commitUnseen(primary, "o-100", TestItem.variant("o-100", 100));
            commitUnseen(primary, id(4), TestItem.variant(id(4), 44));
            commitUnseen(primary, id(9), null);
            commitUnseen(primary, id(13), null);
            // and a document the primary never had, and one ahead of the primary (a phantom)
            long v15 = primary.read(id(15)).orElseThrow().version();
            assertEquals(ApplyResult.APPLIED, sink.apply(Change.<TestItem>builder().entityType("item").id("zz-ghost")
                    .version(42).operation(Operation.UPSERT).state(TestItem.variant("zz-ghost", 1))
                    .correlationId("test").time(Instant.now()).build()));
            assertEquals(ApplyResult.APPLIED, sink.apply(Change.<TestItem>builder().entityType("item").id(id(15))
                    .version(v15 + 5).operation(Operation.UPSERT).state(TestItem.variant(id(15), 99))
                    .correlationId("test").time(Instant.now()).build()));
            Reconciler reconciler = Reconciler.<TestItem>builder().writer(writer).primary(primary).sink("search", sink)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(7).repairsPerSecond(10_000).build();

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());

            assertEquals(1, applied.count(DriftClass.MISSING), applied.summary());
            assertEquals(1, applied.count(DriftClass.STALE), applied.summary());
            assertEquals(3, applied.count(DriftClass.ORPHAN), "o-009, o-013 and zz-ghost: " + applied.summary());
            assertEquals(1, applied.count(DriftClass.AHEAD), applied.summary());
            assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
            assertEquals(3, applied.actions(RepairOutcome.ORPHAN_DELETED), applied.summary());
            Map<String, Long> expected = new TreeMap<>();
            for (Snapshot<TestItem> s : primary.scan(null, 1000)) {
                if (!s.deleted()) {
                    expected.put(s.id(), s.version());
                }
            }
            expected.put(id(15), v15 + 5);
            assertEquals(expected, new TreeMap<>(sink.versionsOf(sink.idsAfter(null, 1000))),
                    "the index matches the primary but for the phantom");
            assertEquals(Stored.live(primary.read(id(4)).orElseThrow().version(), TestItem.variant(id(4), 44)),
                    OpenSearchTestSupport.readBack(index, id(4)).orElseThrow(), "the primary's state was republished");
            assertEquals(Stored.deleted(43), OpenSearchTestSupport.readBack(index, "zz-ghost").orElseThrow(),
                    "the orphan's delete carried 42 + 1 and left a tombstone document");

            ReconcileReport second = reconciler.apply(ReconcileScope.all());
            assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
            assertEquals(0, second.repaired(), second.summary());
        }
    }
}
