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
        primary.ops().reconciliation(id);
        return watch.follow(primary, id, render, err(), terminal());
    }
}
