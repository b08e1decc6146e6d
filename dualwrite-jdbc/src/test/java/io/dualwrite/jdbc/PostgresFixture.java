package io.dualwrite.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.testkit.servers.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A JUnit extension (register it on a static field) holding a HikariCP pool on the test
 * PostgreSQL and naming tables uniquely per run; it drops the run's tables after the class.
 */
final class PostgresFixture implements BeforeAllCallback, AfterAllCallback {
    HikariDataSource dataSource;
    private final String run = "dw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final List<String> tables = new ArrayList<>();

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
