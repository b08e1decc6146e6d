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
package io.dualwrite;

/**
 * Figures of one recovery pass. Immutable.
 */
public final class RecoveryReport {
    private final int claimed;
    private final int delivered;
    private final int deferred;
    private final int deadLettered;

    /**
     * @param claimed      entities claimed
     * @param delivered    intents delivered and acknowledged
     * @param deferred     intents that failed transiently and were rescheduled
     * @param deadLettered intents moved to the dead-letter store
     */
    public RecoveryReport(int claimed, int delivered, int deferred, int deadLettered) {
        this.claimed = claimed;
        this.delivered = delivered;
        this.deferred = deferred;
        this.deadLettered = deadLettered;
    }

    /** @return entities claimed */
    public int claimed() {
        return claimed;
    }

    /** @return intents delivered and acknowledged */
    public int delivered() {
        return delivered;
    }

    /** @return intents rescheduled after a transient failure */
    public int deferred() {
        return deferred;
    }

    /** @return intents moved to the dead-letter store */
    public int deadLettered() {
        return deadLettered;
    }

    /**
     * @param other another report
     * @return the sum of both
     */
    public RecoveryReport plus(RecoveryReport other) {
        return new RecoveryReport(claimed + other.claimed, delivered + other.delivered, deferred + other.deferred,
                deadLettered + other.deadLettered);
    }

    @Override
    public String toString() {
        return "RecoveryReport{claimed=" + claimed + ", delivered=" + delivered + ", deferred=" + deferred
                + ", deadLettered=" + deadLettered + "}";
    }
}
