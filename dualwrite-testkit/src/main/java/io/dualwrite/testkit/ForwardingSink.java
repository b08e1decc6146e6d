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
package io.dualwrite.testkit;

import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A sink that forwards every call to another one: extend it and override the calls a test wants
 * to watch or disturb. It is reconcilable whenever the wrapped sink is; the listing methods throw
 * {@link UnsupportedOperationException} otherwise.
 *
 * <p>It keeps the wrapped sink's mapping stage visible to the coordinator: it is a
 * {@link MappingSink} whose {@link #map} is the wrapped sink's own {@code map} when that is a
 * {@code MappingSink} (so a mapping failure stays the entity's own, permanent, failure, outside
 * the sink's circuit breaker) and otherwise returns the change itself, leaving every failure of a
 * plain sink to {@link #send}, which calls its {@code apply}. Every delivery, whoever makes it,
 * goes through {@link #map} and then {@link #send} or {@link #sendAll}: override those to watch or
 * disturb what reaches the destination. {@link #apply} and {@link #applyAll} are therefore final
 * (they map and send, like every {@code MappingSink}), so an override that the coordinator would
 * never call cannot be written by mistake.
 *
 * <p>Thread-safe if the wrapped sink is and the overrides are.
 *
 * @param <T> the entity type
 */
public class ForwardingSink<T> implements MappingSink<T, Object>, ReconcilableSink<T> {
    private final Sink<T> delegate;
    private final MappingSink<T, Object> mapping;

    /** @param delegate the sink to forward to, not null */
    @SuppressWarnings("unchecked")
    public ForwardingSink(Sink<T> delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.mapping = delegate instanceof MappingSink ? (MappingSink<T, Object>) delegate : null;
    }

    /** @return the wrapped sink */
    public Sink<T> delegate() {
        return delegate;
    }

    /** @return true when the wrapped sink is a {@link ReconcilableSink} */
    public boolean reconcilable() {
        return delegate instanceof ReconcilableSink;
    }

    /**
     * @param change the change
     * @return the wrapped sink's request when it is a {@link MappingSink}, else the change itself
     * @throws Exception what the wrapped sink's {@code map} throws
     */
    @Override
    public Object map(Change<T> change) throws Exception {
        return mapping != null ? mapping.map(change) : change;
    }

    /**
     * @param change  the change
     * @param request what {@link #map} made of it
     * @return the wrapped sink's result: its {@code send} of the request when it is a
     *         {@link MappingSink}, else its {@code apply} of the change
     * @throws Exception what the wrapped sink throws
     */
    @Override
    public ApplyResult send(Change<T> change, Object request) throws Exception {
        return mapping != null ? mapping.send(change, request) : delegate.apply(change);
    }

    /**
     * @param mapped the changes with their requests
     * @return the wrapped sink's outcomes: its {@code sendAll} when it is a {@link MappingSink},
     *         else its {@code applyAll} of the changes
     */
    @Override
    public List<BatchItem> sendAll(List<Mapped<T, Object>> mapped) {
        if (mapping != null) {
            return mapping.sendAll(mapped);
        }
        List<Change<T>> changes = new ArrayList<>(mapped.size());
        mapped.forEach(m -> changes.add(m.change()));
        return delegate.applyAll(changes);
    }

    /** Maps, then sends; override {@link #map} or {@link #send} to watch a delivery. */
    @Override
    public final ApplyResult apply(Change<T> change) throws Exception {
        return MappingSink.super.apply(change);
    }

    /** Maps each change, then sends the others with {@link #sendAll}; override that to watch a batch. */
    @Override
    public final List<BatchItem> applyAll(List<Change<T>> changes) {
        return MappingSink.super.applyAll(changes);
    }

    /**
     * Maps without sending; a wrapped sink that is not a {@link MappingSink} then validates the
     * change itself.
     */
    @Override
    public void validate(Change<T> change) throws Exception {
        mapOrFail(change);
        if (mapping == null) {
            delegate.validate(change);
        }
    }

    @Override
    public ErrorClassifier classifier() {
        return delegate.classifier();
    }

    /** @return the wrapped sink's entity type, so that a writer still refuses a sink built for another type */
    @Override
    public Optional<String> boundEntityType() {
        return delegate.boundEntityType();
    }

    /** @return the wrapped sink's own call timeout */
    @Override
    public Optional<Duration> callTimeout() {
        return delegate.callTimeout();
    }

    /** @return whether the wrapped sink applies a batch in one call */
    @Override
    public boolean appliesAllInOneCall() {
        return delegate.appliesAllInOneCall();
    }

    /** @throws UnsupportedOperationException when the wrapped sink is not a {@link ReconcilableSink} */
    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        return asReconcilable().versionsOf(ids);
    }

    /** @throws UnsupportedOperationException when the wrapped sink is not a {@link ReconcilableSink} */
    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
        return asReconcilable().idsAfter(afterExclusive, limit);
    }

    private ReconcilableSink<T> asReconcilable() {
        if (!reconcilable()) {
            throw new UnsupportedOperationException("the wrapped sink " + delegate.getClass().getName()
                    + " is not a ReconcilableSink");
        }
        return (ReconcilableSink<T>) delegate;
    }
}
