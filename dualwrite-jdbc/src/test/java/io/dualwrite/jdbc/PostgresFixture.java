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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.servers.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A JUnit extension (register it on a static field) holding a HikariCP pool on the test
 * PostgreSQL and naming tables uniquely per run; it drops the run's tables after the class.
 */
final class PostgresFixture implements BeforeAllCallback, AfterAllCallback {
    HikariDataSource dataSource;
    private final String run = "dw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final List<String> tables = new ArrayList<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void beforeAll(ExtensionContext context) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(TestPostgres.jdbcUrl());
        config.setUsername(TestPostgres.USER);
        config.setMaximumPoolSize(6);
        config.setConnectionTimeout(5000);
        config.setPoolName("dualwrite-jdbc-test");
        dataSource = new HikariDataSource(config);
    }

    /**
     * @param name a short name
     * @return a table name unique to this run, dropped after the class
     */
    synchronized String table(String name) {
        String table = run + "_" + name + "_" + tables.size();
        tables.add(table);
        return table;
    }

    /**
     * @param sql statements to run, each on its own
     * @throws SQLException if one fails
     */
    void execute(String... sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    /**
     * Reads the row of an entity with plain SQL, not through the sink.
     *
     * @param table a table made by {@code JdbcTables}
     * @param id    the entity id
     * @return a live entity with its state, a tombstone, or empty when the table has no row for it
     * @throws SQLException if the table cannot be read
     * @throws IOException  if the state is not JSON of a {@link TestItem}
     */
    Optional<Stored<TestItem>> readBack(String table, String id) throws SQLException, IOException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT version, deleted, state::text FROM " + table + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long version = rs.getLong(1);
                return rs.getBoolean(2) ? Optional.of(Stored.deleted(version))
                        : Optional.of(Stored.live(version, JSON.readValue(rs.getString(3), TestItem.class)));
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        try {
            for (String table : tables) {
                execute("DROP TABLE IF EXISTS " + table);
            }
        } finally {
            dataSource.close();
        }
    }
}
