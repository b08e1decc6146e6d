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
package io.dualwrite.redis;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;

import java.net.ConnectException;
import java.util.Locale;
import java.util.Set;

/**
 * Classifies the failures of Lettuce calls:
 * <ul>
 *   <li>{@link RedisConnectionException} (no connection could be made) and commands rejected while
 *       disconnected: {@link ErrorKind#TRANSIENT} — nothing reached the server;</li>
 *   <li>{@link RedisCommandTimeoutException}, an interrupted wait, and a connection closed while a
 *       command was in flight: {@link ErrorKind#UNKNOWN_OUTCOME} — the script may have run;</li>
 *   <li>error replies whose code says the server is busy or not ready ({@code BUSY}, {@code LOADING},
 *       {@code READONLY}, {@code MASTERDOWN}, {@code TRYAGAIN}, {@code CLUSTERDOWN}, {@code OOM},
 *       {@code NOREPLICAS}, {@code MISCONF}): {@link ErrorKind#TRANSIENT};</li>
 *   <li>every other error reply ({@code WRONGTYPE}, a script error, {@code ERR ...}):
 *       {@link ErrorKind#PERMANENT} — sending it again gives the same answer;</li>
 *   <li>anything else, wrappers and {@link io.dualwrite.spi.SinkException} included:
 *       {@link ErrorClassifier#defaults()}.</li>
 * </ul>
 * Thread-safe (stateless).
 */
public final class RedisErrorClassifier implements ErrorClassifier {
    /** Error-reply codes that mean "try again later". */
    public static final Set<String> TRANSIENT_ERROR_CODES =
            Set.of("BUSY", "LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "NOREPLICAS",
                    "MISCONF");

    private static final RedisErrorClassifier INSTANCE = new RedisErrorClassifier();

    private RedisErrorClassifier() {
    }

    /** @return the classifier */
    public static RedisErrorClassifier instance() {
        return INSTANCE;
    }

    @Override
    public ErrorKind classify(Throwable error) {
        Throwable e = error;
        if (e instanceof RedisCommandTimeoutException || e instanceof RedisCommandInterruptedException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof RedisConnectionException) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof RedisCommandExecutionException) {
            return TRANSIENT_ERROR_CODES.contains(errorCode(e.getMessage())) || transientInScript(e.getMessage())
                    ? ErrorKind.TRANSIENT : ErrorKind.PERMANENT;
        }
        if (e instanceof RedisException) {
            String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("not connected") || e.getCause() instanceof ConnectException) {
                return ErrorKind.TRANSIENT;
            }
            // closed or reset while a command was in flight: it may have run
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        return ErrorClassifier.defaults().classify(e);
    }

    /**
     * @param message an error reply, for example {@code "WRONGTYPE Operation against a key ..."}
     * @return its code (the first word, upper case), or an empty string
     */
    /**
     * @param message an error reply
     * @return whether it is a script's error that wraps one of the {@link #TRANSIENT_ERROR_CODES} (servers before
     *         Redis 7 report a refused write inside a script as {@code ERR Error running script ...: MISCONF ...})
     */
    static boolean transientInScript(String message) {
        if (message == null || !message.startsWith("ERR Error running script")) {
            return false;
        }
        for (String word : message.split("[^A-Za-z]+")) {
            if (TRANSIENT_ERROR_CODES.contains(word)) {
                return true;
            }
        }
        return false;
    }

    static String errorCode(String message) {
        if (message == null) {
            return "";
        }
        String m = message.strip();
        int space = m.indexOf(' ');
        return (space < 0 ? m : m.substring(0, space)).toUpperCase(Locale.ROOT);
    }
}
