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
