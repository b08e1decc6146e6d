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

/** {@code dualwrite reconcile}: the parent of request, watch and history. */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Ask the running application for a reconciliation (a dry run, or one that repairs), watch it to"
                + " its end, and read the runs of the past with their drift and repairs.",
        subcommands = {ReconcileRequestCommand.class, ReconcileWatchCommand.class, ReconcileHistoryCommand.class})
final class ReconcileCommand {
}
