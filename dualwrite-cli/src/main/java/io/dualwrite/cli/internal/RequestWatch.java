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
import io.dualwrite.mongo.reconcile.RequestStatus;
import io.dualwrite.reconcile.ReconcileProgress;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Follows a reconciliation request until its run ends: a progress bar redrawn in place on a terminal, a plain line at
 * every change otherwise (both on standard error), then the request and its report on standard output.
 */
final class RequestWatch {
    private static final int BAR = 24;

    private RequestWatch() {
    }

    /** How long and how often to watch. Not thread-safe. */
    static final class Options {
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "1h",
                converter = Times.DurationConverter.class,
                description = "how long to watch before giving up (the run goes on); default ${DEFAULT-VALUE}")
        Duration timeout;

        @Option(names = "--poll", paramLabel = "DURATION", defaultValue = "250ms", hidden = true,
                converter = Times.DurationConverter.class, description = "how often to read the request")
        Duration poll;

        /**
         * @return the exit code: 0 when the run completed, 1 when it failed, 5 when it did not end in time
         */
        int follow(Primary primary, String id, Render render, PrintWriter err, boolean terminal) {
            Instant deadline = PrimaryCommand.CLOCK.instant().plus(timeout);
            String shown = null;
            ReconcileRequest r;
            while (true) {
                r = primary.ops().reconciliation(id);
                String line = terminal ? bar(r) : line(r);
                if (!line.equals(shown)) {
                    err.print(terminal ? "\r" + line + "\u001b[K" : line + System.lineSeparator());
                    err.flush();
                    shown = line;
                }
                if (r.status().finished() || !PrimaryCommand.CLOCK.instant().isBefore(deadline)) {
                    break;
                }
                if (!Times.pause(poll)) {
                    break;
                }
            }
            if (terminal) {
                err.println();
            }
            render.print(RequestView.of(r));
            if (r.status() == RequestStatus.COMPLETED) {
                return DualWriteCli.EXIT_OK;
            }
            if (r.status() == RequestStatus.FAILED) {
                return DualWriteCli.EXIT_FAILED;
            }
            err.println("dualwrite: the run did not end within " + Times.human(timeout) + " (--timeout); it goes on:"
                    + " 'dualwrite reconcile watch " + id + "' follows it again");
            err.flush();
            return DualWriteCli.EXIT_NOT_DELIVERED;
        }
    }

    /** @return one plain line of where the request stands */
    static String line(ReconcileRequest r) {
        StringBuilder b = new StringBuilder(r.status().name()).append(' ').append(r.phase());
        r.lastProgress().ifPresent(p -> b.append(": ").append(figures(p)));
        if (r.owner() != null && !r.status().finished()) {
            b.append(" (held by ").append(r.owner()).append(r.attempts() > 1 ? ", attempt " + r.attempts() : "")
                    .append(')');
        }
        r.failure().ifPresent(reason -> b.append(": ").append(reason));
        return b.toString();
    }

    /** @return a progress bar of where the request stands, with its figures */
    static String bar(ReconcileRequest r) {
        if (r.status() == RequestStatus.PENDING) {
            return "[" + " ".repeat(BAR) + "] " + r.phase();
        }
        ReconcileProgress p = r.lastProgress().orElse(null);
        double done = r.status() == RequestStatus.COMPLETED ? 1.0
                : p == null ? 0.0 : p.fractionDone().orElse(-1.0);
        String bar;
        if (done < 0) {
            bar = "[" + "?".repeat(BAR) + "]    ";
        } else {
            int filled = (int) Math.round(done * BAR);
            bar = "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] "
                    + String.format(Locale.ROOT, "%3d%%", Math.round(done * 100));
        }
        return bar + (p == null ? "" : "  " + figures(p)) + "  " + r.phase();
    }

    private static String figures(ReconcileProgress p) {
        StringBuilder b = new StringBuilder().append(p.idsDone());
        if (p.estimatedTotal() >= 0) {
            b.append(" of ~").append(p.estimatedTotal());
        }
        b.append(" ids, ").append(String.format(Locale.ROOT, "%.0f", p.idsPerSecond())).append(" ids/s");
        p.estimatedTimeLeft().ifPresent(left -> b.append(", ").append(Times.human(left)).append(" left"));
        return b.toString();
    }
}
