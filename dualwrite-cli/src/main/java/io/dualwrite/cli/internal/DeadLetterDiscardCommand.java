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
import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.operations.Operations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dualwrite dead-letters discard}: removes dead letters for good, after a confirmation, leaving an audit
 * record of each in the primary. A dead letter that failed again since it was read (a newer version merged into it)
 * is kept: the operator never discards what they did not see.
 */
@Command(name = "discard", mixinStandardHelpOptions = true,
        description = {"Discard dead letters, by id or by filter, after confirming (or with --yes). Each discard is"
                + " recorded in the primary's " + Operations.AUDIT_COLLECTION + " collection: who (--by), why (--reason), what"
                + " and when.",
                "A dead letter that failed again since it was listed is kept."})
final class DeadLetterDiscardCommand extends PrimaryCommand {
    @Mixin
    Selection selection;

    @Mixin
    Actor actor;

    @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
    boolean yes;

    @Override
    int run(Primary primary, Render render, Root root) {
        selection.requireChosen("discard");
        if (actor.reason == null || actor.reason.isBlank()) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "say why with --reason: it is kept in the audit record");
        }
        List<DeadLetter> chosen = selection.resolve(primary);
        if (!chosen.isEmpty() && !yes && !confirmed(chosen, root)) {
            err().println("nothing discarded");
            err().flush();
            return DualWriteCli.EXIT_FAILED;
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Operations.Discard d : primary.ops().discard(chosen, actor.by, actor.reason)) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", d.deadLetter().id());
            row.put("version", d.deadLetter().version());
            row.put("outcome", d.outcome().text());
            row.put("audit_id", d.auditId());
            rows.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("discarded", rows);
        render.print(report);
        return rows.stream().allMatch(r -> "discarded".equals(r.get("outcome"))) ? 0 : DualWriteCli.EXIT_FAILED;
    }

    private boolean confirmed(List<DeadLetter> chosen, Root root) {
        PrintWriter err = err();
        err.println("about to discard " + chosen.size() + " dead letter(s):");
        chosen.forEach(d -> err.println("  " + d.id() + " @" + d.version() + " " + d.kind() + ": " + d.lastError()));
        err.print("discard them? [y/N] ");
        err.flush();
        try {
            String answer = new BufferedReader(new InputStreamReader(root.in, StandardCharsets.UTF_8)).readLine();
            return answer != null && List.of("y", "yes").contains(answer.trim().toLowerCase(Locale.ROOT));
        } catch (IOException e) {
            return false;
        }
    }
}
