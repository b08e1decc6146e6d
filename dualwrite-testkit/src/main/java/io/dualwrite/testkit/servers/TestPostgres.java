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
package io.dualwrite.testkit.servers;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The PostgreSQL that tests use, chosen once per JVM: the {@code host:port} in the environment
 * variable (or system property) {@value #ADDRESS_VARIABLE}; else the local service at
 * 127.0.0.1:5432 when it accepts a connection to database {@value #DATABASE} as user
 * {@value #USER}; else a Testcontainers PostgreSQL ({@value #IMAGE}, trust authentication) when
 * Docker runs; else the calling test is skipped with a message naming PostgreSQL. The PostgreSQL
 * JDBC driver must be on the test class path. Thread-safe.
 */
public final class TestPostgres {
    /** The environment variable or system property naming an external PostgreSQL as host:port. */
    public static final String ADDRESS_VARIABLE = "DUALWRITE_POSTGRES_ADDRESS";
    /** The image Testcontainers starts. */
    public static final String IMAGE = "postgres:15-alpine";
    /** The database tests use. */
    public static final String DATABASE = "test";
    /** The user tests connect as (trust authentication, no password). */
    public static final String USER = "postgres";

    private static volatile TestServer server;

    private TestPostgres() {
    }

    /** @return the PostgreSQL for tests; skips the calling test when there is none */
    public static synchronized TestServer server() {
        if (server == null) {
            server = Locator.locate("PostgreSQL", ADDRESS_VARIABLE, "127.0.0.1", 5432, TestPostgres::accepts,
                    () -> new GenericContainer<>(IMAGE).withExposedPorts(5432)
                            .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust").withEnv("POSTGRES_DB", DATABASE)
                            .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)),
                    5432);
        }
        return server;
    }

    /** @return the JDBC URL of database {@value #DATABASE} on {@link #server()} */
    public static String jdbcUrl() {
        return jdbcUrl(server().host(), server().port());
    }

    /**
     * @param host a host
     * @param port a port (for example a fault proxy's in front of {@link #server()})
     * @return the JDBC URL of database {@value #DATABASE} there
     */
    public static String jdbcUrl(String host, int port) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + DATABASE;
    }

    private static boolean accepts(TestServer s) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(s.host(), s.port()) + "?connectTimeout=2", USER, "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }
}
