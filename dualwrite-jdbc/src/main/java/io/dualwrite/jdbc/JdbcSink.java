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
import io.dualwrite.ErrorClassifier;
import io.dualwrite.internal.Args;
import io.dualwrite.jdbc.internal.SqlNames;
import io.dualwrite.jdbc.internal.StatementParameters;
import io.dualwrite.json.Json;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.ReconcilableSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Keeps a table in step with the primary, one row per entity, proven on PostgreSQL.
 *
 * <p>Every change is one statement whose version guard lives in the statement itself:
 * <pre>{@code
 * INSERT INTO t AS target (id, version, deleted, committed_at, state) VALUES (?, ?, ?, ?, ?)
 * ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, ... WHERE target.version < EXCLUDED.version
 * }</pre>
 * so concurrent, duplicate and late deliveries can never move a row backwards; one updated row
 * means {@link ApplyResult#APPLIED}, none means {@link ApplyResult#ALREADY_CURRENT}. A delete is
 * the same statement with {@code deleted = true} and NULL mapped columns: the tombstone row keeps
 * the version, so an older write cannot bring the entity back. Readers of the table filter on
 * {@code NOT deleted}; {@link #purgeTombstones(Instant)} removes old tombstones.
 *
 * <pre>{@code
 * JdbcTables.createPostgresTable(dataSource, "product_view");   // or your own migration
 * JdbcSink<Product> sink = JdbcSink.builder("product", Product.class).dataSource(dataSource).table("product_view").build();
 * }</pre>
 *
 * <p><b>Mapping, then I/O.</b> {@link #map} is the mapping step, without a database: it checks
 * the change's entity type, runs {@link JdbcColumns#validate} and {@link JdbcColumns#bind} (against
 * a statement that only records the parameters) and keeps the statement's parameters. A failure
 * there is the entity's own: the coordinator dead-letters it at once as
 * {@link io.dualwrite.ErrorKind#PERMANENT}, never retries it and never counts it against the sink's
 * circuit breaker. {@link #send} and {@link #sendAll} are the I/O: they borrow a connection, bind the
 * recorded parameters and run the statement (as one batch in one transaction for several changes).
 *
 * <p>The table needs the columns {@code id} (text, primary key or unique), {@code version} (bigint),
 * {@code deleted} (boolean), {@code committed_at} (timestamptz) and the mapped ones
 * ({@link JdbcColumns}); see {@link JdbcTables#postgresDdl(String)}. The sink borrows a connection
 * from the data source per call and returns it. Thread-safe.
 *
 * <p><b>Compared by version only</b>, not a {@link io.dualwrite.spi.ContentDigestingSink}. A content
 * digest must be computed from a change without I/O and equal the digest of the row read back, but
 * the row is what the database made of the bound parameters: casts to the column types, the scale
 * and rounding of a {@code numeric}, the precision of a {@code timestamptz}, the padding of a
 * {@code char(n)}, the normal form of {@code jsonb} (keys sorted, duplicates dropped, numbers as
 * {@code numeric}); and a {@link JdbcColumns} may bind any type to any column. The sink cannot
 * predict that without asking the database, and a digest that guessed would report rows that are
 * right as drift for ever (a rewrite stores the same row again).
 *
 * @param <T> the entity type
 */
public final class JdbcSink<T> implements MappingSink<T, StatementParameters>, ReconcilableSink<T> {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcSink.class);

    private final DataSource dataSource;
    private final String entityType;
    private final String table;
    private final JdbcColumns<T> columns;
    private final String upsertSql;
    private final String versionsSql;
    private final String firstIdsSql;
    private final String idsAfterSql;
    private final String purgeSql;

    private JdbcSink(Builder<T> b) {
        this.dataSource = b.dataSource;
        this.entityType = b.entityType;
        this.table = b.table;
        this.columns = b.columns;
        List<String> mapped = columns.names().stream().map(SqlNames::column).collect(Collectors.toList());
        for (String reserved : List.of("id", "version", "deleted", "committed_at")) {
            if (mapped.contains(reserved)) {
                throw new IllegalStateException("mapped column '" + reserved + "' is kept by the sink itself");
            }
        }
        List<String> all = new ArrayList<>(List.of("id", "version", "deleted", "committed_at"));
        all.addAll(mapped);
        this.upsertSql = "INSERT INTO " + table + " AS target (" + String.join(", ", all) + ") VALUES ("
                + all.stream().map(c -> "?").collect(Collectors.joining(", ")) + ") ON CONFLICT (id) DO UPDATE SET "
                + all.stream().skip(1).map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "))
                + " WHERE target.version < EXCLUDED.version";
        this.versionsSql = "SELECT id, version FROM " + table + " WHERE id = ANY(?) AND NOT deleted";
        this.firstIdsSql = "SELECT id FROM " + table + " WHERE NOT deleted ORDER BY id COLLATE \"C\" LIMIT ?";
        this.idsAfterSql = "SELECT id FROM " + table + " WHERE NOT deleted AND id COLLATE \"C\" > ? "
                + "ORDER BY id COLLATE \"C\" LIMIT ?";
        this.purgeSql = "DELETE FROM " + table + " WHERE deleted AND committed_at < ?";
    }

    /**
     * Starts a JDBC sink. Every sink of the library is built the same way:
     * {@code JdbcSink.builder(entityType, entityClass)} names what it follows, the setters say where it
     * writes, and {@code build()} checks that nothing required is missing.
     *
     * @param entityType  the entity type this sink keeps: the writer's, or the writer refuses the sink at build
     * @param entityClass the entity class
     * @param <T>         the entity type
     * @return a builder; {@link Builder#dataSource} and {@link Builder#table} are required, the default mapping is
     *         {@link JdbcColumns#jsonb()}
     * @throws IllegalArgumentException if the entity type is blank
     */
    public static <T> Builder<T> builder(String entityType, Class<T> entityClass) {
        Objects.requireNonNull(entityClass, "entityClass");
        return new Builder<>(entityType);
    }

    /** @return the entity type this sink was built for: a writer of another type refuses it */
    @Override
    public Optional<String> boundEntityType() {
        return Optional.of(entityType);
    }

    /**
     * Maps a change to the parameters of the upsert, without a database.
     *
     * @param change the change
     * @return the statement's parameters: id, version, deleted, commit time and the mapped columns
     *         (NULL for a delete)
     * @throws Exception an {@link IllegalArgumentException} for a change of another entity type, or
     *                   what the {@link JdbcColumns} throw (an {@link UnsupportedOperationException}
     *                   when their {@code bind} calls anything but a parameter setter)
     */
    @Override
    public StatementParameters map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        Args.sameEntityType("JDBC sink (table " + table + ")", entityType, change);
        if (!change.isDelete()) {
            columns.validate(change.requireState());
        }
        return StatementParameters.record(ps -> {
            ps.setString(1, change.id());
            ps.setLong(2, change.version());
            ps.setBoolean(3, change.isDelete());
            ps.setObject(4, OffsetDateTime.ofInstant(change.time(), ZoneOffset.UTC));
            if (change.isDelete()) {
                columns.bindNulls(ps, 5);
            } else {
                columns.bind(ps, 5, change.requireState());
            }
        });
    }

    /**
     * Runs the upsert of one change on a connection borrowed for the call.
     *
     * @param change     the change
     * @param parameters what {@link #map} made of it
     * @return {@link ApplyResult#APPLIED} when the row changed, {@link ApplyResult#ALREADY_CURRENT}
     *         when the table holds this version or a newer one
     * @throws JdbcSinkException when the statement or the connection fails, with its SQL state
     */
    @Override
    public ApplyResult send(Change<T> change, StatementParameters parameters) throws JdbcSinkException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(upsertSql)) {
            parameters.bindTo(ps);
            boolean applied = updateCommitted(c, ps) > 0;
            LOG.debug("jdbc {} {} into {} -> {}", change.operation(), change.idempotencyKey(), table,
                    applied ? "applied" : "already current");
            return applied ? ApplyResult.APPLIED : ApplyResult.ALREADY_CURRENT;
        } catch (SQLException e) {
            throw failure(change.operation().name(), change.idempotencyKey(), e);
        }
    }

    /**
     * Sends the changes as one JDBC batch in one transaction, ordered by id so that concurrent
     * batches lock rows in the same order. When a change is refused (a permanent failure, which
     * rolls the whole batch back), each change is sent on its own so that only the bad ones fail;
     * when the database or the connection fails, every item fails with that retryable error. A driver that reports no
     * per-statement counts ({@link Statement#SUCCESS_NO_INFO}, as pgjdbc with
     * {@code reWriteBatchedInserts=true}) makes every item {@link ApplyResult#APPLIED}.
     */
    @Override
    public List<BatchItem> sendAll(List<Mapped<T, StatementParameters>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        if (mapped.isEmpty()) {
            return List.of();
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < mapped.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> mapped.get(i).change().id())
                .thenComparingLong(i -> mapped.get(i).change().version()));
        BatchItem[] out = new BatchItem[mapped.size()];
        Exception failure;
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(upsertSql)) {
                for (int i : order) {
                    mapped.get(i).request().bindTo(ps);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                c.commit();
                for (int k = 0; k < order.size(); k++) {
                    int n = counts[k];
                    out[order.get(k)] = BatchItem.of(n > 0 || n == Statement.SUCCESS_NO_INFO
                            ? ApplyResult.APPLIED : ApplyResult.ALREADY_CURRENT);
                }
                return List.of(out);
            } catch (Exception e) {
                rollbackQuietly(c);
                failure = e;
            } finally {
                restoreAutoCommit(c, autoCommit);
            }
        } catch (SQLException e) {
            failure = e;
        }
        if (classifier().classify(failure).isRetryable()) {
            Exception cause = failure instanceof SQLException
                    ? failure("batch of " + mapped.size() + " changes", null, (SQLException) failure) : failure;
            List<BatchItem> result = new ArrayList<>(mapped.size());
            // the database or the connection failed, not a change: every item waits for the retry
            LOG.debug("jdbc batch of {} into {} failed transiently: {}", mapped.size(), table, cause.getMessage());
            for (int i = 0; i < mapped.size(); i++) {
                result.add(BatchItem.failed(cause));
            }
            return result;
        }
        // a change was refused and rolled the batch back: send one by one so only the bad ones fail
        LOG.debug("jdbc batch of {} into {} refused (SQL state {}); applying its changes one by one", mapped.size(),
                table, JdbcErrorClassifier.sqlState(failure).orElse("none"));
        return MappingSink.super.sendAll(mapped);
    }

    @Override
    public ErrorClassifier classifier() {
        return JdbcErrorClassifier.instance();
    }

    /** One {@code SELECT ... WHERE id = ANY(?)} for all the ids. */
    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws JdbcSinkException {
        Objects.requireNonNull(ids, "ids");
        Map<String, Long> out = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(versionsSql)) {
            Array array = c.createArrayOf("text", ids.toArray());
            try {
                ps.setArray(1, array);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getLong(2));
                    }
                }
            } finally {
                array.free();
            }
        } catch (SQLException e) {
            throw failure("versionsOf " + ids.size() + " ids", null, e);
        }
        return out;
    }

    /**
     * Keyset pagination in the "C" collation, whose byte order is {@link String#compareTo} order for
     * every id without characters outside the Basic Multilingual Plane.
     */
    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws JdbcSinkException {
        Args.atLeast(limit, 1, "limit");
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(afterExclusive == null ? firstIdsSql : idsAfterSql)) {
            int i = 1;
            if (afterExclusive != null) {
                ps.setString(i++, afterExclusive);
            }
            ps.setInt(i, limit);
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        } catch (SQLException e) {
            throw failure("idsAfter", null, e);
        }
    }

    /**
     * Deletes tombstone rows of deletes committed before a time. After that, an older write of such an
     * entity would be accepted again: only purge what no delivery can still bring (older than the
     * recovery grace period plus the retry backoff plus the time dead letters may wait).
     *
     * @param committedBefore tombstones of deletes committed before this are removed
     * @return the number of rows removed
     * @throws JdbcSinkException if the statement fails
     */
    public int purgeTombstones(Instant committedBefore) throws JdbcSinkException {
        Objects.requireNonNull(committedBefore, "committedBefore");
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(purgeSql)) {
            ps.setObject(1, OffsetDateTime.ofInstant(committedBefore, ZoneOffset.UTC));
            int n = updateCommitted(c, ps);
            LOG.debug("purged {} tombstones from {}", n, table);
            return n;
        } catch (SQLException e) {
            throw failure("purgeTombstones", null, e);
        }
    }

    /** @return the entity type this sink keeps */
    public String entityType() {
        return entityType;
    }

    /** @return the table */
    public String table() {
        return table;
    }

    /** @return the upsert statement this sink runs, for documentation and review */
    public String upsertSql() {
        return upsertSql;
    }

    /**
     * Turns a driver failure into a {@link JdbcSinkException} whose message holds no row values: the
     * server's reason is kept (its first line, from the failing statement rather than a batch's
     * summary, which repeats the statement with its parameters) except for data exceptions (class
     * 22), whose reason may quote the offending value. The idempotency key comes last: an id can be
     * long, and a message cut short (a dead letter keeps the first thousand characters) must still
     * say why.
     */
    private JdbcSinkException failure(String operation, String key, SQLException e) {
        SQLException reason = e;
        for (SQLException next = e; next != null; next = next.getNextException()) {
            reason = next;
            if (!(next instanceof java.sql.BatchUpdateException)) {
                break;
            }
        }
        String state = JdbcErrorClassifier.sqlState(e).orElse(null);
        String text = String.valueOf(reason.getMessage()).lines().findFirst().orElse("").strip();
        if (reason instanceof java.sql.BatchUpdateException) {
            text = "the batch was refused";
        } else if (state != null && state.startsWith("22")) {
            text = "data exception (the server's reason may quote a value and is withheld)";
        } else if (text.length() > 200) {
            text = text.substring(0, 200) + "…";
        }
        return new JdbcSinkException(operation + " on " + table + " failed: SQL state "
                + (state == null ? "none" : state) + ": " + text + (key == null ? "" : "; key " + key),
                classifier().classify(e), state, table);
    }

    /**
     * Runs one update, and commits it when the pool hands out connections with auto-commit off (as JPA setups
     * configure HikariCP): returned to such a pool uncommitted, the update would be rolled back after the sink had
     * reported it applied.
     */
    private static int updateCommitted(Connection c, PreparedStatement ps) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        try {
            int n = ps.executeUpdate();
            if (!autoCommit) {
                c.commit();
            }
            return n;
        } catch (SQLException e) {
            if (!autoCommit) {
                rollbackQuietly(c);
            }
            throw e;
        }
    }

    private static void restoreAutoCommit(Connection c, boolean autoCommit) {
        try {
            c.setAutoCommit(autoCommit);
        } catch (SQLException e) {
            LOG.debug("could not restore auto-commit after a batch: {}", e.toString());
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback after a failed batch failed too: {}", e.toString());
        }
    }

    /**
     * Builds a {@link JdbcSink}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private final String entityType;
        private DataSource dataSource;
        private String table;
        private JdbcColumns<T> columns = JdbcColumns.jsonb();

        private Builder(String entityType) {
            this.entityType = Args.notBlank(entityType, "entityType");
        }

        /**
         * @param dataSource where the table lives (a pool such as HikariCP in production); required. The application
         *                   owns it and closes it after the writer.
         * @return this
         */
        public Builder<T> dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * @param table the table, a plain identifier, optionally schema-qualified; required
         * @return this
         * @throws IllegalArgumentException if it is not a plain (optionally schema-qualified) identifier
         */
        public Builder<T> table(String table) {
            this.table = SqlNames.table(table);
            return this;
        }

        /**
         * @param columns how the state becomes columns; default {@link JdbcColumns#jsonb()} (one
         *                {@code state jsonb} column)
         * @return this
         */
        public Builder<T> columns(JdbcColumns<T> columns) {
            this.columns = Objects.requireNonNull(columns, "columns");
            return this;
        }

        /**
         * Stores the whole entity in the {@value JdbcColumns#DEFAULT_STATE_COLUMN} column as the application's
         * mapper writes it: the same as {@code columns(JdbcColumns.jsonb(json))}, and replaces what
         * {@link #columns} set.
         *
         * @param json the application's JSON mapping, Jackson 2 or Jackson 3
         *             ({@link io.dualwrite.json.Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of})
         * @return this
         */
        public Builder<T> json(Json json) {
            return columns(JdbcColumns.jsonb(json));
        }

        /**
         * @return the sink
         * @throws IllegalStateException if the data source or the table is missing, or a mapped column is one the
         *                               sink keeps itself
         * @throws IllegalArgumentException if a mapped column is not a plain identifier
         */
        public JdbcSink<T> build() {
            if (dataSource == null) {
                throw new IllegalStateException("a DataSource is required: .dataSource(pool)");
            }
            if (table == null) {
                throw new IllegalStateException("a table is required: .table(\"product_view\")");
            }
            return new JdbcSink<>(this);
        }
    }
}
