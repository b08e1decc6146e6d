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
package io.dualwrite.examples.demo;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The demo's status line, from its first second to its end: the time since the start, what it is doing (starting
 * a server, writing, recovering) and, once it writes, the figures. On a terminal the line is refreshed in place four
 * times a second and lines said in between are printed above it; otherwise one line every two seconds. Thread-safe.
 */
final class ProgressLine implements AutoCloseable {
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService timer;
    private volatile String phase = "starting";
    private volatile Supplier<String> figures = () -> "";
    private boolean shown;
    private boolean closed;

    ProgressLine(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, 0, terminal ? 250 : 2000, TimeUnit.MILLISECONDS);
    }

    /** @param phase what the demo does now, shown from the next refresh on */
    void phase(String phase) {
        this.phase = phase;
    }

    /** @param figures the figures to show after the phase, read at each refresh (best effort: it may throw) */
    void figures(Supplier<String> figures) {
        this.figures = figures;
    }

    /** @return seconds since the demo started */
    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** @param line a line to keep on screen, printed above the status line */
    synchronized void say(String line) {
        if (terminal && shown) {
            out.print("\r\u001B[K");
            shown = false;
        }
        out.println(line);
        out.flush();
    }

    /** Prints the status line now. */
    synchronized void tick() {
        if (closed) {
            return;
        }
        String f;
        try {
            f = figures.get();
        } catch (RuntimeException e) {
            f = ""; // a figure that cannot be read now is shown at the next refresh
        }
        String line = String.format(Locale.ROOT, "%5.1fs  %s%s", elapsedSeconds(), f.isEmpty() ? "" : f + "  ", phase);
        if (terminal) {
            out.print("\r" + line + "\u001B[K");
            shown = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Stops refreshing, after printing the line a last time. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        timer.shutdownNow();
        tick();
        closed = true;
        if (terminal) {
            out.println();
            shown = false;
        }
    }
}
