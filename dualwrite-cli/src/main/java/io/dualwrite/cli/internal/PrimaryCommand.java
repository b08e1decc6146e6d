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

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * What every command that reads the primary shares: it opens the primary the root's options name, renders in the
 * chosen format, and closes the connection whatever happens. Not thread-safe.
 */
abstract class PrimaryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The clock of every age and due time the tool computes. */
    static final Clock CLOCK = Clock.systemUTC();

    @Override
    public final Integer call() {
        Root root = (Root) spec.root().userObject();
        PrintWriter out = spec.commandLine().getOut();
        Render render = new Render(out, root.output, spec.commandLine().getColorScheme().ansi(), Render.terminalWidth());
        try (Primary primary = root.openPrimary()) {
            return run(primary, render, root);
        }
    }

    /**
     * @param primary the open primary
     * @param render  where the command prints what it found
     * @param root    the root command's options
     * @return the exit code
     */
    abstract int run(Primary primary, Render render, Root root);

    /** @return whether the output goes to a terminal (where picocli would colour it): progress redraws one line */
    boolean terminal() {
        return spec.commandLine().getColorScheme().ansi().enabled();
    }

    /** @return where progress and questions go (standard error, so that standard output stays the result) */
    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
