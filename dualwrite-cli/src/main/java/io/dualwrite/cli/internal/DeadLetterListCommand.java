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
