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

import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;

import java.util.Objects;
import java.util.Optional;

/**
 * A failed statement of the JDBC sink, already classified, with its SQL state and table. The
 * message names the operation, the table, the SQL state and the server's reason, then the
 * idempotency key (last, so that a message cut short still says why), but never row values: a
 * driver's own message can carry the statement with its parameters (pgjdbc's batch errors) or the
 * failing row (a constraint's detail), so the driver's exception is not kept as the cause.
 * Immutable.
 */
public final class JdbcSinkException extends SinkException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** The SQL state, or null. */
    private final String sqlState;
    /** The sink's table. */
    private final String table;

    /**
     * @param message  what failed, without row values
     * @param kind     how to treat it
     * @param sqlState the SQL state, may be null
     * @param table    the sink's table
     */
    public JdbcSinkException(String message, ErrorKind kind, String sqlState, String table) {
        super(message, kind, null);
        this.sqlState = sqlState;
        this.table = Objects.requireNonNull(table, "table");
    }

    /** @return the SQL state, empty when the driver gave none */
    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }

    /** @return the sink's table */
    public String table() {
        return table;
    }
}
