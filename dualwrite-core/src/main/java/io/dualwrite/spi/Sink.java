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

import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An external system kept in step with the primary. Implemented by sink modules and by users.
 *
 * <p>Contract, proven by the testkit's sink contract test:
 * <ul>
 *   <li><b>Idempotent and monotonic.</b> Applying a change whose version is not newer than the
 *       version the sink holds for that entity (including a delete's tombstone version) changes
 *       nothing and returns {@link ApplyResult#ALREADY_CURRENT}. Where the destination can
 *       guard versions itself (external versioning, a conditional statement, a server-side
 *       script) the guard lives there, so concurrent deliveries cannot regress it.</li>
 *   <li><b>State transfer.</b> A change carries the entity's full state; the sink replaces
 *       what it holds, it never merges.</li>
 *   <li><b>Deletes leave a tombstone</b> (or an equivalent guard) so an older upsert arriving
 *       after the delete cannot bring the entity back.</li>
 *   <li><b>Failures are exceptions</b>, classified by {@link #classifier()}: transient ones are
 *       retried, permanent ones dead-lettered, unknown outcomes redelivered.</li>
 * </ul>
 * Implementations must be thread-safe: the coordinator calls them from several threads.
 *
 * @param <T> the entity type
 */
public interface Sink<T> {

    /**
     * Brings the sink to the change's version of the entity, unless it already holds that version
     * or a newer one.
     *
     * @param change the change, never null
     * @return {@link ApplyResult#APPLIED} or {@link ApplyResult#ALREADY_CURRENT}
     * @throws Exception when the change could not be applied; classified by {@link #classifier()}
     */
    ApplyResult apply(Change<T> change) throws Exception;

    /**
     * Applies several changes (of different entities, or of one entity in any order), for
     * recovery and reconciliation. The default applies them one by one (an {@link Error} from one
     * change, unless {@linkplain ErrorClassifier#isFatal fatal}, fails that change alone, as
     * PERMANENT); a sink whose destination has a bulk request should send one request per call.
     * When the destination refuses such a request as a whole, the sink may throw (an unchecked
     * {@link SinkException}) instead of giving every change the same outcome: the coordinator then
     * takes the failure for every change, except that a PERMANENT one (or a time-out) has it try each
     * change alone, so that a change the destination refuses fails alone and the others land.
     *
     * @param changes the changes, never null
     * @return one outcome per change, in the same order
     */
    default List<BatchItem> applyAll(List<Change<T>> changes) {
        List<BatchItem> out = new ArrayList<>(changes.size());
        for (Change<T> change : changes) {
            try {
                out.add(BatchItem.of(apply(change)));
            } catch (Exception e) {
                out.add(BatchItem.failed(e));
            } catch (Error e) {
                // one change's Error is that change's own permanent failure; the others go on
                ErrorClassifier.rethrowIfFatal(e);
                out.add(BatchItem.failed(new SinkException("applying " + change.idempotencyKey() + " threw " + e,
                        io.dualwrite.ErrorKind.PERMANENT, e)));
            }
        }
        return out;
    }

    /**
     * Maps and validates a change exactly as {@link #apply(Change)} would, without sending it.
     * Used for {@link io.dualwrite.DeliveryPolicy#SHADOW} sinks (a dry run of a new sink or mapping).
     * The default does nothing.
     *
     * @param change the change, never null
     * @throws Exception when the change could not be mapped or is invalid
     */
    default void validate(Change<T> change) throws Exception {
    }

    /**
     * The entity type this sink was built for, when it is built for one (a sink that keys or checks what it stores by
     * entity type): a writer of another type refuses it when it is built, instead of dead-lettering every change.
     *
     * @return the entity type; empty (the default) when the sink takes any
     */
    default Optional<String> boundEntityType() {
        return Optional.empty();
    }

    /**
     * @return the classifier of this sink's failures; the default is {@link ErrorClassifier#defaults()}
     */
    default ErrorClassifier classifier() {
        return ErrorClassifier.defaults();
    }

    /**
     * How long one call can take at most, bounded by the sink's own client whatever the
     * destination does: {@link #apply} returns or throws within this time (its connect, request and
     * reply included), and {@link #applyAll} of n changes within n times it. A sink that declares a
     * bound no longer than its {@link io.dualwrite.SinkSettings#attemptTimeout() attempt timeout} is
     * called on the delivering thread (the caller's own, for the last SYNC sink of a write), which
     * saves a hand-off to another thread per call; otherwise the coordinator enforces the attempt
     * timeout itself on a pool thread. {@link io.dualwrite.SinkSettings.Builder#clientEnforcesTimeout}
     * overrides this either way.
     *
     * @return the bound; empty (the default) when the sink cannot promise one, as a wrapper that adds
     *         latency, or a client without a timeout of its own
     */
    default Optional<Duration> callTimeout() {
        return Optional.empty();
    }

    /**
     * Whether {@link #applyAll} sends every change of a batch in one request, which takes as long as
     * one call at most whatever the number of changes (a bulk API: one request, one reply). Then a
     * bulk call has the {@linkplain io.dualwrite.SinkSettings#attemptTimeout() attempt timeout} of
     * one call, and a recovery pass sends the sink its whole batch in one call whenever one call can
     * end within the pass's lease. Otherwise (the default, right for an {@code applyAll} that calls
     * the destination once per change) a bulk call of n changes may take n attempt timeouts, and a
     * pass sends at most half as many changes per call as can end within its lease (at least one), so
     * that a call that fails or times out as a whole leaves time to send each of its changes alone.
     *
     * @return true when a bulk call is one request bounded like one call; false (the default) otherwise
     */
    default boolean appliesAllInOneCall() {
        return false;
    }

    /**
     * The outcome of one change in {@link #applyAll(List)}. Immutable.
     */
    final class BatchItem {
        private final ApplyResult result;
        private final Exception error;

        private BatchItem(ApplyResult result, Exception error) {
            this.result = result;
            this.error = error;
        }

        /**
         * @param result the sink's result
         * @return a successful item
         */
        public static BatchItem of(ApplyResult result) {
            return new BatchItem(java.util.Objects.requireNonNull(result, "result"), null);
        }

        /**
         * @param error the failure
         * @return a failed item
         */
        public static BatchItem failed(Exception error) {
            return new BatchItem(null, java.util.Objects.requireNonNull(error, "error"));
        }

        /** @return the result, or null when failed */
        public ApplyResult result() {
            return result;
        }

        /** @return the failure, or null when successful */
        public Exception error() {
            return error;
        }

        /** @return true when the change was applied or already current */
        public boolean succeeded() {
            return error == null;
        }
    }
}
