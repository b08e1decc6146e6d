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
package io.dualwrite.kafka.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How the Kafka sink reads the producer's failures. Not part of the public API. Thread-safe
 * (stateless).
 */
public final class KafkaErrors {
    /** The sink's classifier: Kafka's exceptions first, then the defaults. */
    public static final ErrorClassifier CLASSIFIER = ((ErrorClassifier) KafkaErrors::classifyOrNull)
            .orElse(ErrorClassifier.defaults());

    private KafkaErrors() {
    }

    /**
     * @param what  what was being done (topic, idempotency key; never values)
     * @param error the failure
     * @return a {@link SinkException} that says its kind
     */
    public static SinkException toSinkException(String what, Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof SinkException) {
            return (SinkException) e;
        }
        return new SinkException(what + " failed: " + e.getClass().getSimpleName(), CLASSIFIER.classify(e), e);
    }

    private static ErrorKind classifyOrNull(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof SinkException) {
            return ((SinkException) e).kind();
        }
        if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
                || e instanceof SerializationException || e instanceof AuthorizationException
                || e instanceof AuthenticationException || e instanceof InvalidTopicException
                || e instanceof InvalidConfigurationException || e instanceof UnsupportedVersionException
                || e instanceof JsonProcessingException) {
            return ErrorKind.PERMANENT;
        }
        if (e instanceof TimeoutException) {
            // the delivery timeout ran out: the record may have reached the broker without an answer
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof RetriableException) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof InterruptException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        return null;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
