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

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.proxy.FaultProxy;
import io.dualwrite.testkit.servers.TestPostgres;
import io.dualwrite.testkit.sink.ConcurrentDeliveries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The JDBC sink under concurrency, lost replies and faults, against the real PostgreSQL on this machine. Each test asserts a
 * promise of DESIGN section 1 / docs/guarantees.md / docs/sinks-redis-jdbc-http.md.
 */
class JdbcSinkFaultsTest {
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();
    private static final String TYPE = "item";
    private final long base = Versions.firstVersion(Instant.now());

    private static Change<TestItem> upsert(String id, long version, TestItem state) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.UPSERT)
                .state(state).correlationId("c").time(Instant.now()).build();
    }

    private Change<TestItem> upsert(String id, long version) {
        return upsert(id, version, TestItem.variant(id, (int) (version - base)));
    }

    private static Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.DELETE)
                .correlationId("c").time(Instant.now()).build();
    }

    private static Optional<Stored<TestItem>> expected(Change<TestItem> c) {
        return Optional.of(c.isDelete() ? Stored.deleted(c.version()) : Stored.live(c.version(), c.requireState()));
    }

    private static String newTable(String name) throws SQLException {
        String table = pg.table(name);
        JdbcTables.createPostgresTable(pg.dataSource, table);
        return table;
    }

    private static JdbcSink<TestItem> sink(DataSource ds, String table) {
        return JdbcSink.builder(TYPE, TestItem.class).dataSource(ds).table(table).build();
    }

    private static HikariDataSource pool(String name, boolean autoCommit, String initSql) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestPostgres.jdbcUrl());
        config.setUsername(TestPostgres.USER);
        config.setMaximumPoolSize(4);
        config.setConnectionTimeout(3000);
        config.setAutoCommit(autoCommit);
        config.setPoolName(name);
        if (initSql != null) {
            config.setConnectionInitSql(initSql);
        }
        return new HikariDataSource(config);
    }

    // ------------------------------------------------------------------ ordering and idempotence

    /**
     * 12 entities, 30 versions each (every 4th a delete: deaths and re-creations), every change three
     * times, shuffled, 8 threads over two sinks on two pools, single applies and batches. A watcher
     * reads the table all along: no row may go back; each ends at its highest version.
     */
    @Test
    void concurrentShuffledDeliveriesFromTwoPoolsEndAtTheHighestVersionAndNeverGoBack() throws Exception {
        String table = newTable("race");
        try (HikariDataSource second = pool("faults-second", true, null)) {
            List<JdbcSink<TestItem>> sinks = List.of(sink(pg.dataSource, table), sink(second, table));
            List<Change<TestItem>> all = new ArrayList<>();
            Map<String, Change<TestItem>> last = new HashMap<>();
            for (int e = 0; e < 12; e++) {
                String id = "r" + e;
                for (int v = 1; v <= 30; v++) {
                    Change<TestItem> c = (v % 4 == 0 || (v == 30 && e % 3 == 0)) ? delete(id, base + v) : upsert(id, base + v);
                    for (int copy = 0; copy < 3; copy++) {
                        all.add(c);
                    }
                    last.put(id, c);
                }
            }
            Collections.shuffle(all, new Random(7));
            AtomicBoolean stop = new AtomicBoolean();
            List<String> regressions = new CopyOnWriteArrayList<>();
            Thread watcher = new Thread(() -> {
                Map<String, Long> seen = new HashMap<>();
                while (!stop.get()) {
                    try (Connection c = second.getConnection(); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT id, version FROM " + table)) {
                        while (rs.next()) {
                            Long before = seen.put(rs.getString(1), rs.getLong(2));
                            if (before != null && rs.getLong(2) < before) {
                                regressions.add(rs.getString(1) + ": " + before + " -> " + rs.getLong(2));
                            }
                        }
                    } catch (SQLException e) {
                        regressions.add("watcher: " + e);
                    }
                }
            });
            watcher.start();
            ConcurrentDeliveries.deliver(all, sinks, 8, 17, Duration.ofSeconds(180));
            stop.set(true);
            watcher.join();
            assertEquals(List.of(), regressions, "no row may ever move to an older version");
            for (Map.Entry<String, Change<TestItem>> e : last.entrySet()) {
                assertEquals(expected(e.getValue()), pg.readBack(table, e.getKey()), "entity " + e.getKey());
            }
        }
    }

    @Test
    void tombstonesRefuseOlderUpsertsAndReCreationContinuesAbove() throws Exception {
        String table = newTable("tomb");
        JdbcSink<TestItem> sink = sink(pg.dataSource, table);
        assertEquals(ApplyResult.APPLIED, sink.apply(delete("t", base + 5)), "a delete of an unknown entity leaves a tombstone");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t", base + 4)));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("t", base + 5)));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("t", base + 6)));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("t", base + 5)));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t", base + 3)));
        assertEquals(expected(upsert("t", base + 6)), pg.readBack(table, "t"));
        assertEquals(Map.of("t", base + 6), sink.versionsOf(List.of("t")));
    }

    // ------------------------------------------------------------------ the pool's auto-commit setting

    /**
     * A pool configured with auto-commit off (HikariCP {@code autoCommit=false}, common with JPA
     * setups). The docs take "a DataSource (HikariCP or any pool)". A single apply runs the upsert and
     * returns the connection without a commit, so the pool rolls it back: the sink reports APPLIED
     * for a write that is not there (the intent is acknowledged and the sink never converges).
     */
    @Test
    void aPoolWithAutoCommitOffKeepsWhatASingleApplyReportsApplied() throws Exception {
        String table = newTable("noautocommit");
        try (HikariDataSource noAuto = pool("faults-noautocommit", false, null)) {
            JdbcSink<TestItem> sink = sink(noAuto, table);
            List<String> broken = new ArrayList<>();
            List<Sink.BatchItem> batch = sink.applyAll(List.of(upsert("b", base + 1)));
            assertTrue(batch.get(0).succeeded());
            if (pg.readBack(table, "b").isEmpty()) {
                broken.add("applyAll: APPLIED but no row");
            }
            ApplyResult single = sink.apply(upsert("s", base + 1));
            assertEquals(ApplyResult.APPLIED, single);
            if (!expected(upsert("s", base + 1)).equals(pg.readBack(table, "s"))) {
                broken.add("apply: " + single + " but the table holds " + pg.readBack(table, "s"));
            }
            ApplyResult del = sink.apply(delete("b", base + 2));
            if (!expected(delete("b", base + 2)).equals(pg.readBack(table, "b"))) {
                broken.add("apply(delete): " + del + " but the table holds " + pg.readBack(table, "b"));
            }
            assertEquals(List.of(), broken, "what the sink reports applied must be in the table");
        }
    }

    /**
     * The same through a DualWriter (in-memory primary): save reports APPLIED for the table, the intent
     * is acknowledged, recovery a day later has nothing to do, and the table never gets the entity
     * (promise 2: every sink reaches the primary's latest state, or the entity is a dead letter).
     */
    @Test
    void aPoolWithAutoCommitOffLeavesTheTableBehindForGoodThroughADualWriter() throws Exception {
        String table = newTable("noautoe2e");
        io.dualwrite.memory.InMemoryPrimaryStore<TestItem> primary = new io.dualwrite.memory.InMemoryPrimaryStore<>();
        io.dualwrite.memory.InMemoryDeadLetterStore deadLetters = new io.dualwrite.memory.InMemoryDeadLetterStore();
        try (HikariDataSource noAuto = pool("faults-noautoe2e", false, null)) {
            JdbcSink<TestItem> sink = sink(noAuto, table);
            java.util.function.Function<java.time.Clock, io.dualwrite.DualWriter<TestItem>> writerAt = clock ->
                    io.dualwrite.DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id).primary(primary)
                            .deadLetterStore(deadLetters).sink("table", sink).clock(clock)
                            .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).build();
            io.dualwrite.WriteResult saved;
            try (io.dualwrite.DualWriter<TestItem> writer = writerAt.apply(java.time.Clock.systemUTC())) {
                saved = writer.save(TestItem.variant("e2e", 1));
                assertEquals(io.dualwrite.SinkOutcome.APPLIED, saved.outcome("table").orElseThrow(), "" + saved.outcomes());
                writer.operations().flushAcknowledgements();
                assertTrue(primary.read("e2e").orElseThrow().pending().isEmpty(), "the intent is acknowledged");
            }
            try (io.dualwrite.DualWriter<TestItem> later = writerAt.apply(
                    java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofDays(1)))) {
                assertEquals(0, later.operations().recoverDue().claimed(), "recovery has nothing left to do");
            }
            assertEquals(0, deadLetters.count(), "and nothing is dead-lettered");
            assertEquals(Map.of("e2e", saved.version()), sink.versionsOf(List.of("e2e")),
                    "so the table must hold the saved version; it holds " + pg.readBack(table, "e2e"));
        }
    }

    /** The same pool: purgeTombstones reports rows removed, and they are all still there. */
    @Test
    void aPoolWithAutoCommitOffPurgesWhatPurgeTombstonesReports() throws Exception {
        String table = newTable("noautopurge");
        sink(pg.dataSource, table).apply(delete("p", base + 1));
        try (HikariDataSource noAuto = pool("faults-noautopurge", false, null)) {
            int n = sink(noAuto, table).purgeTombstones(Instant.now().plusSeconds(60));
            assertEquals(1, n, "one tombstone to purge");
            assertEquals(Optional.empty(), pg.readBack(table, "p"), "purgeTombstones reported 1 row removed");
        }
    }

    // ------------------------------------------------------------------ lost replies

    @Test
    void aLostReplyToASingleUpsertIsRetryableAndTheRetryIsHarmless() throws Exception {
        String table = newTable("lost");
        URI target = URI.create(TestPostgres.jdbcUrl().substring("jdbc:".length()));
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", target.getPort())) {
            JdbcSink<TestItem> sink = sink(throughProxy(proxy, "INSERT 0 1"), table);
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("l", base + 2)));
            assertEquals(1, proxy.repliesLost(), "the reply was lost");
            ErrorKind kind = sink.classifier().classify(e);
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, kind, "the statement may have run: " + e);
            assertEquals(expected(upsert("l", base + 2)), pg.readBack(table, "l"), "and it did");
            JdbcSink<TestItem> retry = sink(pg.dataSource, table);
            assertEquals(ApplyResult.ALREADY_CURRENT, retry.apply(upsert("l", base + 2)));
            assertEquals(ApplyResult.ALREADY_CURRENT, retry.apply(upsert("l", base + 1)));
        }
    }

    @Test
    void aLostReplyToABatchCommitIsRetryableForEveryItemAndTheRetryIsHarmless() throws Exception {
        String table = newTable("lostcommit");
        URI target = URI.create(TestPostgres.jdbcUrl().substring("jdbc:".length()));
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", target.getPort())) {
            JdbcSink<TestItem> sink = sink(throughProxy(proxy, "COMMIT"), table);
            List<Change<TestItem>> batch = List.of(upsert("a", base + 1), delete("b", base + 1), upsert("c", base + 1));
            List<Sink.BatchItem> out = sink.applyAll(batch);
            assertEquals(1, proxy.repliesLost(), "the commit's reply was lost");
            for (Sink.BatchItem item : out) {
                assertFalse(item.succeeded());
                assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(item.error()), "" + item.error());
            }
            for (Change<TestItem> c : batch) {
                assertEquals(expected(c), pg.readBack(table, c.id()), "the commit landed: " + c.id());
            }
            for (Sink.BatchItem item : sink(pg.dataSource, table).applyAll(batch)) {
                assertEquals(ApplyResult.ALREADY_CURRENT, item.result());
            }
        }
    }

    /** A data source whose connections go through the proxy, which loses the reply containing the marker. */
    private static DataSource throughProxy(FaultProxy proxy, String marker) {
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setServerNames(new String[] {"127.0.0.1"});
        direct.setPortNumbers(new int[] {proxy.port()});
        direct.setDatabaseName(TestPostgres.DATABASE);
        direct.setUser(TestPostgres.USER);
        direct.setSslMode("disable");
        return (DataSource) java.lang.reflect.Proxy.newProxyInstance(JdbcSinkFaultsTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (p, m, args) -> {
                    try {
                        Object r = m.invoke(direct, args);
                        if (m.getName().equals("getConnection")) {
                            proxy.loseNextReplyContaining(marker);
                        }
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    // ------------------------------------------------------------------ batches

    /**
     * applyAll with stale, duplicate, new, delete, re-create items and one poison (a NUL character in
     * the state, which jsonb refuses): the poison fails PERMANENT and alone; the others land exactly
     * as one by one. And the same batch without the poison (the JDBC-batch path) gives the same results.
     */
    @Test
    void aBatchWithStaleDuplicateNewAndAPoisonLandsAllButThePoison() throws Exception {
        for (boolean withPoison : new boolean[] {true, false}) {
            String table = newTable("batch");
            JdbcSink<TestItem> sink = sink(pg.dataSource, table);
            sink.apply(upsert("stale", base + 5));
            sink.apply(upsert("dup", base + 3));
            sink.apply(delete("dead", base + 4));
            List<Change<TestItem>> batch = new ArrayList<>(List.of(upsert("stale", base + 4), upsert("dup", base + 3),
                    upsert("new", base + 1), upsert("dead", base + 3), upsert("dead", base + 6), delete("new", base + 2),
                    upsert("new", base + 1)));
            if (withPoison) {
                batch.add(3, upsert("poison", base + 1, new TestItem("poison", "nul \u0000 inside", 1, List.of())));
            }
            List<Sink.BatchItem> out = sink.applyAll(batch);
            List<ApplyResult> others = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                if (withPoison && i == 3) {
                    assertFalse(out.get(i).succeeded(), "the poison must fail");
                    assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(out.get(i).error()), "" + out.get(i).error());
                } else {
                    assertTrue(out.get(i).succeeded(), "item " + i + " must succeed: " + out.get(i).error());
                    others.add(out.get(i).result());
                }
            }
            assertEquals(List.of(ApplyResult.ALREADY_CURRENT, ApplyResult.ALREADY_CURRENT, ApplyResult.APPLIED,
                    ApplyResult.ALREADY_CURRENT, ApplyResult.APPLIED, ApplyResult.APPLIED, ApplyResult.ALREADY_CURRENT),
                    others, "withPoison=" + withPoison);
            assertEquals(expected(upsert("stale", base + 5)), pg.readBack(table, "stale"));
            assertEquals(expected(upsert("dup", base + 3)), pg.readBack(table, "dup"));
            assertEquals(expected(upsert("dead", base + 6)), pg.readBack(table, "dead"));
            assertEquals(expected(delete("new", base + 2)), pg.readBack(table, "new"));
            assertEquals(Optional.empty(), pg.readBack(table, "poison"));
        }
    }

    /**
     * The same with pgjdbc's reWriteBatchedInserts=true (one multi-row upsert per batch; two versions of
     * one id in a batch make PostgreSQL refuse it with 21000): the table still ends right, the poison
     * PERMANENT and alone.
     */
    @Test
    void aRewrittenBatchWithTwoVersionsOfOneIdAndAPoisonEndsRight() throws Exception {
        String table = newTable("rewrite");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestPostgres.jdbcUrl());
        config.setUsername(TestPostgres.USER);
        config.setMaximumPoolSize(2);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        try (HikariDataSource rewrite = new HikariDataSource(config)) {
            JdbcSink<TestItem> sink = sink(rewrite, table);
            sink.apply(upsert("stale", base + 5));
            sink.apply(delete("dead", base + 4));
            List<Change<TestItem>> clean = List.of(upsert("stale", base + 4), upsert("dead", base + 3), upsert("n1", base + 1),
                    upsert("n2", base + 1), delete("n3", base + 1));
            for (Sink.BatchItem item : sink.applyAll(clean)) {
                assertTrue(item.succeeded(), "" + item.error());
            }
            assertEquals(expected(upsert("stale", base + 5)), pg.readBack(table, "stale"));
            assertEquals(expected(delete("dead", base + 4)), pg.readBack(table, "dead"));
            List<Change<TestItem>> mixed = List.of(upsert("n1", base + 3), upsert("n1", base + 2), delete("n2", base + 2),
                    upsert("p", base + 1, new TestItem("p", "nul \u0000", 1, List.of())), upsert("dead", base + 5),
                    upsert("stale", base + 1));
            List<Sink.BatchItem> out = sink.applyAll(mixed);
            for (int i = 0; i < out.size(); i++) {
                if (i == 3) {
                    assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(out.get(i).error()), "" + out.get(i).error());
                } else {
                    assertTrue(out.get(i).succeeded(), i + ": " + out.get(i).error());
                }
            }
            assertEquals(expected(upsert("n1", base + 3)), pg.readBack(table, "n1"));
            assertEquals(expected(delete("n2", base + 2)), pg.readBack(table, "n2"));
            assertEquals(expected(upsert("dead", base + 5)), pg.readBack(table, "dead"));
            assertEquals(expected(upsert("stale", base + 5)), pg.readBack(table, "stale"));
            assertEquals(expected(delete("n3", base + 1)), pg.readBack(table, "n3"));
            assertEquals(Optional.empty(), pg.readBack(table, "p"));
        }
    }

    // ------------------------------------------------------------------ classification against the real server

    @Test
    void anUnreachableServerIsTransientThroughAPoolToo() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestPostgres.jdbcUrl("127.0.0.1", closedPort));
        config.setUsername(TestPostgres.USER);
        config.setConnectionTimeout(1000);
        config.setInitializationFailTimeout(-1);
        try (HikariDataSource down = new HikariDataSource(config)) {
            JdbcSink<TestItem> sink = sink(down, "no_such_table_needed");
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("x", base + 1)));
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "" + e);
            for (Sink.BatchItem item : sink.applyAll(List.of(upsert("x", base + 1), upsert("y", base + 1)))) {
                assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(item.error()), "" + item.error());
            }
        }
    }

    /** A lock held by another session: lock_timeout (55P03), statement_timeout (57014), a deadlock (40P01). */
    @Test
    void lockTimeoutsStatementTimeoutsAndDeadlocksOnTheSinksOwnStatementsAreTransient() throws Exception {
        String table = newTable("locks");
        sink(pg.dataSource, table).applyAll(List.of(upsert("a", base + 1), upsert("b", base + 1)));
        Map<String, ErrorKind> seen = new LinkedHashMap<>();
        try (HikariDataSource lockTimeout = pool("faults-locktimeout", true, "SET lock_timeout = '200ms'");
             HikariDataSource stmtTimeout = pool("faults-stmttimeout", true, "SET statement_timeout = '300ms'");
             Connection holder = pg.dataSource.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET committed_at = now() WHERE id = 'b'");
            }
            for (HikariDataSource ds : List.of(lockTimeout, stmtTimeout)) {
                JdbcSink<TestItem> sink = sink(ds, table);
                Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("b", base + 2)));
                seen.put(ds.getPoolName() + " single " + JdbcErrorClassifier.sqlState(e).orElse("none"),
                        sink.classifier().classify(e));
                List<Sink.BatchItem> out = sink.applyAll(List.of(upsert("a", base + 2), upsert("b", base + 2)));
                for (Sink.BatchItem item : out) {
                    assertFalse(item.succeeded(), "the batch waits on b and is rolled back as a whole");
                    seen.put(ds.getPoolName() + " batch " + JdbcErrorClassifier.sqlState(item.error()).orElse("none"),
                            sink.classifier().classify(item.error()));
                }
            }
            holder.rollback();
            // a real deadlock between the sink's batch and another transaction: the sink waits first, so it is the victim
            try (Statement s = holder.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET committed_at = now() WHERE id = 'b'");
            }
            JdbcSink<TestItem> sink = sink(pg.dataSource, table);
            CompletableFuture<List<Sink.BatchItem>> batch = CompletableFuture.supplyAsync(
                    () -> sink.applyAll(List.of(upsert("a", base + 3), upsert("b", base + 3))));
            Thread.sleep(300);
            try (Statement s = holder.createStatement()) {
                s.executeUpdate("UPDATE " + table + " SET committed_at = now() WHERE id = 'a'");
                holder.commit();
            } catch (SQLException holderWasVictim) {
                holder.rollback();
                seen.put("holder victim " + holderWasVictim.getSQLState(), ErrorKind.TRANSIENT);
            }
            for (Sink.BatchItem item : batch.get(20, TimeUnit.SECONDS)) {
                if (!item.succeeded()) {
                    seen.put("deadlock batch " + JdbcErrorClassifier.sqlState(item.error()).orElse("none"),
                            sink.classifier().classify(item.error()));
                }
            }
        }
        assertTrue(seen.keySet().stream().anyMatch(k -> k.contains("55P03")), "lock_timeout seen: " + seen);
        assertTrue(seen.keySet().stream().anyMatch(k -> k.contains("57014")), "statement_timeout seen: " + seen);
        assertTrue(seen.keySet().stream().anyMatch(k -> k.contains("40P01")), "a deadlock seen: " + seen);
        for (Map.Entry<String, ErrorKind> e : seen.entrySet()) {
            assertEquals(ErrorKind.TRANSIENT, e.getValue(), e.getKey());
        }
        JdbcSink<TestItem> sink = sink(pg.dataSource, table);
        sink.applyAll(List.of(upsert("a", base + 3), upsert("b", base + 3)));
        assertEquals(expected(upsert("a", base + 3)), pg.readBack(table, "a"));
        assertEquals(expected(upsert("b", base + 3)), pg.readBack(table, "b"));
    }

    /** A session that lands on a read-only server (a standby after a fail-over): 25006 TRANSIENT. */
    @Test
    void aReadOnlyServerIsTransient() throws Exception {
        String table = newTable("ro");
        try (HikariDataSource ro = pool("faults-readonly", true, "SET default_transaction_read_only = on")) {
            JdbcSink<TestItem> sink = sink(ro, table);
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("r", base + 1)));
            assertEquals("25006", JdbcErrorClassifier.sqlState(e).orElse(null), "" + e);
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e));
        }
    }

    // ------------------------------------------------------------------ odd data

    @Test
    void oddIdsHugeUnicodeStatesAndVersionsNearLongMaxRoundTripExactly() throws Exception {
        String table = newTable("odd");
        JdbcSink<TestItem> sink = sink(pg.dataSource, table);
        String huge = "é😀\"'\\\u2028<>&".repeat(12_000_000 / 10) + "tail";
        List<String> ids = List.of("", "'", "\"", "a b", "a  b ", "ключ", "😀", "a:b", "%", "_", "\\", "line\nbreak",
                "'; DROP TABLE x; --", "x".repeat(2000));
        long max = Long.MAX_VALUE;
        Map<String, Change<TestItem>> top = new LinkedHashMap<>();
        for (String id : ids) {
            TestItem state = new TestItem(id, id.isEmpty() ? huge : "ünïcødé " + id, Long.MIN_VALUE, List.of("😀", id));
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert(id, max - 1, state)), "[" + id + "]");
            Change<TestItem> last = upsert(id, max, state.withName(state.name() + "!"));
            assertEquals(ApplyResult.APPLIED, sink.apply(last), "[" + id + "] at Long.MAX_VALUE");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(id, max - 1, state)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(id, 1, state)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(id, max, state)), "same version, other state");
            assertEquals(expected(last), pg.readBack(table, id), "[" + id + "] read back");
            top.put(id, last);
        }
        Map<String, Long> want = new HashMap<>();
        top.forEach((id, c) -> want.put(id, c.version()));
        assertEquals(want, new HashMap<>(sink.versionsOf(top.keySet())), "versionsOf");
        List<String> listed = new ArrayList<>();
        String after = null;
        for (List<String> page = sink.idsAfter(null, 3); !page.isEmpty(); page = sink.idsAfter(after, 3)) {
            listed.addAll(page);
            after = page.get(page.size() - 1);
            if (listed.size() > 100) {
                fail("idsAfter does not end");
            }
        }
        assertEquals(new ArrayList<>(new TreeSet<>(top.keySet())), listed, "idsAfter: every id once, in String order");
    }

    /** An id the table cannot hold (a NUL character): a PERMANENT failure of that change, nothing written. */
    @Test
    void anIdWithANulCharacterIsPermanentAndWritesNothing() throws Exception {
        String table = newTable("nul");
        JdbcSink<TestItem> sink = sink(pg.dataSource, table);
        Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("a\u0000b", base + 1)));
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "" + e);
        List<Sink.BatchItem> out = sink.applyAll(List.of(upsert("ok", base + 1), upsert("a\u0000b", base + 1)));
        assertTrue(out.get(0).succeeded(), "the healthy one lands: " + out.get(0).error());
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(out.get(1).error()), "" + out.get(1).error());
        try (Connection c = pg.dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            assertEquals(1, rs.getInt(1), "only the healthy row");
        }
    }

    // ------------------------------------------------------------------ a proxy that loses one reply

}
