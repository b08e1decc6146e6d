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
package io.dualwrite.internal;

import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.SinkException;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What a sink's failure is, the one way every road to a sink decides it: the entity's own failure (its mapping, or
 * an {@link Error} thrown for it) is PERMANENT whatever the sink's classifier says, a time limit that ran out is an
 * UNKNOWN_OUTCOME, a call an open circuit, a full bulkhead or a full executor refused is TRANSIENT, and anything else
 * is the sink's
 * classifier's to decide (the defaults where it has no answer or throws). Also how a failure is unwrapped and
 * described in logs and dead letters. Thread-safe (stateless).
 */
final class SinkFailures {
    private static final Logger LOG = LoggerFactory.getLogger(SinkFailures.class);

    private SinkFailures() {
    }

    /**
     * @param own the sink's own classifier (its settings' or the sink's)
     * @return a classifier that applies the rules above, asking {@code own} only what they leave open
     */
    static ErrorClassifier classifier(ErrorClassifier own) {
        return error -> classify(own, error);
    }

    private static ErrorKind classify(ErrorClassifier own, Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof MappingException || e instanceof ErrorInSink
                || (e instanceof Error && !ErrorClassifier.isFatal(e))
                || (e instanceof SinkException && e.getCause() instanceof Error && !ErrorClassifier.isFatal(e.getCause()))) {
            // the entity's own failure (its mapping, or an Error thrown for it), whatever the sink's classifier says
            return ErrorKind.PERMANENT;
        }
        if (e instanceof TimeoutException) {
            return ErrorKind.UNKNOWN_OUTCOME;
        }
        if (e instanceof CallStartedLate) {
            return ErrorKind.UNKNOWN_OUTCOME; // it ran, and may have applied the change
        }
        if (notCalled(e)) {
            return ErrorKind.TRANSIENT;
        }
        ErrorKind kind;
        try {
            kind = own.classify(e);
        } catch (RuntimeException classifierBug) {
            LOG.warn("error classifier threw {}; treating the failure as UNKNOWN_OUTCOME", classifierBug.toString());
            kind = null;
        }
        return kind != null ? kind : ErrorClassifier.defaults().classify(e);
    }

    /**
     * @param e a failure, unwrapped
     * @return whether it says that the sink was never asked (an open circuit, a full bulkhead, or an executor that
     *         refused to run the call or did not start it within its time limit: {@link CallNotStarted}); such a
     *         failure spends no attempt, is never retried at once and is neither a failure nor a success to the
     *         sink's circuit breaker
     */
    static boolean notCalled(Throwable e) {
        return e instanceof CallNotPermittedException || e instanceof BulkheadFullException || e instanceof CallNotStarted;
    }

    /**
     * @param error a failure, perhaps wrapped by an executor or a future
     * @return the failure itself, without the {@link ExecutionException}s and {@link CompletionException}s around it
     */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * @param t a failure, or null
     * @return its class and message, at most 1000 characters, for logs and dead letters (an {@link Error} a sink
     *         threw is described as itself)
     */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown failure";
        }
        if (t instanceof ErrorInSink && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        String s = t.getClass().getName() + (msg == null ? "" : ": " + msg);
        return s.length() > 1000 ? s.substring(0, 1000) + "…" : s;
    }

    /** An {@link Error} a sink call threw, carried as the entity's PERMANENT failure. */
    static final class ErrorInSink extends SinkException {
        private static final long serialVersionUID = 1L;

        ErrorInSink(String sink, Error error) {
            super("sink '" + sink + "' threw " + error, ErrorKind.PERMANENT, error);
        }
    }

    /**
     * The writer's executor did not run a sink call: it refused it (a bounded pool that is full, or one shut down by a
     * close racing the delivery), or kept it waiting for a thread until its time limit ran out, and it was then
     * cancelled before it started. The sink was not asked, and the executor's state says nothing of the sink's health.
     */
    static final class CallNotStarted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CallNotStarted(String sink, java.util.concurrent.RejectedExecutionException cause) {
            super("the writer's executor refused to run the call to sink '" + sink + "' (" + cause.getMessage()
                    + "); the sink was not called", cause);
        }

        CallNotStarted(String sink, InterruptedException cause) {
            super("the call to sink '" + sink + "' was not started: the calling thread is interrupted", cause);
        }

        CallNotStarted(String sink, TimeoutException cause) {
            super("the writer's executor did not start the call to sink '" + sink + "' within its attempt timeout (every"
                    + " thread busy); the sink was not called", cause);
        }
    }

    /**
     * A sink call the writer's executor started so late that its time limit ran out before the sink had half of it:
     * it may have applied the change (an unknown outcome, and an attempt spent, so that a sink that hangs on a busy
     * pool is still dead-lettered in the end), but the timeout says nothing of the sink's health, so the circuit
     * breaker ignores it.
     */
    static final class CallStartedLate extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CallStartedLate(String sink, TimeoutException cause) {
            super("the writer's executor started the call to sink '" + sink + "' too late for its attempt timeout (every"
                    + " thread busy); the sink may have applied it", cause);
        }
    }
}
