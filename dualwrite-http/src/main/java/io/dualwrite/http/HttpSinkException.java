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
package io.dualwrite.http;

import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A failed call of the HTTP sink, with how to treat it already decided from the status or the
 * transport failure, the request's method and URL, the status when a reply came, and the wait the
 * server asked for ({@code Retry-After}). Never carries the request body. Immutable.
 */
public final class HttpSinkException extends SinkException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** The request method. */
    private final String method;
    /** The request URL. */
    private final URI uri;
    /** The reply's status, or -1. */
    private final int status;

    /**
     * @param message    what happened (status, reason, an excerpt of the reply)
     * @param kind       how to treat it
     * @param method     the request method
     * @param uri        the request URL
     * @param status     the reply's status, or -1 when no (readable) reply came
     * @param retryAfter the wait the server asked for, may be null
     * @param cause      the transport failure, may be null
     */
    public HttpSinkException(String message, ErrorKind kind, String method, URI uri, int status, Duration retryAfter,
                             Throwable cause) {
        super(message, kind, retryAfter, cause);
        this.method = Objects.requireNonNull(method, "method");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.status = status;
    }

    /** @return the request method */
    public String method() {
        return method;
    }

    /** @return the request URL */
    public URI uri() {
        return uri;
    }

    /** @return the reply's status, empty when no readable reply came (a timeout, a broken connection) */
    public OptionalInt status() {
        return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }
}
