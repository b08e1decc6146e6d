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
import io.dualwrite.ErrorKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A sink whose work is two steps: {@link #map} turns a change into the request the destination
 * takes — computation only, where the application's own mapping code runs, with no I/O — and
 * {@link #send} sends it. The coordinator maps first, on the calling thread, outside the time
 * limit, the circuit breaker, the bulkhead and the retries that guard sending: whatever
 * {@code map} throws is the entity's own failure ({@link MappingException}, PERMANENT), so a
 * poisoned entity is dead-lettered at once, is never retried and never opens the sink's circuit,
 * and every other entity keeps flowing. A change is mapped once per delivery, however many times
 * it is sent.
 *
 * <p>{@link #apply}, {@link #applyAll} and {@link #validate} are defined here in terms of
 * {@code map} and {@code send}; implement those two (and {@link #sendAll} where the destination
 * has a bulk request). Implementations must be thread-safe, and {@code map} must not touch the
 * destination.
 *
 * @param <T> the entity type
 * @param <R> what the sink sends for one change (a document, a statement's parameters, a record)
 */
public interface MappingSink<T, R> extends Sink<T> {

    /**
     * Maps a change to its request, without I/O.
     *
     * @param change the change, never null
     * @return the request for {@link #send}, never null
     * @throws Exception when the change cannot be mapped; the coordinator treats anything thrown
     *                   here (but the JVM's own fatal errors) as the entity's permanent failure
     */
    R map(Change<T> change) throws Exception;

    /**
     * Sends one mapped change.
     *
     * @param change  the change
     * @param request what {@link #map} made of it
     * @return {@link ApplyResult#APPLIED} or {@link ApplyResult#ALREADY_CURRENT}
     * @throws Exception when the destination did not take it; classified by {@link #classifier()}
     */
    ApplyResult send(Change<T> change, R request) throws Exception;

    /**
     * Sends several mapped changes; the default sends them one by one. A sink whose destination has
     * a bulk request sends one per call.
     *
     * @param mapped the changes with their requests, never null
     * @return one outcome per change, in the same order
     */
    default List<BatchItem> sendAll(List<Mapped<T, R>> mapped) {
        List<BatchItem> out = new ArrayList<>(mapped.size());
        for (Mapped<T, R> m : mapped) {
            try {
                out.add(BatchItem.of(send(m.change(), m.request())));
            } catch (Exception e) {
                out.add(BatchItem.failed(e));
            }
        }
        return out;
    }

    /** Maps, then sends. */
    @Override
    default ApplyResult apply(Change<T> change) throws Exception {
        return send(change, mapOrFail(change));
    }

    /** Maps each change (a failure is that change's {@link MappingException}), then sends the others with {@link #sendAll}. */
    @Override
    default List<BatchItem> applyAll(List<Change<T>> changes) {
        List<BatchItem> out = new ArrayList<>(changes.size());
        List<Mapped<T, R>> mapped = new ArrayList<>(changes.size());
        List<Integer> at = new ArrayList<>(changes.size());
        for (Change<T> change : changes) {
            try {
                mapped.add(new Mapped<>(change, mapOrFail(change)));
                at.add(out.size());
                out.add(null);
            } catch (MappingException e) {
                out.add(BatchItem.failed(e));
            }
        }
        if (!mapped.isEmpty()) {
            List<BatchItem> sent = sendAll(mapped);
            for (int i = 0; i < at.size(); i++) {
                out.set(at.get(i), i < sent.size() ? sent.get(i) : BatchItem.failed(new SinkException(
                        "sendAll returned " + sent.size() + " outcomes for " + mapped.size() + " changes",
                        ErrorKind.UNKNOWN_OUTCOME, null)));
            }
        }
        return out;
    }

    /** Maps without sending: a SHADOW sink's dry run. */
    @Override
    default void validate(Change<T> change) throws Exception {
        mapOrFail(change);
    }

    /**
     * @param change a change
     * @return {@link #map}'s request
     * @throws MappingException wrapping whatever {@code map} threw (the JVM's own fatal errors pass
     *                          through), or when it returned null
     */
    default R mapOrFail(Change<T> change) throws MappingException {
        R request;
        try {
            request = map(change);
        } catch (MappingException e) {
            throw e;
        } catch (Throwable e) {
            ErrorClassifier.rethrowIfFatal(e);
            throw new MappingException("could not map " + change.idempotencyKey() + ": " + e, e);
        }
        if (request == null) {
            throw new MappingException("the mapping of " + change.idempotencyKey() + " returned null", null);
        }
        return request;
    }

    /**
     * A change with the request it was mapped to. Immutable if the request is.
     *
     * @param change  the change
     * @param request its request
     * @param <T>     the entity type
     * @param <R>     the request type
     */
    record Mapped<T, R>(Change<T> change, R request) {
        /**
         * @param change the {@code change} component
         * @param request the {@code request} component
         * @throws NullPointerException if an argument is null
         */
        public Mapped {
            Objects.requireNonNull(change, "change");
            Objects.requireNonNull(request, "request");
        }
    }
}
