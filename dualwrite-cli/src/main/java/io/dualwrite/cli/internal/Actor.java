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

import picocli.CommandLine.Option;

/** Who acts and why, for the audit record of a change. Not thread-safe. */
final class Actor {
    @Option(names = "--by", paramLabel = "NAME", defaultValue = "${sys:user.name}",
            description = "who acts, for the audit record; default the OS user (${DEFAULT-VALUE})")
    String by;

    @Option(names = "--reason", paramLabel = "TEXT", description = "why, for the audit record")
    String reason;
}
