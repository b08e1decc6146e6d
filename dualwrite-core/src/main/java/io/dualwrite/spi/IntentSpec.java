package io.dualwrite.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * An intent to record with a write: sink {@code sink} must reach the write's version, and
 * recovery may deliver it from {@code dueAt} on. Immutable.
 */
public final class IntentSpec {
    private final String sink;
    private final Instant dueAt;

    /**
     * @param sink  the sink name
     * @param dueAt when recovery may deliver it (write time plus the grace period; the write time for ASYNC sinks)
     */
    public IntentSpec(String sink, Instant dueAt) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.dueAt = Objects.requireNonNull(dueAt, "dueAt");
    }

    /** @return the sink name */
    public String sink() {
        return sink;
    }

    /** @return when recovery may deliver it */
    public Instant dueAt() {
        return dueAt;
    }

    @Override
    public String toString() {
        return sink + " due " + dueAt;
    }
}
