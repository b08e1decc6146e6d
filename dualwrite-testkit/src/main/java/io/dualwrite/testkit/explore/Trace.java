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
