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
package io.dualwrite.testkit.explore;

import java.util.ArrayList;
import java.util.List;

/**
 * What a schedule did, step by step, for the failure message: which actor took each turn and what
 * it did then, the operations' outcomes and the faults injected. Used by one schedule at a time
 * (the scheduler hands turns over), synchronized for visibility.
 */
final class Trace {
    private final List<String> lines = new ArrayList<>();
    private int lastStep;

    synchronized void step(int step, String actor, String what) {
        lastStep = step;
        lines.add(String.format("%4d  %-6s %s", step, actor, what));
    }

    /** A note on the current step (an outcome, a fault). */
    synchronized void note(String text) {
        lines.add("            " + text);
    }

    /** A line outside the steps (setup, healing). */
    synchronized void phase(String text) {
        lines.add("      == " + text);
    }

    synchronized int lastStep() {
        return lastStep;
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public synchronized String toString() {
        return String.join("\n", lines);
    }
}
