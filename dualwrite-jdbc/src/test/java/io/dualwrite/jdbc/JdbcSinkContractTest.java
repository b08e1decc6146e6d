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
import io.dualwrite.Operation;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The sink contract against the real PostgreSQL (local service, DUALWRITE_POSTGRES_ADDRESS, or Testcontainers). */
class JdbcSinkContractTest extends AbstractSinkContractTest<TestItem> {
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();
    private String table;

    @Override
    protected Sink<TestItem> createSink() throws Exception {
        table = pg.table("contract");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        // a rule of the destination that a change can break: prices are never negative
        pg.execute("ALTER TABLE " + table + " ADD CONSTRAINT price_not_negative CHECK ((state->>'price')::bigint >= 0)");
        return JdbcSink.builder(entityType(), TestItem.class).dataSource(pg.dataSource).table(table).build();
    }

    /** A column mapping that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        JdbcColumns<TestItem> json = JdbcColumns.jsonb();
        JdbcColumns<TestItem> failing = new JdbcColumns<>() {
            @Override
            public List<String> names() {
                return json.names();
            }

            @Override
            public void bind(PreparedStatement ps, int first, TestItem item) throws Exception {
                if (item.id().equals(unmappableId)) {
                    throw new NullPointerException("the mapping found no value it needs in " + item.id());
                }
                json.bind(ps, first, item);
            }

            @Override
            public void bindNulls(PreparedStatement ps, int first) throws SQLException {
                json.bindNulls(ps, first);
            }
        };
        return Optional.of(JdbcSink.builder(entityType(), TestItem.class).dataSource(pg.dataSource).table(table).columns(failing).build());
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    /** A negative price breaks the table's check constraint (SQL state 23514) every time. */
    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        return Optional.of(Change.<TestItem>builder().entityType(entityType()).id(id).version(version)
                .operation(Operation.UPSERT).state(new TestItem(id, "negative", -1, List.of()))
                .correlationId("poison-" + id).time(Instant.now()).build());
    }

    /** Reads the row with plain SQL, not through the sink. */
    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        return pg.readBack(table, id);
    }
}
