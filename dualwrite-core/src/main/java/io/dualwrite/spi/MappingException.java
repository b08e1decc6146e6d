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
