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
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What is specific to the JDBC sink, against the real PostgreSQL. */
class JdbcSinkTest {
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();
    private static final String TYPE = "item";
    private final long base = Versions.firstVersion(Instant.now());

    private static Change<TestItem> upsert(String id, long version, TestItem state) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.UPSERT)
                .state(state).correlationId("c-" + id).time(Instant.now()).build();
    }

    private static Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.DELETE)
                .correlationId("c-" + id).time(Instant.now()).build();
    }

    private JdbcSink<TestItem> jsonSink() throws SQLException {
        String table = pg.table("json");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JdbcTables.createPostgresTable(pg.dataSource, table); // the helper is idempotent
        return JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table).build();
    }

    /** A sink mapping name and price to columns of their own: name varchar(5), price smallint, a unique sku. */
    private JdbcSink<TestItem> columnSink() throws SQLException {
        String table = pg.table("cols");
        pg.execute("CREATE TABLE " + table + " (id text COLLATE \"C\" PRIMARY KEY, version bigint NOT NULL, "
                + "deleted boolean NOT NULL, committed_at timestamptz NOT NULL, name varchar(5), price smallint, sku text UNIQUE)");
        JdbcColumns<TestItem> columns = new JdbcColumns<>() {
            @Override
            public List<String> names() {
                return List.of("name", "price", "sku");
            }

            @Override
            public void bind(PreparedStatement ps, int first, TestItem item) throws SQLException {
                ps.setString(first, item.name());
                ps.setLong(first + 1, item.price());
                ps.setString(first + 2, item.tags().isEmpty() ? null : item.tags().get(0));
            }
        };
        return JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table).columns(columns).build();
    }

    private static Object[] row(JdbcSink<?> sink, String id, String... columns) throws SQLException {
        try (Connection c = pg.dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + String.join(", ", columns) + " FROM " + sink.table()
                     + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Object[] out = new Object[columns.length];
                for (int i = 0; i < columns.length; i++) {
                    out[i] = rs.getObject(i + 1);
                }
                return out;
            }
        }
    }

    @Test
    void storesTheStateTheApplicationsJackson3MapperWrites() throws Exception {
        String table = pg.table("jackson3");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JsonMapper upperCamel = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();
        JdbcSink<TestItem> sink = JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table)
                .json(Jackson3Json.of(upperCamel)).build();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("j3", base + 1, new TestItem("j3", "lamp", 1200, List.of()))));
        Object[] stored = row(sink, "j3", "state->>'Name'", "(state->>'Price')::bigint", "jsonb_exists(state, 'name')");
        assertEquals(List.of("lamp", 1200L, false), Arrays.asList(stored),
                "the jsonb column holds the fields as the mapper's naming strategy named them, none by default names");
        assertEquals(Map.of("j3", base + 1), sink.versionsOf(List.of("j3")), "the sink reads its version back");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("j3", base + 1, new TestItem("j3", "lamp", 1200,
                List.of()))), "a repeat changes nothing");
    }

    @Test
    void deleteLeavesATombstoneRowThatRefusesOlderWritesUntilPurged() throws Exception {
        JdbcSink<TestItem> sink = jsonSink();
        sink.apply(upsert("t1", base + 1, TestItem.variant("t1", 1)));
        assertEquals(ApplyResult.APPLIED, sink.apply(delete("t1", base + 2)), "the delete must be applied");
        Object[] tomb = row(sink, "t1", "version", "deleted", "state");
        assertEquals(List.of(base + 2, true), List.of(tomb[0], tomb[1]), "the tombstone row keeps the delete's version");
        assertNull(tomb[2], "a tombstone row holds no state");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t1", base + 1, TestItem.variant("t1", 1))),
                "the tombstone must refuse an older write");
        assertEquals(0, sink.purgeTombstones(Instant.now().minusSeconds(3600)), "a recent tombstone is not purged");
        assertEquals(1, sink.purgeTombstones(Instant.now().plusSeconds(60)), "an old enough tombstone is purged");
        assertNull(row(sink, "t1", "version"), "the purged row is gone");
    }

    @Test
    void userMappedColumnsAreWrittenAndNulledByADelete() throws Exception {
        JdbcSink<TestItem> sink = columnSink();
        TestItem item = new TestItem("m1", "pen", 250, List.of("sku-1"));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("m1", base + 1, item)), "a mapped upsert must apply");
        assertEquals(Arrays.asList("pen", 250, "sku-1", false), Arrays.asList(row(sink, "m1", "name", "price", "sku", "deleted")),
                "each mapped column must hold its value");
        sink.apply(delete("m1", base + 2));
        assertEquals(Arrays.asList(null, null, null, true), Arrays.asList(row(sink, "m1", "name", "price", "sku", "deleted")),
                "a delete must null every mapped column and mark the row deleted");
    }

    @Test
    void realDataAndConstraintErrorsArePermanent() throws Exception {
        JdbcSink<TestItem> sink = columnSink();
        sink.apply(upsert("u1", base + 1, new TestItem("u1", "ok", 1, List.of("taken"))));
        assertPermanent(sink, upsert("u2", base + 1, new TestItem("u2", "ok", 1, List.of("taken"))), "23505");
        assertPermanent(sink, upsert("u3", base + 1, new TestItem("u3", "too long a name", 1, List.of())), "22001");
        assertPermanent(sink, upsert("u4", base + 1, new TestItem("u4", "ok", 100_000, List.of())), "22003");
        JdbcSink<TestItem> missing = JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(pg.table("never_created")).build();
        assertPermanent(missing, upsert("u5", base + 1, TestItem.variant("u5", 1)), "42P01");
    }

    private static void assertPermanent(JdbcSink<TestItem> sink, Change<TestItem> change, String state) {
        Exception e = assertThrows(Exception.class, () -> sink.apply(change), "the statement must fail: " + change);
        assertEquals(state, JdbcErrorClassifier.sqlState(e).orElse(null), "the SQL state of " + e);
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "SQL state " + state + " must be PERMANENT");
        assertTrue(e.getMessage().contains(state) && e.getMessage().contains(change.idempotencyKey()),
                "the message names the SQL state and the key: " + e.getMessage());
        assertTrue(e.getMessage().indexOf(state) < e.getMessage().indexOf(change.idempotencyKey()),
                "the SQL state comes before the key, which can be long: " + e.getMessage());
        assertFalse(e.getMessage().contains(change.requireState().name()),
                "the message must never carry row values: " + e.getMessage());
    }

    @Test
    void aBatchWithABadChangeAppliesTheOthersOneByOne() throws Exception {
        JdbcSink<TestItem> sink = columnSink();
        List<Change<TestItem>> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(upsert("b" + i, base + 1, new TestItem("b" + i, "n" + (i % 10), i, List.of())));
        }
        batch.add(25, upsert("bad", base + 1, new TestItem("bad", "far too long", 1, List.of())));
        List<Sink.BatchItem> items = sink.applyAll(batch);
        assertEquals(51, items.size(), "one result per change");
        assertFalse(items.get(25).succeeded(), "the bad change must fail");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(items.get(25).error()), "and be PERMANENT");
        assertFalse(items.get(25).error().getMessage().contains("far too long"),
                "the message must never carry row values: " + items.get(25).error().getMessage());
        assertEquals(50, items.stream().filter(i -> i.succeeded() && i.result() == ApplyResult.APPLIED).count(),
                "every other change must be applied");
        assertEquals(50, sink.versionsOf(batch.stream().map(Change::id).toList()).size(), "50 rows must be live");
        List<Sink.BatchItem> again = sink.applyAll(batch.subList(0, 25));
        assertTrue(again.stream().allMatch(i -> i.result() == ApplyResult.ALREADY_CURRENT),
                "a redelivered batch is ALREADY_CURRENT item by item (counts come from the batch)");
    }

    @Test
    void concurrentBatchesOverTheSameRowsInOppositeOrdersDoNotDeadlock() throws Exception {
        JdbcSink<TestItem> sink = jsonSink();
        long seed = 424242L;
        System.out.println("concurrentBatches seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        int threads = 4;
        int rounds = 5;
        List<List<Change<TestItem>>> batches = new ArrayList<>();
        for (int t = 0; t < threads * rounds; t++) {
            List<Change<TestItem>> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String id = "row-" + i;
                batch.add(upsert(id, base + t + 1, TestItem.variant(id, t + 1)));
            }
            java.util.Collections.shuffle(batch, random); // each batch touches the rows in its own order
            batches.add(batch);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<List<Sink.BatchItem>>> results = new ArrayList<>();
            for (List<Change<TestItem>> batch : batches) {
                results.add(pool.submit(() -> sink.applyAll(batch)));
            }
            for (java.util.concurrent.Future<List<Sink.BatchItem>> f : results) {
                for (Sink.BatchItem item : f.get(1, TimeUnit.MINUTES)) {
                    assertTrue(item.succeeded(), "no batch item may fail (a deadlock would be 40P01, seed " + seed + "): "
                            + item.error());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        java.util.Map<String, Long> held = sink.versionsOf(batches.get(0).stream().map(Change::id).toList());
        assertEquals(40, held.size(), "every row must be live");
        assertTrue(held.values().stream().allMatch(v -> v == base + threads * rounds),
                "every row must end at the highest version (seed " + seed + "): " + held);
    }

    @Test
    void anUnreachableDatabaseFailsEveryBatchItemTransiently() throws Exception {
        PGSimpleDataSource nowhere = new PGSimpleDataSource();
        nowhere.setUrl("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=2");
        nowhere.setUser("postgres");
        JdbcSink<TestItem> sink = JdbcSink.builder(TYPE, TestItem.class).dataSource(nowhere).table("anything").build();
        List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("x", base, TestItem.variant("x", 1)), delete("y", base)));
        for (Sink.BatchItem item : items) {
            assertFalse(item.succeeded(), "nothing can be applied without a database");
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(item.error()), "connection refused: " + item.error());
        }
        assertFalse(items.get(0).error().getMessage().contains("item x"), "no row values in " + items.get(0).error());
        Exception e = assertThrows(Exception.class, () -> sink.versionsOf(List.of("x")), "reads fail too");
        assertEquals("08001", JdbcErrorClassifier.sqlState(e).orElse(null), "connection refused is SQL state 08001");
    }

    @Test
    void aRealDeadlockIsTransient() throws Exception {
        String table = pg.table("deadlock");
        pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, n int)", "INSERT INTO " + table + " VALUES (1, 0), (2, 0)");
        try (Connection a = pg.dataSource.getConnection(); Connection b = pg.dataSource.getConnection()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            for (Connection c : List.of(a, b)) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET deadlock_timeout = '50ms'");
                }
            }
            update(a, table, 1);
            update(b, table, 2);
            CompletableFuture<Void> aWaits = CompletableFuture.runAsync(() -> {
                try {
                    update(a, table, 2);
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            SQLException failure = null;
            try {
                update(b, table, 1);
            } catch (SQLException e) {
                failure = e;
                b.rollback();
            }
            try {
                aWaits.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                failure = (SQLException) (cause instanceof SQLException ? cause : cause.getCause());
            }
            a.rollback();
            b.rollback();
            assertTrue(failure != null, "one of the two transactions must be chosen as the deadlock victim");
            assertEquals("40P01", failure.getSQLState(), "a deadlock is SQL state 40P01");
            assertEquals(ErrorKind.TRANSIENT, JdbcErrorClassifier.instance().classify(failure), "a deadlock is TRANSIENT");
        }
    }

    @Test
    void aRealSerializationFailureIsTransient() throws Exception {
        String table = pg.table("serial");
        pg.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, n int)", "INSERT INTO " + table + " VALUES (1, 0)");
        try (Connection a = pg.dataSource.getConnection(); Connection b = pg.dataSource.getConnection()) {
            a.setAutoCommit(false);
            a.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = a.createStatement()) {
                s.executeQuery("SELECT n FROM " + table + " WHERE id = 1").close();
            }
            update(b, table, 1); // b auto-commits a change a's snapshot does not see
            SQLException e = assertThrows(SQLException.class, () -> update(a, table, 1), "a must fail to serialize");
            a.rollback();
            a.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            assertEquals("40001", e.getSQLState(), "a serialization failure is SQL state 40001");
            assertEquals(ErrorKind.TRANSIENT, JdbcErrorClassifier.instance().classify(e), "40001 is TRANSIENT");
        }
    }

    @Test
    void aTerminatedSessionIsRetried() throws Exception {
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setUrl(io.dualwrite.testkit.servers.TestPostgres.jdbcUrl());
        direct.setUser(io.dualwrite.testkit.servers.TestPostgres.USER);
        try (Connection victim = direct.getConnection()) {
            int pid;
            try (Statement s = victim.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            pg.execute("SELECT pg_terminate_backend(" + pid + ")");
            SQLException e = assertThrows(SQLException.class, () -> {
                try (Statement s = victim.createStatement()) {
                    s.execute("SELECT 1");
                }
            }, "a terminated session must fail its next statement");
            String state = JdbcErrorClassifier.sqlState(e).orElse("none");
            assertTrue(state.equals("57P01") || state.startsWith("08"), "admin shutdown or connection failure, was " + state);
            ErrorKind kind = JdbcErrorClassifier.instance().classify(e);
            assertEquals(JdbcErrorClassifier.ruleFor(state).orElseThrow().kind(), kind, "SQL state " + state + " by the table");
            // 57P01 rolled the statement back (TRANSIENT); a lost connection may have carried it (UNKNOWN_OUTCOME)
            assertTrue(kind.isRetryable(), "a terminated session is retried: SQL state " + state + " is " + kind);
        }
    }

    @Test
    void anUnmappableEntityFailsPermanentlyBeforeTouchingTheTable() throws Exception {
        String table = pg.table("unmappable");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JdbcSink<Object> sink = JdbcSink.builder(TYPE, Object.class).dataSource(pg.dataSource).table(table).build();
        Change<Object> change = Change.builder().entityType(TYPE).id("o1").version(base).operation(Operation.UPSERT)
                .state(new Object()).correlationId("c").time(Instant.now()).build();
        Exception v = assertThrows(Exception.class, () -> sink.validate(change), "Jackson cannot map a bare Object");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(v), "a mapping failure is PERMANENT: " + v);
        Exception a = assertThrows(Exception.class, () -> sink.apply(change), "apply fails the same way");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(a), "and PERMANENT: " + a);
        assertTrue(sink.versionsOf(List.of("o1")).isEmpty(), "nothing was written");
    }

    @Test
    void aColumnMappingThatReachesForTheDatabaseFailsWhileMappingBeforeAnyIo() throws Exception {
        String table = pg.table("reaching");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JdbcColumns<TestItem> reaching = new JdbcColumns<>() {
            @Override
            public List<String> names() {
                return List.of("state");
            }

            @Override
            public void bind(PreparedStatement ps, int first, TestItem item) throws SQLException {
                ps.setObject(first, ps.getConnection().createArrayOf("text", item.tags().toArray()), Types.OTHER);
            }
        };
        JdbcSink<TestItem> sink = JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table).columns(reaching).build();
        MappingException e = assertThrows(MappingException.class,
                () -> sink.apply(upsert("r1", base + 1, TestItem.variant("r1", 1))), "mapping may not reach the database");
        assertInstanceOf(UnsupportedOperationException.class, e.getCause(), "only parameter setters are allowed: " + e);
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "a mapping failure is PERMANENT");
        assertTrue(sink.versionsOf(List.of("r1")).isEmpty(), "nothing was written");
    }

    @Test
    void namesAndTypesAreChecked() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table("t; DROP TABLE x"),
                "a table name is a plain identifier");
        assertThrows(IllegalArgumentException.class, () -> JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table("a.b.c"), "at most schema.table");
        assertThrows(IllegalStateException.class, () -> JdbcSink.builder(TYPE, TestItem.class).table("t").build(),
                "a data source is required");
        assertThrows(IllegalStateException.class, () -> JdbcSink.builder(TYPE, TestItem.class)
                .dataSource(pg.dataSource).build(), "a table is required");
        assertThrows(IllegalArgumentException.class, () -> JdbcSink.builder(" ", TestItem.class), "an entity type");
        JdbcColumns<TestItem> clash = new JdbcColumns<>() {
            @Override
            public List<String> names() {
                return List.of("version");
            }

            @Override
            public void bind(PreparedStatement ps, int first, TestItem state) {
            }
        };
        assertThrows(IllegalStateException.class, () -> JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table("t").columns(clash).build(),
                "a mapped column may not be one the sink keeps");
        JdbcSink<TestItem> sink = jsonSink();
        Change<TestItem> other = Change.<TestItem>builder().entityType("other").id("o").version(base)
                .operation(Operation.DELETE).correlationId("c").time(Instant.now()).build();
        MappingException e = assertThrows(MappingException.class, () -> sink.apply(other),
                "another entity type is refused before any I/O");
        assertInstanceOf(IllegalArgumentException.class, e.getCause(), "as an illegal argument: " + e);
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "and that is PERMANENT");
        assertTrue(sink.upsertSql().contains("WHERE target.version < EXCLUDED.version"), "the guard is in the statement");
    }

    private static void update(Connection c, String table, int id) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE " + table + " SET n = n + 1 WHERE id = " + id);
        }
    }
}
