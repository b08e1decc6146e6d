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
package io.dualwrite.cli.internal;

import io.dualwrite.DeadLetter;
import io.dualwrite.mongo.operations.DeadLetters;
import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.spi.Intent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code dualwrite dead-letters show ID}: every field of one dead letter, and where its entity stands now. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show one dead letter in full, and where its entity stands now: its version in the primary and"
                + " whether a delivery to the sink is pending again.")
final class DeadLetterShowCommand extends PrimaryCommand {
    @Parameters(paramLabel = "ID", description = "the dead letter id, TYPE/ENTITY-ID#SINK")
    String id;

    @Override
    int run(Primary primary, Render render, Root root) {
        DeadLetter d = Selection.one(primary, id);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("dead_letter", DeadLetters.fields(d));
        report.put("entity", entityNow(primary, d));
        render.print(report);
        return 0;
    }

    /** @return the entity's version, whether it is deleted, and the sink's pending intent, as the primary holds them */
    static Map<String, Object> entityNow(Primary primary, DeadLetter d) {
        Operations.EntityState state = primary.ops().entityOf(d);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("state", state.state());
        if (state.version() != null) {
            e.put("version", state.version());
            Intent i = state.pendingToSink();
            e.put("pending_to_sink", i == null ? null : "version " + i.version() + ", due " + Render.cell(i.dueAt())
                    + ", attempts " + i.attempts());
            e.put("lease", state.leaseOwner() == null ? null : state.leaseOwner() + " until "
                    + Render.cell(state.leaseUntil()));
        }
        return e;
    }
}
