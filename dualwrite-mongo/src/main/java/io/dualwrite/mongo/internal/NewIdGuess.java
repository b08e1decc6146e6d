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
package io.dualwrite.mongo.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether saves of ids a store instance does not know tend to be of new entities, learnt from the last few: a
 * store that guesses "new" creates at once (a command that is conditional on the id being free, so a wrong guess
 * costs that command and never decides an outcome) instead of reading first. Thread-safe.
 */
final class NewIdGuess {
    /** How far the guess may lean either way: a few saves change its mind. */
    private static final int LEAN = 4;

    private final AtomicInteger lean = new AtomicInteger();

    /** @return true when a save of an id this instance does not know should create at once */
    boolean guessNew() {
        return lean.get() > 0;
    }

    /** Learns from a save of an id this instance did not know: whether the id turned out new. */
    void learn(boolean wasNew) {
        lean.updateAndGet(n -> Math.max(-LEAN, Math.min(LEAN, n + (wasNew ? 1 : -1))));
    }
}
