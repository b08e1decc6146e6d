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
import io.dualwrite.mongo.reconcile.ReconcileRequest;
import io.dualwrite.reconcile.ReconcileMode;
import io.dualwrite.reconcile.ReconcileScope;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code dualwrite reconcile request}: records a reconciliation request in the primary, which the application's
 * request worker runs; prints its id, and with {@code --wait} watches it to its end.
 */
@Command(name = "request", mixinStandardHelpOptions = true,
        description = {"Ask the running application to reconcile an entity type: every id, a range of ids (--after,"
                + " --to) or a list (--id), with every sink or some (--sink); a dry run reports the drift, --apply"
                + " repairs it too. The request is recorded in the primary and one instance of the application runs"
                + " it; the tool prints its id.",
                "With --wait it watches the run to its end, as 'reconcile watch' does."})
final class ReconcileRequestCommand extends PrimaryCommand {
    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE", description = "the entity type")
    String type;

    @Option(names = {"-s", "--sink"}, paramLabel = "NAME", description = "only this sink (repeatable); default every"
            + " sink the application reconciles")
    List<String> sinks = new ArrayList<>();

    @Option(names = "--after", paramLabel = "ID", description = "only ids after this one (excluded)")
    String after;

    @Option(names = "--to", paramLabel = "ID", description = "only ids up to this one (included)")
    String to;

    @Option(names = "--id", paramLabel = "ID", description = "only this id (repeatable); not with --after or --to")
    List<String> ids = new ArrayList<>();

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    /** Dry run or apply: one of the two, always said. */
    static final class Mode {
        @Option(names = "--dry-run", required = true, description = "compare and report; change no sink")
        boolean dryRun;

        @Option(names = "--apply", required = true, description = "compare and repair what differs")
        boolean apply;
    }

    @Option(names = "--by", paramLabel = "NAME", defaultValue = "${sys:user.name}",
            description = "who asks, recorded with the request; default the OS user (${DEFAULT-VALUE})")
    String by;

    @Mixin
    RequestWatch.Options watch;

    @Option(names = {"-w", "--wait"}, description = "watch the run to its end")
    boolean await;

    @Override
    int run(Primary primary, Render render, Root root) {
        ReconcileScope scope = scope();
        ReconcileRequest r = primary.ops().requestReconciliation(type, scope,
                mode.apply ? ReconcileMode.APPLY : ReconcileMode.DRY_RUN, by);
        if (!await) {
            render.print(RequestView.of(r));
            return DualWriteCli.EXIT_OK;
        }
        err().println("requested " + r.id());
        return watch.follow(primary, r.id(), render, err(), terminal());
    }

    /** @return the scope the options name, checked before anything is read or recorded */
    private ReconcileScope scope() {
        ReconcileScope scope;
        try {
            if (!ids.isEmpty()) {
                if (after != null || to != null) {
                    throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "give either --id or a range (--after, --to),"
                            + " not both");
                }
                scope = ReconcileScope.ids(ids);
            } else if (after != null || to != null) {
                scope = ReconcileScope.range(after, to);
            } else {
                scope = ReconcileScope.all();
            }
            return sinks.isEmpty() ? scope : scope.sinks(sinks);
        } catch (IllegalArgumentException e) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, e.getMessage(), e);
        }
    }
}
