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

import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.RepairOutcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A reconciliation request and its run's report, as the sections {@link Render} prints. Stateless. */
final class RequestView {
    private RequestView() {
    }

    static Map<String, Object> of(ReconcileRequest r) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("id", r.id());
        request.put("type", r.entityType());
        request.put("mode", r.mode().name());
        request.put("scope", r.scope().toString());
        request.put("sinks", r.scope().sinks().isEmpty() ? "every sink" : new ArrayList<>(r.scope().sinks()));
        request.put("status", r.status().name());
        request.put("phase", r.phase());
        request.put("requested_by", r.requestedBy());
        request.put("requested", r.requestedAt());
        request.put("holder", r.owner());
        request.put("attempts", r.attempts());
        request.put("started", r.startedAt());
        request.put("ended", r.endedAt());
        r.failure().ifPresent(reason -> request.put("reason", reason));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("request", request);
        r.finalReport().ifPresent(rep -> {
            report.put("run", run(rep));
            report.put("drift", drift(rep));
            report.put("repairs", repairs(rep));
        });
        return report;
    }

    private static Map<String, Object> run(ReconcileReport rep) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("run_id", rep.runId());
        run.put("status", rep.status().name());
        run.put("ids_covered", rep.idsCovered());
        run.put("duration", Duration.ofMillis(rep.durationMillis()));
        run.put("drift", rep.drift());
        run.put("drift_by_class", byClass(rep));
        run.put("repaired", rep.repaired());
        run.put("resumes", rep.resumes());
        run.put("errors", rep.errors());
        return run;
    }

    /** @return the ids out of sync by drift class, the classes found only */
    static Map<String, Long> byClass(ReconcileReport rep) {
        Map<String, Long> byClass = new LinkedHashMap<>();
        rep.driftByClass().forEach((c, n) -> byClass.put(c.name(), n));
        return byClass;
    }

    private static List<Map<String, Object>> drift(ReconcileReport rep) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String sink : rep.sinks()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("sink", sink);
            for (DriftClass c : DriftClass.values()) {
                row.put(c.name().toLowerCase(Locale.ROOT), rep.count(sink, c));
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<Map<String, Object>> repairs(ReconcileReport rep) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String sink : rep.sinks()) {
            Map<RepairOutcome, Long> done = rep.actions().getOrDefault(sink, Map.of());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("sink", sink);
            for (RepairOutcome o : RepairOutcome.values()) {
                row.put(o.name().toLowerCase(Locale.ROOT), done.getOrDefault(o, 0L));
            }
            rows.add(row);
        }
        return rows;
    }
}
