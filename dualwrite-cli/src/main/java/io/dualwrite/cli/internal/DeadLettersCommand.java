package io.dualwrite.cli.internal;

import picocli.CommandLine.Command;

/** {@code dualwrite dead-letters}: the parent of list, show, replay and discard. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List, show, replay or discard dead letters: deliveries that failed for good, one per entity and"
                + " sink, with the id TYPE/ENTITY-ID#SINK.",
        subcommands = {DeadLetterListCommand.class, DeadLetterShowCommand.class, DeadLetterReplayCommand.class,
                DeadLetterDiscardCommand.class})
final class DeadLettersCommand {
}
