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

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Every decision of one schedule, drawn in the order the schedule makes them: which actor steps
 * next, which operation it starts, which fault strikes. Drawn from a seed the first time and
 * recorded; replayed from a (possibly shortened) record when shrinking, where a decision past the
 * end of the record is 0 ("the first option", which is also "stop" for scripts), so deleting
 * decisions makes a schedule shorter and simpler. Only one thread draws at a time (the scheduler
 * hands control over), but draws are synchronized for visibility.
 */
final class Choices {
    private final SplittableRandom random;
    private final int[] replay;
    private int[] drawn = new int[256];
    private int size;

    private Choices(SplittableRandom random, int[] replay) {
        this.random = random;
        this.replay = replay;
    }

    /**
     * @param seed the schedule's seed
     * @return decisions drawn from it
     */
    static Choices fromSeed(long seed) {
        return new Choices(new SplittableRandom(seed), null);
    }

    /**
     * @param record recorded decisions
     * @return decisions replayed from them, 0 past their end
     */
    static Choices replay(int[] record) {
        return new Choices(null, record.clone());
    }

    /**
     * @param bound the number of options, at least 1
     * @return an option in [0, bound)
     */
    synchronized int next(int bound) {
        if (bound <= 1) {
            record(0);
            return 0;
        }
        int v;
        if (random != null) {
            v = random.nextInt(bound);
        } else {
            v = size < replay.length ? Math.floorMod(replay[size], bound) : 0;
        }
        record(v);
        return v;
    }

    /**
     * @param percent the chance, 0 to 100
     * @return true with that chance (a replayed 0 means false)
     */
    boolean chance(int percent) {
        if (percent <= 0) {
            return false;
        }
        // 0 is "no": a shrunk record that runs out of decisions stops injecting faults
        return next(100) >= 100 - percent;
    }

    private void record(int v) {
        if (size == drawn.length) {
            drawn = Arrays.copyOf(drawn, size * 2);
        }
        drawn[size++] = v;
    }

    /** @return the decisions made so far */
    synchronized int[] record() {
        return Arrays.copyOf(drawn, size);
    }
}
