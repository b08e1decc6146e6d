package io.dualwrite.cli.internal;

import io.dualwrite.cli.DualWriteCli;
import io.dualwrite.mongo.reconcile.ReconcileRequests;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code dualwrite reconcile watch ID}: follows a request's run to its end, then prints its report. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Watch a reconciliation request: on a terminal a progress bar with ids per second and the time"
                + " left, otherwise a line at every change; then the run's report (drift by sink and class, repairs).",
                "Exits 0 when the run completed, 1 when it failed, 5 when it did not end within --timeout."})
final class ReconcileWatchCommand extends PrimaryCommand {
    @Parameters(paramLabel = "ID", description = "the request's id, as 'reconcile request' printed it")
    String id;

    @Mixin
    RequestWatch.Options watch;

    @Override
    int run(Primary primary, Render render, Root root) {
        if (!ReconcileRequests.isValidId(id)) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "'" + id + "' is not a reconciliation request id (24"
                    + " hexadecimal digits, as 'reconcile request' prints it)");
        }
        if (primary.reconcileRequests().get(id).isEmpty()) {
            throw new CliException(DualWriteCli.EXIT_NOT_FOUND, "no reconciliation request '" + id + "'");
        }
        return watch.follow(primary, id, render, err(), terminal());
    }
}
