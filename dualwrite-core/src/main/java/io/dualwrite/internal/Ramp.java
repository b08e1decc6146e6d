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
package io.dualwrite.internal;

/**
 * Decides by a stable hash of the entity id whether an entity falls within a sink's ramp, so
 * the same entity always gets the same answer on every instance and every run. Thread-safe.
 */
public final class Ramp {
    private Ramp() {
    }

    /** What a sink's ramp makes of one entity. */
    enum Role {
        /** Within the ramp: the sink receives the entity's changes. */
        IN,
        /** Outside a ramp that was lowered, within where it was: the sink must not hold the entity (it receives deletes). */
        REMOVE,
        /** Outside the ramp and where it ever was: the sink receives nothing of the entity. */
        OUT
    }

    /**
     * @param id       the entity id
     * @param settings the sink's settings
     * @return what the sink's ramp makes of the entity
     */
    static Role role(String id, io.dualwrite.SinkSettings settings) {
        if (includes(id, settings.rampPercent())) {
            return Role.IN;
        }
        return includes(id, settings.rampDownFrom()) ? Role.REMOVE : Role.OUT;
    }

    /**
     * @param id      the entity id
     * @param percent the ramp, 0 to 100
     * @return true when the entity is within the first {@code percent} of the hash space
     */
    public static boolean includes(String id, double percent) {
        if (percent >= 100) {
            return true;
        }
        if (percent <= 0) {
            return false;
        }
        return bucket(id) < percent * 100;
    }

    /**
     * @param id an entity id
     * @return its bucket in 0..9999 ({@link StableHash})
     */
    static int bucket(String id) {
        return (int) Long.remainderUnsigned(StableHash.of(id), 10_000);
    }
}
