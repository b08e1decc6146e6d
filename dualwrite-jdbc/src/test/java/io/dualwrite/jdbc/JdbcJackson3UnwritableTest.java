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
import io.dualwrite.spi.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A batch through the JDBC sink with a Jackson 3 mapper, where one entity cannot be written (a getter throws):
 * the others are applied, and that one fails {@link ErrorKind#PERMANENT} to the sink's classifier (dead-lettered,
 * never retried).
 */
class JdbcJackson3UnwritableTest {
    @RegisterExtension
    static final PostgresFixture pg = new PostgresFixture();
    private static final String TYPE = "gadget";

    /** An entity whose getter throws when it is marked bad. */
    public static final class Gadget {
        public String name;
        public boolean bad;

        public Gadget() {
        }

        Gadget(String name, boolean bad) {
            this.name = name;
            this.bad = bad;
        }

        public String getLabel() {
            if (bad) {
                throw new IllegalStateException("no label for " + name);
            }
            return name.toUpperCase();
        }
    }

    private static Change<Gadget> upsert(String id, long version, Gadget state) {
        return Change.<Gadget>builder().entityType(TYPE).id(id).version(version).operation(Operation.UPSERT)
                .state(state).correlationId("c-" + id).time(Instant.now()).build();
    }

    @Test
    void anUnwritableEntityInABatchFailsPermanentlyAndTheOthersAreApplied() throws Exception {
        String table = pg.table("j3bad");
        JdbcTables.createPostgresTable(pg.dataSource, table);
        JdbcSink<Gadget> sink = JdbcSink.builder(TYPE, Gadget.class).dataSource(pg.dataSource).table(table)
                .json(Jackson3Json.defaults()).build();
        long v = Versions.firstVersion(Instant.now());
        List<Sink.BatchItem> out = sink.applyAll(List.of(upsert("g1", v, new Gadget("g1", false)),
                upsert("g2", v, new Gadget("g2", true)), upsert("g3", v, new Gadget("g3", false))));
        assertEquals(ApplyResult.APPLIED, out.get(0).result(), "the first is applied: " + out.get(0).error());
        assertFalse(out.get(1).succeeded(), "the unwritable one fails");
        assertNotNull(out.get(1).error());
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(out.get(1).error()),
                "permanent: " + out.get(1).error());
        assertEquals(ApplyResult.APPLIED, out.get(2).result(), "the third is applied: " + out.get(2).error());
    }
}
