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

import io.dualwrite.mongo.operations.Operations;
import io.dualwrite.reconcile.ReconcileReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dualwrite status}: per entity type and sink, the pending intents (how many, how many due, the oldest due
 * time's age, the most attempts), the dead letters by error kind, the recovery leases with who holds them, and the
 * latest reconciliation run of each type.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Per entity type and sink: pending intents, how many are due, how long the oldest has been due,"
                + " the most attempts spent, and the dead letters by error kind; then the recovery leases held and"
                + " who holds them; and the latest reconciliation run of each type, with its drift by class.",
                "Pending intents are read from the documents' dualwrite metadata (embedded intents) and from the"
                        + " write-ahead intent collections (<collection>_dualwrite_intents)."})
final class StatusCommand extends PrimaryCommand {
    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "only this entity type")
    String type;

    @Override
    int run(Primary primary, Render render, Root root) {
        Instant now = CLOCK.instant();
        Operations.Status status = primary.ops().status(type);
        List<Map<String, Object>> sinks = new ArrayList<>();
        for (Operations.SinkBacklog b : status.deliveries()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("type", b.type());
            row.put("sink", b.sink());
            row.put("intents", b.intents());
            row.put("pending", b.pending());
            row.put("due", b.due());
            row.put("oldest_due_for", b.oldestDue() == null || b.oldestDue().isAfter(now) ? null
                    : Duration.between(b.oldestDue(), now));
            row.put("max_attempts", b.pending() == 0 ? null : b.maxAttempts());
            row.put("dead_letters", b.deadLetterCount());
            row.put("dead_by_kind", b.deadLetters());
            sinks.add(row);
        }
        List<Map<String, Object>> leases = new ArrayList<>();
        for (Operations.LeaseHolding l : status.leases()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("type", l.type());
            row.put("owner", l.owner());
            row.put("entities", l.entities());
            row.put("until", l.until());
            leases.add(row);
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        for (ReconcileReport r : status.reconciliations()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("type", r.entityType());
            row.put("mode", r.mode().name());
            row.put("status", r.status().name());
            row.put("started", r.startedAt());
            row.put("ended", r.endedAt());
            row.put("sinks", r.sinks());
            row.put("drift", r.drift());
            row.put("drift_by_class", RequestView.byClass(r));
            row.put("repaired", r.repaired());
            runs.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("deliveries", sinks);
        report.put("leases", leases);
        report.put("reconciliation", runs);
        render.print(report);
        return 0;
    }
}
