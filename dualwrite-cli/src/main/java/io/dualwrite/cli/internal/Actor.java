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
