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

import io.dualwrite.DualWriteException;
import io.dualwrite.ErrorKind;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * An exception a sink throws when it already knows how its failure must be treated (for example
 * from an HTTP status or a per-item bulk result). The default {@link io.dualwrite.ErrorClassifier}
 * honours {@link #kind()}; the coordinator honours {@link #retryAfter()} as a lower bound for
 * the next retry. Immutable.
 */
public class SinkException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code kind}. */
    private final ErrorKind kind;
    /** Serialized with the exception: its {@code retryAfter}. */
    private final Duration retryAfter;

    /**
     * @param message what failed (ids and status, never payloads)
     * @param kind    how to treat it
     * @param cause   the underlying failure, may be null
     */
    public SinkException(String message, ErrorKind kind, Throwable cause) {
        this(message, kind, null, cause);
    }

    /**
     * @param message    what failed (ids and status, never payloads)
     * @param kind       how to treat it
     * @param retryAfter the earliest time to try again that the destination asked for, may be null
     * @param cause      the underlying failure, may be null
     */
    public SinkException(String message, ErrorKind kind, Duration retryAfter, Throwable cause) {
        super(message, null, null, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.retryAfter = retryAfter;
    }

    /** @return how the failure must be treated */
    public ErrorKind kind() {
        return kind;
    }

    /** @return the wait the destination asked for (HTTP Retry-After, a broker's throttle), if any */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
