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
package io.dualwrite.opensearch.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;
import org.opensearch.client.ResponseException;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How the search-index sink reads the engine's failures. Not part of the public API. Thread-safe
 * (stateless).
 */
public final class OpenSearchErrors {
    /** The sink's classifier: engine statuses and connection failures first, then the defaults. */
    public static final ErrorClassifier CLASSIFIER = ((ErrorClassifier) OpenSearchErrors::classifyOrNull)
            .orElse(ErrorClassifier.defaults());

    /** Error types that are states of the destination, not faults of a change. */
    private static final Set<String> TRANSIENT_TYPES = Set.of("cluster_block_exception", "index_closed_exception");
    /** Reads the bodies of refusals (the low-level client keeps them in memory). */
    private static final ObjectMapper BODY_READER = new ObjectMapper();

    private OpenSearchErrors() {
    }

    /**
     * @param status an HTTP status of the whole request or of one bulk item (not 2xx, not 409)
     * @return 408, 429 and 5xx are TRANSIENT (overload, a shard not yet available); every other
     *         4xx is PERMANENT (mapping and parse errors, an invalid id, a missing index that may
     *         not be created automatically)
     */
    public static ErrorKind kindOfStatus(int status) {
        if (status == 408 || status == 429 || status >= 500) {
            return ErrorKind.TRANSIENT;
        }
        return ErrorKind.PERMANENT;
    }

    /**
     * @param status an HTTP status of the whole request or of one bulk item (not 2xx, not 409)
     * @param type   the engine's error type ({@code error.type}), or null or empty when unknown
     * @return as {@link #kindOfStatus}, except that a state of the destination an operator sets and lifts (a write
     *         or read-only block, {@code cluster_block_exception}; a closed index, {@code index_closed_exception}) is
     *         TRANSIENT whatever its status: the same change succeeds once it is lifted
     */
    public static ErrorKind kindOf(int status, String type) {
        if (TRANSIENT_TYPES.contains(type)) {
            return ErrorKind.TRANSIENT;
        }
        return kindOfStatus(status);
    }

    /**
     * @param e a refusal of a whole request
     * @return the engine's error type from its body ({@code error.type}), or "" when it has none or cannot be read
     */
    public static String errorType(ResponseException e) {
        try (InputStream in = e.getResponse().getEntity().getContent()) {
            return BODY_READER.readTree(in).path("error").path("type").asText("");
        } catch (IOException | RuntimeException ignored) {
            return "";
        }
    }

    /**
     * Turns a failure of a whole request into the sink's exception.
     *
     * @param what  what was being done (index name and ids, never documents)
     * @param error the failure
     * @return a {@link SinkException} that says its kind
     */
    public static SinkException toSinkException(String what, Exception error) {
        if (error instanceof SinkException) {
            return (SinkException) error;
        }
        ErrorKind kind = CLASSIFIER.classify(error);
        Duration retryAfter = null;
        String detail = error.getClass().getSimpleName();
        if (error instanceof ResponseException) {
            ResponseException re = (ResponseException) error;
            int status = re.getResponse().getStatusLine().getStatusCode();
            detail = "HTTP " + status;
            retryAfter = retryAfter(re.getResponse().getHeader("Retry-After"));
        }
        return new SinkException(what + " failed: " + detail, kind, retryAfter, error);
    }

    private static ErrorKind classifyOrNull(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof SinkException) {
            return ((SinkException) e).kind();
        }
        if (e instanceof ResponseException) {
            ResponseException re = (ResponseException) e;
            return kindOf(re.getResponse().getStatusLine().getStatusCode(), errorType(re));
        }
        if (e instanceof JsonProcessingException) {
            return ErrorKind.PERMANENT; // an entity Jackson cannot map fails the same way every time
        }
        if (e instanceof ConnectException || e instanceof UnknownHostException) {
            return ErrorKind.TRANSIENT; // the request never left
        }
        if (e instanceof SocketTimeoutException) {
            return ErrorKind.UNKNOWN_OUTCOME; // it may have been applied
        }
        if (e instanceof IOException) {
            return ErrorKind.UNKNOWN_OUTCOME; // a connection lost mid-request may have been applied
        }
        return null;
    }

    private static Duration retryAfter(String header) {
        if (header == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(header.trim());
            return seconds > 0 ? Duration.ofSeconds(seconds) : null;
        } catch (NumberFormatException e) {
            return null; // an HTTP date: rare from a search engine, the backoff applies instead
        }
    }

}
