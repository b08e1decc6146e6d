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

import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.operations.Operations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dualwrite dead-letters replay}: makes the delivery of each chosen dead letter pending again in the primary,
 * due now, and removes the dead letter ({@link Operations#replay}); the application's recovery worker then delivers
 * the entity's current state through the sink's normal road, exactly as it recovers any write. With {@code --wait}
 * the tool follows each until it is delivered or dead-lettered again.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay dead letters, by id or by filter: each entity's delivery to the sink becomes pending"
                + " again, due now, and the application's running recovery worker delivers the entity's current state."
                + " The dead letter is removed; if the delivery fails for good, a new one takes its place.",
                "Each replay is recorded in the primary's " + Operations.AUDIT_COLLECTION + " collection."})
final class DeadLetterReplayCommand extends PrimaryCommand {
    @Mixin
    Selection selection;

    @Mixin
    Actor actor;

    @Option(names = {"-w", "--wait"}, description = "follow each replay until it is delivered or dead-lettered again")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", converter = Times.DurationConverter.class,
            description = "how long --wait follows; default ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "250ms", hidden = true,
            converter = Times.DurationConverter.class, description = "how often --wait reads the primary")
    Duration poll;

    @Override
    int run(Primary primary, Render render, Root root) {
        selection.requireChosen("replay");
        // every check before the first change: a bad name or a missing entity changes nothing
        List<Operations.Replay> replays = primary.ops().replay(selection.resolve(primary), actor.by, actor.reason);
        boolean timedOut = false;
        if (await) {
            timedOut = !follow(primary, replays);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Operations.Replay r : replays) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", r.deadLetter().id());
            row.put("version", r.version());
            boolean open = timedOut && !r.settled();
            row.put("outcome", open ? "still pending" : r.outcome().text());
            row.put("detail", open ? "not delivered within " + Times.human(timeout)
                    + "; is the application's recovery worker running?" : r.detail());
            rows.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("replayed", rows);
        render.print(report);
        if (replays.stream().anyMatch(r -> r.outcome() == Operations.ReplayOutcome.NOT_ARMED)) {
            return DualWriteCli.EXIT_FAILED;
        }
        return !await || replays.stream().allMatch(r -> r.outcome() == Operations.ReplayOutcome.DELIVERED) ? 0
                : DualWriteCli.EXIT_NOT_DELIVERED;
    }

    /** Follows the replays in place until each is settled; @return false when the timeout came first */
    private boolean follow(Primary primary, List<Operations.Replay> replays) {
        Instant deadline = CLOCK.instant().plus(timeout);
        while (true) {
            boolean open = false;
            for (int i = 0; i < replays.size(); i++) {
                Operations.Replay before = replays.get(i);
                Operations.Replay now = primary.ops().follow(before);
                if (now != before) {
                    replays.set(i, now);
                    err().println(now.deadLetter().id() + ": " + now.outcome().text() + " (" + now.detail() + ")");
                    err().flush();
                }
                open |= !now.settled();
            }
            if (!open) {
                return true;
            }
            if (!CLOCK.instant().isBefore(deadline) || !Times.pause(poll)) {
                return false;
            }
        }
    }
}
