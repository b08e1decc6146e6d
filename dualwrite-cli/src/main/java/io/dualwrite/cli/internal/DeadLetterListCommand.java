package io.dualwrite.cli.internal;

import io.dualwrite.DeadLetter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code dualwrite dead-letters list}: the dead letters a filter matches, oldest first. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List dead letters, oldest first, by id or filtered by entity type, sink, error kind, entity id"
                + " and time.")
final class DeadLetterListCommand extends PrimaryCommand {
    @Mixin
    Selection selection;

    @Override
    int run(Primary primary, Render render, Root root) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (DeadLetter d : selection.resolve(primary)) {
            rows.add(DeadLetterFields.row(d));
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("dead_letters", rows);
        render.print(report);
        return 0;
    }
}
