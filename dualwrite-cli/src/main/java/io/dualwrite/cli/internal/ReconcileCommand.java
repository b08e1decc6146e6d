package io.dualwrite.cli.internal;

import picocli.CommandLine.Command;

/** {@code dualwrite reconcile}: the parent of request, watch and history. */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Ask the running application for a reconciliation (a dry run, or one that repairs), watch it to"
                + " its end, and read the runs of the past with their drift and repairs.",
        subcommands = {ReconcileRequestCommand.class, ReconcileWatchCommand.class, ReconcileHistoryCommand.class})
final class ReconcileCommand {
}
