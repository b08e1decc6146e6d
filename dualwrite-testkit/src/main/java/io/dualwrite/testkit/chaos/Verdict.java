package io.dualwrite.testkit.chaos;

import java.util.List;

/**
 * What a chaos run concluded: its seed and the promises it saw broken. Immutable.
 */
public abstract class Verdict {
    private final String run;
    private final long seed;
    private final List<String> violations;

    Verdict(String run, long seed, List<String> violations) {
        this.run = run;
        this.seed = seed;
        this.violations = List.copyOf(violations);
    }

    /** @return the run's seed: the same seed replays the same decisions */
    public final long seed() {
        return seed;
    }

    /** @return every broken promise, described; empty when all held */
    public final List<String> violations() {
        return violations;
    }

    /** @return true when every promise held */
    public final boolean promisesKept() {
        return violations.isEmpty();
    }

    /**
     * @throws AssertionError naming the seed, the broken promises and the diff when a promise broke
     */
    public final void assertPromisesKept() {
        if (!promisesKept()) {
            throw new AssertionError(run + " with seed " + seed + " broke " + violations.size()
                    + " promise(s) (replay with the same seed):\n" + this);
        }
    }
}
