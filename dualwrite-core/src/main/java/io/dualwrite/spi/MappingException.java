package io.dualwrite.spi;

import io.dualwrite.ErrorKind;

/**
 * A change that cannot be turned into what its sink sends: the entity's own failure, found before
 * any I/O. Always {@link ErrorKind#PERMANENT}: the change is dead-lettered at once, never retried,
 * and never counted against the sink's circuit breaker, whatever the mapping code threw (a
 * {@link NullPointerException}, an {@link AssertionError} or a {@link StackOverflowError} as much
 * as an {@link IllegalArgumentException}). The coordinator wraps every failure of
 * {@link MappingSink#map} in one; a sink may also throw one itself from
 * {@link Sink#apply} when it finds, before sending anything, that a change cannot be mapped.
 * Immutable.
 */
public class MappingException extends SinkException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be mapped (ids and keys, never payloads)
     * @param cause   what the mapping code threw, may be null
     */
    public MappingException(String message, Throwable cause) {
        super(message, ErrorKind.PERMANENT, cause);
    }
}
