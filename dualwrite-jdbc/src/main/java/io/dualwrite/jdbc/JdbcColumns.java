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
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.jdbc.internal.SqlNames;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Objects;

/**
 * How an entity's state becomes columns of the sink's table, besides the columns the sink itself
 * keeps ({@code id}, {@code version}, {@code deleted}, {@code committed_at}). The default,
 * {@link #jsonb()}, stores the whole entity as JSON in one {@code state} column; users who want
 * real columns implement this interface:
 *
 * <pre>{@code
 * JdbcColumns<Product> columns = new JdbcColumns<>() {
 *     public List<String> names() { return List.of("name", "price_cents"); }
 *     public void bind(PreparedStatement ps, int first, Product p) throws SQLException {
 *         ps.setString(first, p.name());
 *         ps.setLong(first + 1, p.priceCents());
 *     }
 * };
 * }</pre>
 *
 * A delete writes a tombstone row: the sink sets every mapped column to NULL through
 * {@link #bindNulls}, so the columns must be nullable.
 *
 * <p>This is mapping code: the sink runs {@link #validate} and {@link #bind} (or
 * {@link #bindNulls}) while it maps a change, before any I/O, against a statement that records
 * the parameters set on it; the recorded values are bound to the real statement when the change
 * is sent, on every attempt. So call only the parameter setters ({@code setString(index, …)},
 * {@code setObject(index, …)}, {@code setNull(index, …)}…) and bind values that can be bound
 * more than once (no stream or reader that can be read only once). Anything thrown there, a
 * {@link NullPointerException} as much as an {@link IllegalArgumentException}, is the entity's own
 * failure: the change is dead-lettered at once as {@link io.dualwrite.ErrorKind#PERMANENT}, never
 * retried, and never counted against the sink's circuit breaker. Implementations must be
 * thread-safe.
 *
 * @param <T> the entity type
 */
public interface JdbcColumns<T> {
    /** The column of {@link #jsonb()}. */
    String DEFAULT_STATE_COLUMN = "state";

    /** @return the mapped columns, in the order {@link #bind} binds them; plain SQL identifiers */
    List<String> names();

    /**
     * Binds the state's values to the statement's parameters {@code first ... first + names().size() - 1}.
     *
     * @param ps    the statement, which takes only parameter setters (see above)
     * @param first the index of the first parameter
     * @param state the entity
     * @throws Exception if the state cannot be mapped: a PERMANENT failure of that change
     */
    void bind(PreparedStatement ps, int first, T state) throws Exception;

    /**
     * Binds NULL to every mapped column, for a tombstone row. The default uses {@link Types#NULL}.
     *
     * @param ps    the statement
     * @param first the index of the first parameter
     * @throws SQLException if the driver refuses
     */
    default void bindNulls(PreparedStatement ps, int first) throws SQLException {
        for (int i = 0; i < names().size(); i++) {
            ps.setNull(first + i, Types.NULL);
        }
    }

    /**
     * Checks that a state can be mapped, without a database. The sink calls it for every upsert
     * it maps, before {@link #bind}, for delivery and for a SHADOW sink's dry run alike. The
     * default does nothing.
     *
     * @param state the entity
     * @throws Exception if it cannot be mapped: a PERMANENT failure of that change
     */
    default void validate(T state) throws Exception {
    }

    /**
     * @param <T> the entity type
     * @return the whole entity as JSON in a {@code jsonb} column {@value #DEFAULT_STATE_COLUMN},
     *         written by a Jackson 2 {@link JsonMapper} with the Java time module
     */
    static <T> JdbcColumns<T> jsonb() {
        return jsonb(DEFAULT_STATE_COLUMN, Jackson2Json.of(JsonMapper.builder().addModule(new JavaTimeModule()).build()));
    }

    /**
     * @param json the application's JSON mapping, Jackson 2 or Jackson 3 ({@link Jackson2Json#of},
     *             {@link io.dualwrite.json.Jackson3Json#of}), not null
     * @param <T>  the entity type
     * @return the whole entity as the mapping writes it, in a {@code jsonb} column {@value #DEFAULT_STATE_COLUMN}
     */
    static <T> JdbcColumns<T> jsonb(Json json) {
        return jsonb(DEFAULT_STATE_COLUMN, json);
    }

    /**
     * @param column the JSON column's name
     * @param mapper the Jackson 2 mapper that writes the JSON
     * @param <T>    the entity type
     * @return the whole entity as JSON in one {@code json}/{@code jsonb} column; the same as
     *         {@code jsonb(column, Jackson2Json.of(mapper))}
     */
    static <T> JdbcColumns<T> jsonb(String column, ObjectMapper mapper) {
        return jsonb(column, Jackson2Json.of(mapper));
    }

    /**
     * @param column the JSON column's name
     * @param json   the application's JSON mapping, Jackson 2 or Jackson 3, that writes the JSON; not null
     * @param <T>    the entity type
     * @return the whole entity as JSON in one {@code json}/{@code jsonb} column
     */
    static <T> JdbcColumns<T> jsonb(String column, Json json) {
        SqlNames.column(column);
        Objects.requireNonNull(json, "json");
        return new JdbcColumns<>() {
            @Override
            public List<String> names() {
                return List.of(column);
            }

            @Override
            public void bind(PreparedStatement ps, int first, T state) throws Exception {
                // Types.OTHER lets the server cast the text to the column's json or jsonb type
                ps.setObject(first, json.write(state), Types.OTHER);
            }

            @Override
            public void bindNulls(PreparedStatement ps, int first) throws SQLException {
                ps.setNull(first, Types.OTHER);
            }
            // no validate: bind writes the JSON while the change is mapped, so it fails there already
        };
    }
}
