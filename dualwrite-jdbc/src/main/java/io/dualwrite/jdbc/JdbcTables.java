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

import io.dualwrite.jdbc.internal.SqlNames;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The table a {@link JdbcSink} with the default {@link JdbcColumns#jsonb()} mapping expects, on
 * PostgreSQL. Creating the schema is the application's business (a migration tool); this class
 * gives the DDL and, for tests and examples, creates it. Thread-safe (stateless).
 */
public final class JdbcTables {
    private JdbcTables() {
    }

    /**
     * The PostgreSQL DDL of a sink table with the JSON mapping. {@code id} uses the "C" collation so
     * its index order is the byte order the reconciler pages by.
     *
     * @param table the table name, optionally schema-qualified
     * @return a {@code CREATE TABLE IF NOT EXISTS} statement
     * @throws IllegalArgumentException if the name is not a plain identifier
     */
    public static String postgresDdl(String table) {
        return "CREATE TABLE IF NOT EXISTS " + SqlNames.table(table) + " (\n"
                + "  id           text COLLATE \"C\" PRIMARY KEY,\n"
                + "  version      bigint      NOT NULL,\n"
                + "  deleted      boolean     NOT NULL DEFAULT false,\n"
                + "  committed_at timestamptz NOT NULL,\n"
                + "  state        jsonb\n"
                + ")";
    }

    /**
     * Creates the table of {@link #postgresDdl(String)} if it does not exist.
     *
     * @param dataSource where
     * @param table      the table name
     * @throws SQLException if the statement fails
     */
    public static void createPostgresTable(DataSource dataSource, String table) throws SQLException {
        String ddl = postgresDdl(table);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(ddl);
            if (!c.getAutoCommit()) {
                c.commit(); // a pool with auto-commit off would roll the DDL back when the connection goes back
            }
        }
    }
}
