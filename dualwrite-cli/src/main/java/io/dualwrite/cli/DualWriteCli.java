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
package io.dualwrite.cli;

import io.dualwrite.cli.internal.Root;
import picocli.CommandLine;

import java.io.InputStream;
import java.util.Objects;

/**
 * The operator's command line, {@code dualwrite}: the backlog of pending deliveries and who holds them, the dead
 * letters (list, show, replay through the application's recovery worker, discard with an audit record), and
 * reconciliations (requested from the application's request worker, watched to their end, and their history). It needs
 * only the MongoDB connection ({@code --mongo-uri} or the environment variable {@value #URI_VARIABLE}): everything
 * it shows and changes lives in the primary. {@code dualwrite --help} lists the commands; docs/operations.md shows
 * each with its output.
 *
 * <p>Exit codes: {@value #EXIT_OK} done; {@value #EXIT_FAILED} the act failed or was not confirmed;
 * {@value #EXIT_BAD_INPUT} bad input (an unknown command, option, entity type or error kind, a malformed id or
 * time); {@value #EXIT_UNREACHABLE} MongoDB could not be reached; {@value #EXIT_NOT_FOUND} a named dead letter,
 * entity or reconciliation request does not exist; {@value #EXIT_NOT_DELIVERED} a replay followed with {@code --wait}
 * failed again or was not delivered in time, or a watched reconciliation did not end in time (a watched
 * reconciliation that failed exits with {@value #EXIT_FAILED}). Nothing is changed when the exit code is {@value #EXIT_BAD_INPUT}, {@value #EXIT_UNREACHABLE} or
 * {@value #EXIT_NOT_FOUND}.
 *
 * <p>Thread safety: each {@link CommandLine} this class makes runs one command at a time.
 */
public final class DualWriteCli {
    /** The environment variable that gives the MongoDB connection string when {@code --mongo-uri} is absent. */
    public static final String URI_VARIABLE = "DUALWRITE_MONGO_URI";
    /** The environment variable that maps entity types to collections when {@code --entity} is absent. */
    public static final String ENTITIES_VARIABLE = "DUALWRITE_ENTITIES";
    /** Exit code: done. */
    public static final int EXIT_OK = 0;
    /** Exit code: the act failed, or the operator did not confirm it. */
    public static final int EXIT_FAILED = 1;
    /** Exit code: bad input; nothing was changed. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code: MongoDB could not be reached; nothing was changed. */
    public static final int EXIT_UNREACHABLE = 3;
    /** Exit code: a named dead letter, entity or reconciliation request does not exist; nothing was changed. */
    public static final int EXIT_NOT_FOUND = 4;
    /**
     * Exit code: a replay followed with {@code --wait} was dead-lettered again or not delivered in time; a watched
     * reconciliation did not end in time.
     */
    public static final int EXIT_NOT_DELIVERED = 5;

    private DualWriteCli() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the command line's arguments
     */
    public static void main(String[] args) {
        System.exit(commandLine(System.in).execute(args));
    }

    /**
     * @param in where confirmations are read from (the terminal's standard input)
     * @return the command line, ready to {@link CommandLine#execute execute}; set its
     *         {@link CommandLine#setOut out} and {@link CommandLine#setErr err} writers to capture its output
     */
    public static CommandLine commandLine(InputStream in) {
        Objects.requireNonNull(in, "in");
        return Root.commandLine(in);
    }
}
