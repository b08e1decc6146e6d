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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code dualwrite reconcile history}: the reconciliation runs of the past, the latest first. */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = "The reconciliation runs of the past, the latest first: requested ones and those the"
                + " application ran on its own, each with its drift by class and the repairs it made.")
final class ReconcileHistoryCommand extends PrimaryCommand {
    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "only this entity type")
    String type;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20",
            description = "the most runs shown; default ${DEFAULT-VALUE}")
    int limit;

    @Override
    int run(Primary primary, Render render, Root root) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Operations.PastRun past : primary.ops().reconciliationHistory(type, limit)) {
            ReconcileReport r = past.report();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("run", r.runId());
            row.put("type", r.entityType());
            row.put("mode", r.mode().name());
            row.put("status", r.status().name());
            row.put("started", r.startedAt());
            row.put("duration", Duration.ofMillis(r.durationMillis()));
            row.put("scope", r.scope());
            row.put("sinks", r.sinks());
            row.put("covered", r.idsCovered());
            row.put("drift", r.drift());
            row.put("drift_by_class", RequestView.byClass(r));
            row.put("repaired", r.repaired());
            row.put("request", past.requestId());
            rows.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("runs", rows);
        render.print(report);
        return 0;
    }
}
