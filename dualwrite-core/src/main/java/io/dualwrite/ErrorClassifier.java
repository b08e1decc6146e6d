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

import io.dualwrite.spi.SinkException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Decides whether a failure is {@link ErrorKind#TRANSIENT}, {@link ErrorKind#PERMANENT} or
 * {@link ErrorKind#UNKNOWN_OUTCOME}. Each adapter supplies one that reads its system's own
 * signals (HTTP status, SQL state, error labels); implementations must be thread-safe and
 * must never throw.
 */
@FunctionalInterface
public interface ErrorClassifier {

    /**
     * @param error the failure, never null
     * @return its kind, never null
     */
    ErrorKind classify(Throwable error);

    /**
     * Returns a classifier that asks this one first and falls back to {@code other} when
     * this one returns null.
     *
     * @param other the fallback
     * @return the combined classifier
     */
    default ErrorClassifier orElse(ErrorClassifier other) {
        Objects.requireNonNull(other, "other");
        return error -> {
            ErrorKind kind = classify(error);
            return kind != null ? kind : other.classify(error);
        };
    }

    /**
     * The classifier used when an adapter supplies none:
     * <ul>
     *   <li>a {@link SinkException} says its own kind;</li>
     *   <li>{@link TimeoutException} is {@link ErrorKind#UNKNOWN_OUTCOME} (the call may have
     *       landed);</li>
     *   <li>{@link IOException} is {@link ErrorKind#TRANSIENT};</li>
     *   <li>{@link IllegalArgumentException}, {@link UnsupportedOperationException}, a
     *       {@link ClassCastException}, Jackson's mapping errors and any {@link Error} that is not
     *       {@linkplain #isFatal fatal} (an {@link AssertionError}, a {@link NoClassDefFoundError},
     *       a {@link StackOverflowError}) are {@link ErrorKind#PERMANENT};</li>
     *   <li>anything else unexpected is {@link ErrorKind#UNKNOWN_OUTCOME}: redelivered with
     *       backoff a bounded number of times, then dead-lettered, never lost.</li>
     * </ul>
     * Wrappers ({@link ExecutionException}, {@link CompletionException},
     * {@link UncheckedIOException}) are unwrapped first.
     *
     * @return the default classifier
     */
    static ErrorClassifier defaults() {
        return DefaultErrorClassifier.INSTANCE;
    }

    /**
     * The JVM's own fatal errors, which no part of dualwrite ever classifies or takes for one entity's failure: an
     * {@link OutOfMemoryError}, an {@link InternalError} or another {@link VirtualMachineError},
     * except a {@link StackOverflowError} (one entity's deep recursion). Everything else a sink or a
     * mapping throws, {@link Error}s included, is classified for the entity it was thrown for. A fatal error
     * propagates to the thread that called; on one of dualwrite's own background threads (a recovery worker, a
     * relay) it ends the pass it was thrown in, is logged, and the next pass goes on.
     *
     * @param error a failure, not null
     * @return true when it must be left to the JVM
     */
    static boolean isFatal(Throwable error) {
        return error instanceof VirtualMachineError && !(error instanceof StackOverflowError);
    }

    /**
     * @param error a failure, not null
     * @throws VirtualMachineError the failure itself when it {@linkplain #isFatal is fatal}
     */
    static void rethrowIfFatal(Throwable error) {
        if (isFatal(error)) {
            throw (VirtualMachineError) error;
        }
    }
}

final class DefaultErrorClassifier implements ErrorClassifier {
    static final DefaultErrorClassifier INSTANCE = new DefaultErrorClassifier();

    @Override
    public ErrorKind classify(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException
                || e instanceof UncheckedIOException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof SinkException) {
            return ((SinkException) e).kind();
        }
        if (e instanceof TimeoutException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException
                || e instanceof com.fasterxml.jackson.core.JsonProcessingException || isJackson3(e)) {
            return ErrorKind.PERMANENT;
        }
        if (e instanceof IOException) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException
                || e instanceof ClassCastException || (e instanceof Error && !ErrorClassifier.isFatal(e))) {
            return ErrorKind.PERMANENT;
        }
        return ErrorKind.UNKNOWN_OUTCOME;
    }

    /** Jackson 3's exceptions, by name: Jackson 3 is optional, so its classes may be absent. */
    private static boolean isJackson3(Throwable e) {
        for (Class<?> c = e.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals("tools.jackson.core.JacksonException")) {
                return true;
            }
        }
        return false;
    }
}
