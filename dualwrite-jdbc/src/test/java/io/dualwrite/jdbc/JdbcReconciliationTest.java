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

import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractReconciliationContractTest;
import io.dualwrite.testkit.contract.Stored;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Optional;

/**
 * The reconciliation contract against a real PostgreSQL table, read and, for drift made by hand,
 * changed with plain SQL.
 */
class JdbcReconciliationTest extends AbstractReconciliationContractTest {
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();
    private String table;

    @Override
    protected ReconcilableSink<TestItem> newSink() throws Exception {
        table = pg.table("reconcile");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        return JdbcSink.builder(TYPE, TestItem.class).dataSource(pg.dataSource).table(table).build();
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(String id) throws Exception {
        return pg.readBack(table, id);
    }

    @Override
    protected boolean removeDirectly(String id) throws Exception {
        pg.execute("DELETE FROM " + table + " WHERE id = '" + id + "'");
        return true;
    }

    @Override
    protected boolean setVersionDirectly(String id, long version) throws Exception {
        pg.execute("UPDATE " + table + " SET version = " + version + " WHERE id = '" + id + "'");
        return true;
    }
}
