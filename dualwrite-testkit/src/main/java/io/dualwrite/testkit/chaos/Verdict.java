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
