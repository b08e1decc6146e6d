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
package io.dualwrite.mongo;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoClientException;
import com.mongodb.MongoException;
import com.mongodb.MongoExecutionTimeoutException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoOperationTimeoutException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoServerException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoSocketReadTimeoutException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteConcernException;
import com.mongodb.MongoWriteException;
import com.mongodb.bulk.BulkWriteError;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import org.bson.BsonInvalidOperationException;
import org.bson.BsonSerializationException;
import org.bson.codecs.configuration.CodecConfigurationException;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Classifies the MongoDB Java driver's failures by the driver's own signals:
 * <ul>
 *   <li>{@link ErrorKind#TRANSIENT}: a {@link MongoNotWrittenException} (a store's read before
 *       its write failed) unless its cause is permanent; the error labels {@code RetryableWriteError},
 *       {@code TransientTransactionError} and {@code ResumableChangeStreamError}; network errors
 *       while connecting or sending; server selection and connection-pool timeouts (nothing was
 *       sent); not-primary, shutdown, interrupted, write-conflict and time-limit codes;
 *       write-concern errors (the write reached the primary but not enough members yet);
 *       an interrupted call.</li>
 *   <li>{@link ErrorKind#PERMANENT}: a {@link MongoEntityTooLargeException}; a duplicate key (the store resolves its own insert races
 *       before one surfaces), a document too large, bad values, failed validation, type
 *       mismatches, authentication and authorisation failures, codec and client configuration
 *       errors.</li>
 *   <li>{@link ErrorKind#UNKNOWN_OUTCOME}: a {@link MongoWriteUnconfirmedException}; the request
 *       left but no reply came (a socket read
 *       timeout or a connection closed while reading, a client-side operation timeout,
 *       {@code UnknownTransactionCommitResult}). The stores resolve these for their own writes by
 *       reading the document, not by a blind retry.</li>
 * </ul>
 * Anything else falls back to {@link ErrorClassifier#defaults()}. Thread-safe (stateless).
 */
public final class MongoErrorClassifier implements ErrorClassifier {
    /** The shared instance. */
    public static final MongoErrorClassifier INSTANCE = new MongoErrorClassifier();

    /** Server codes after which a retry may succeed: the primary moved, stopped or was busy. */
    public static final Set<Integer> TRANSIENT_CODES = Set.of(
            6, 7, 50, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 64, 100);
    /** Server codes that fail the same way every time. */
    public static final Set<Integer> PERMANENT_CODES = Set.of(
            2, 9, 13, 14, 18, 52, 55, 56, 121, 10334, 11000, 11001, 12582, 17419, 17420, 16837, 40352);

    private MongoErrorClassifier() {
    }

    @Override
    public ErrorKind classify(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof MongoWriteUnconfirmedException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof MongoEntityBusyException) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof MongoEntityTooLargeException) {
            return ErrorKind.PERMANENT;
        }
        if (e instanceof MongoNotWrittenException && e.getCause() != null) {
            // the failed call was a read: nothing happened that a retry could repeat
            return classify(e.getCause()) == ErrorKind.PERMANENT ? ErrorKind.PERMANENT : ErrorKind.TRANSIENT;
        }
        if (e instanceof MongoException) {
            ErrorKind kind = classifyMongo((MongoException) e);
            if (kind != null) {
                return kind;
            }
        }
        if (e instanceof BsonSerializationException || e instanceof CodecConfigurationException
                || e instanceof BsonInvalidOperationException) {
            return ErrorKind.PERMANENT;
        }
        return ErrorClassifier.defaults().classify(e);
    }

    private static ErrorKind classifyMongo(MongoException e) {
        if (e.hasErrorLabel(MongoException.UNKNOWN_TRANSACTION_COMMIT_RESULT_LABEL)) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof MongoOperationTimeoutException || sentButUnanswered(e)) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)
                || e.hasErrorLabel("RetryableWriteError") || e.hasErrorLabel("ResumableChangeStreamError")) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof MongoSocketException || e instanceof MongoTimeoutException
                || e instanceof MongoExecutionTimeoutException || e instanceof MongoInterruptedException
                || e instanceof MongoWriteConcernException) {
            return ErrorKind.TRANSIENT;
        }
        if (e instanceof MongoSecurityException) {
            return ErrorKind.PERMANENT;
        }
        if (e instanceof MongoWriteException) {
            ErrorCategory category = ((MongoWriteException) e).getError().getCategory();
            if (category == ErrorCategory.DUPLICATE_KEY) {
                return ErrorKind.PERMANENT;
            }
            if (category == ErrorCategory.EXECUTION_TIMEOUT) {
                return ErrorKind.TRANSIENT;
            }
            return byCode(((MongoWriteException) e).getError().getCode());
        }
        if (e instanceof MongoBulkWriteException) {
            MongoBulkWriteException b = (MongoBulkWriteException) e;
            if (b.getWriteErrors().isEmpty()) {
                return ErrorKind.TRANSIENT; // only a write-concern error
            }
            ErrorKind worst = ErrorKind.TRANSIENT;
            for (BulkWriteError w : b.getWriteErrors()) {
                if (byCode(w.getCode()) != ErrorKind.TRANSIENT) {
                    worst = ErrorKind.PERMANENT;
                }
            }
            return worst;
        }
        if (e instanceof MongoServerException) {
            return byCode(e.getCode());
        }
        if (e instanceof MongoClientException) {
            return ErrorKind.PERMANENT; // misconfiguration or a closed client: a retry fails the same way
        }
        return null;
    }

    private static boolean sentButUnanswered(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MongoSocketReadTimeoutException || t instanceof MongoSocketReadException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static ErrorKind byCode(int code) {
        if (TRANSIENT_CODES.contains(code)) {
            return ErrorKind.TRANSIENT;
        }
        if (PERMANENT_CODES.contains(code)) {
            return ErrorKind.PERMANENT;
        }
        return ErrorKind.UNKNOWN_OUTCOME;
    }

    @Override
    public String toString() {
        return "MongoErrorClassifier";
    }
}
