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

import io.dualwrite.json.Json;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Everything a {@link DualWriterBuilder} collected, checked and fixed: what a writer is built from. Made only by
 * {@link DualWriterBuilder#build()}. Immutable (the stores, sinks and registries it names are the application's).
 *
 * @param <T> the entity type
 */
public final class WriterSettings<T> {
    private final String entityType;
    private final Function<? super T, String> idOf;
    private final PrimaryStore<T> primary;
    private final DeadLetterStore deadLetterStore;
    private final List<SinkRegistration<T>> sinks;
    private final Json json;
    private final boolean validateSerialization;
    private final Observability observability;
    private final Threads threads;
    private final Recovery recovery;
    private final Acknowledgements acknowledgements;
    private final Duration requestKeyWindow;

    /**
     * How a writer is observed.
     *
     * @param meters      where its meters go
     * @param observations the application's observation registry, or null for the writer's own
     * @param convention  the write observation's convention, or null for {@link WriteObservationConvention#DEFAULT}
     * @param breakers    the application's circuit breaker registry, or null for the writer's own
     * @param clock       the writer's clock
     */
    public record Observability(MeterRegistry meters, ObservationRegistry observations,
                                WriteObservationConvention convention, CircuitBreakerRegistry breakers, Clock clock) {
    }

    /**
     * The application's threads, if it gives the writer any.
     *
     * @param executor  runs sink calls that need a time limit the sink cannot enforce itself, or null for the writer's own
     * @param scheduler runs the acknowledgement timer, or null for the writer's own
     */
    public record Threads(ExecutorService executor, ScheduledExecutorService scheduler) {
    }

    /**
     * How recovery takes over what the synchronous path left.
     *
     * @param gracePeriod    the synchronous path's head start, stamped on each intent at commit
     * @param batchSize      entities claimed per pass
     * @param lease          how long a claim holds its entities
     * @param maxAttempts    attempts per intent before it is dead-lettered
     * @param initialBackoff the wait after the first failed attempt
     * @param maxBackoff     the longest wait between attempts
     * @param workerId       this instance's name in leases
     * @param maxClockSkew   how far the hosts' clocks may disagree: a pass ends its calls that much before its lease
     *                       ends, as the lease's end is read with another host's clock
     */
    public record Recovery(Duration gracePeriod, int batchSize, Duration lease, int maxAttempts,
                           Duration initialBackoff, Duration maxBackoff, String workerId, Duration maxClockSkew) {
    }

    /**
     * How acknowledgements are batched.
     *
     * @param batchSize the most acknowledgements per write to the primary
     * @param interval  the longest an acknowledgement waits to be written
     */
    public record Acknowledgements(int batchSize, Duration interval) {
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    WriterSettings(String entityType, Function<? super T, String> idOf, PrimaryStore<T> primary,
                   DeadLetterStore deadLetterStore, List<SinkRegistration<T>> sinks, Json json,
                   boolean validateSerialization, Observability observability, Threads threads, Recovery recovery,
                   Acknowledgements acknowledgements, Duration requestKeyWindow) {
        this.entityType = entityType;
        this.idOf = idOf;
        this.primary = primary;
        this.deadLetterStore = deadLetterStore;
        this.sinks = List.copyOf(sinks);
        this.json = json;
        this.validateSerialization = validateSerialization;
        this.observability = observability;
        this.threads = threads;
        this.recovery = recovery;
        this.acknowledgements = acknowledgements;
        this.requestKeyWindow = requestKeyWindow;
    }

    /** @return the entity type's name */
    public String entityType() {
        return entityType;
    }

    /** @return reads an entity's id, if given */
    public Optional<Function<? super T, String>> idOf() {
        return Optional.ofNullable(idOf);
    }

    /** @return the primary store */
    public PrimaryStore<T> primary() {
        return primary;
    }

    /** @return the dead-letter store */
    public DeadLetterStore deadLetterStore() {
        return deadLetterStore;
    }

    /** @return the sinks, in registration order */
    public List<SinkRegistration<T>> sinks() {
        return sinks;
    }

    /** @return the JSON mapping the serialization check uses */
    public Json json() {
        return json;
    }

    /** @return whether a save checks first that the entity serializes */
    public boolean validateSerialization() {
        return validateSerialization;
    }

    /** @return how the writer is observed */
    public Observability observability() {
        return observability;
    }

    /** @return the application's threads */
    public Threads threads() {
        return threads;
    }

    /** @return how recovery takes over */
    public Recovery recovery() {
        return recovery;
    }

    /** @return how acknowledgements are batched */
    public Acknowledgements acknowledgements() {
        return acknowledgements;
    }

    /** @return the window in which a caller's request key is deduplicated */
    public Duration requestKeyWindow() {
        return requestKeyWindow;
    }
}
