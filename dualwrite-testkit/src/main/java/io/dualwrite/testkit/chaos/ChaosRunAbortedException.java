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

import io.dualwrite.DualWriteException;

/**
 * A chaos run stopped before it could reach a verdict: a child JVM could not be started, the
 * calling thread was interrupted (its interrupt flag is set again), or the wiring failed in the
 * test's JVM. A broken promise is not this: it is the run's {@link Verdict}. Immutable.
 */
public class ChaosRunAbortedException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: the run's {@code seed}. */
    private final long seed;

    /**
     * @param message what stopped the run
     * @param seed    the run's seed
     * @param cause   the underlying failure, may be null
     */
    public ChaosRunAbortedException(String message, long seed, Throwable cause) {
        super(message + " (seed " + seed + ")", null, null, cause);
        this.seed = seed;
    }

    /** @return the seed of the run that stopped */
    public long seed() {
        return seed;
    }
}
