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
package io.dualwrite.spring.boot;

import io.dualwrite.DualWriter;
import io.dualwrite.reconcile.Reconciler;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The application's dual writers, one per entity class that has a {@link DualWriteSinks} bean. Repositories marked
 * {@link DualWritten} write through them; application code uses them for writes that bypass the repository, such as
 * {@code MongoTemplate} updates: {@code writers.writer(Product.class).saveWith(id, () -> template.updateFirst(…))}.
 * Thread-safe; the writers are closed with the application.
 */
public final class DualWriters {
    private final Map<Class<?>, DualWriter<?>> writers;
    private final CircuitBreakerRegistry circuitBreakers;
    private final Map<Class<?>, Reconciler> reconcilers;

    /**
     * @param writers         the writers by entity class
     * @param circuitBreakers the registry the writers keep their sinks' circuit breakers in
     */
    public DualWriters(Map<Class<?>, DualWriter<?>> writers, CircuitBreakerRegistry circuitBreakers) {
        this(writers, circuitBreakers, Map.of());
    }

    /**
     * @param writers         the writers by entity class
     * @param circuitBreakers the registry the writers keep their sinks' circuit breakers in
     * @param reconcilers     the reconcilers by entity class, of the writers' reconcilable sinks
     */
    public DualWriters(Map<Class<?>, DualWriter<?>> writers, CircuitBreakerRegistry circuitBreakers,
                       Map<Class<?>, Reconciler> reconcilers) {
        this.writers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(writers, "writers")));
        this.circuitBreakers = Objects.requireNonNull(circuitBreakers, "circuitBreakers");
        this.reconcilers = Collections.unmodifiableMap(new LinkedHashMap<>(
                Objects.requireNonNull(reconcilers, "reconcilers")));
    }

    /**
     * The reconciler of an entity class: it compares the primary with those of its sinks that can say what they hold
     * ({@link io.dualwrite.spi.ReconcilableSink}) and repairs through the class's writer. The starter runs the
     * reconciliation requests with these.
     *
     * @param entityClass an entity class
     * @return its reconciler; empty when it has no writer or none of its sinks is reconcilable
     */
    public Optional<Reconciler> reconciler(Class<?> entityClass) {
        Objects.requireNonNull(entityClass, "entityClass");
        return Optional.ofNullable(reconcilers.get(entityClass));
    }

    /** @return every reconciler, one per entity class that has a reconcilable sink */
    public Collection<Reconciler> reconcilers() {
        return reconcilers.values();
    }

    /**
     * @param entityClass an entity class
     * @param <T>         the entity type
     * @return its writer, if it has one
     */
    @SuppressWarnings("unchecked")
    public <T> Optional<DualWriter<T>> find(Class<T> entityClass) {
        Objects.requireNonNull(entityClass, "entityClass");
        return Optional.ofNullable((DualWriter<T>) writers.get(entityClass));
    }

    /**
     * @param entityClass an entity class
     * @param <T>         the entity type
     * @return its writer
     * @throws IllegalStateException if the application declared no {@link DualWriteSinks} bean for it
     */
    public <T> DualWriter<T> writer(Class<T> entityClass) {
        return find(entityClass).orElseThrow(() -> new IllegalStateException("no DualWriteSinks bean for "
                + entityClass.getName() + "; declare one to dual-write it"));
    }

    /** @return every writer */
    public Collection<DualWriter<?>> all() {
        return writers.values();
    }

    /**
     * The circuit breaker of one sink of one writer, where its state can be read.
     *
     * @param writer a writer of this application
     * @param sink   one of its sink names
     * @return the sink's breaker, empty when the writer has no such sink or is closed
     */
    public Optional<CircuitBreaker> circuitBreaker(DualWriter<?> writer, String sink) {
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(sink, "sink");
        return circuitBreakers.find(DualWriter.circuitBreakerName(writer.entityType(), sink));
    }

    /** Closes every writer (queued acknowledgements are flushed). Idempotent. */
    void closeAll() {
        for (DualWriter<?> w : writers.values()) {
            w.close();
        }
    }
}
