package io.dualwrite;

import io.dualwrite.spi.Sink;

import java.util.Objects;

/**
 * A sink registered with a writer: its name, the sink and how it is delivered to. Immutable.
 *
 * @param name     the sink's name, unique per writer
 * @param sink     the sink
 * @param settings its delivery settings
 * @param <T>      the entity type
 */
public record SinkRegistration<T>(String name, Sink<T> sink, SinkSettings settings) {
    /**
     * Checks that no part is null.
     *
     * @param name     the sink's name
     * @param sink     the sink
     * @param settings its delivery settings
     */
    public SinkRegistration {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(settings, "settings");
    }
}
