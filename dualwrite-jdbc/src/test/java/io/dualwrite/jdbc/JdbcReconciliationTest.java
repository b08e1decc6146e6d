package io.dualwrite.jdbc;

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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reconciliation against the real PostgreSQL table: every drift class found and repaired through the coordinator. */
class JdbcReconciliationTest {
    private static final String TYPE = "item";
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();

    private static String id(int i) {
        return String.format("j-%03d", i);
    }

    private static long version(InMemoryPrimaryStore<TestItem> primary, String id) {
        return primary.read(id).orElseThrow().version();
    }

    /** The row as plain SQL sees it: version, and whether it is a tombstone. */
    private static Map<String, Object> row(String table, String id) throws Exception {
        try (Connection c = pg.dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT version, deleted FROM " + table + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "a row for " + id);
                return Map.of("version", rs.getLong(1), "deleted", rs.getBoolean(2));
            }
        }
    }

    @Test
    void everyDriftClassIsFoundInTheTableAndRepairedAndASecondRunFindsOnlyThePhantom() throws Exception {
        String table = pg.table("reconcile");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JdbcSink<TestItem> sink = JdbcSink.<TestItem>builder(pg.dataSource, TYPE, table).build();
        InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        try (DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("table", sink)
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            for (int i = 0; i < 24; i++) {
                writer.save(TestItem.variant(id(i), i));
            }
            writer.operations().flushAcknowledgements();
            // missing j-003, stale j-007, orphans j-011 (a delete never sent) and zz-ghost, ahead j-015
            pg.execute("DELETE FROM " + table + " WHERE id = '" + id(3) + "'",
                    "UPDATE " + table + " SET version = version - 1 WHERE id = '" + id(7) + "'",
                    "UPDATE " + table + " SET version = version + 5 WHERE id = '" + id(15) + "'");
            primary.commit(PrimaryWrite.<TestItem>builder().id(id(11)).operation(Operation.DELETE).intents(List.of())
                    .correlationId("test").time(Instant.now()).build());
            assertEquals(ApplyResult.APPLIED, sink.apply(Change.<TestItem>builder().entityType(TYPE).id("zz-ghost")
                    .version(42).operation(Operation.UPSERT).state(TestItem.variant("zz-ghost", 1))
                    .correlationId("test").time(Instant.now()).build()));
            Reconciler reconciler = Reconciler.<TestItem>builder().writer(writer).primary(primary).sink("table", sink)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(5).repairsPerSecond(10_000).build();

            ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
            assertEquals(1, dry.count(DriftClass.MISSING), dry.summary());
            assertEquals(1, dry.count(DriftClass.STALE), dry.summary());
            assertEquals(2, dry.count(DriftClass.ORPHAN), dry.summary());
            assertEquals(1, dry.count(DriftClass.AHEAD), dry.summary());
            assertEquals(20, dry.count(DriftClass.IN_SYNC), dry.summary());

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());
            assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
            assertEquals(2, applied.actions(RepairOutcome.ORPHAN_DELETED), applied.summary());
            Map<String, Long> expected = new TreeMap<>();
            for (Snapshot<TestItem> s : primary.scan(null, 1000)) {
                if (!s.deleted()) {
                    expected.put(s.id(), s.version());
                }
            }
            expected.put(id(15), version(primary, id(15)) + 5);
            assertEquals(expected, new TreeMap<>(sink.versionsOf(sink.idsAfter(null, 1000))),
                    "the table matches the primary but for the phantom");
            assertEquals(Map.of("version", 43L, "deleted", true), row(table, "zz-ghost"),
                    "the orphan's delete carried 42 + 1 and left a tombstone row");

            ReconcileReport second = reconciler.apply(ReconcileScope.all());
            assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
            assertEquals(0, second.repaired(), second.summary());
        }
    }
}
