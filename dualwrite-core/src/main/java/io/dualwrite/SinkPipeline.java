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

import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.Objects;

/**
 * One sink behind the delivery policies every road to a sink shares: the sink's mapping, a time
 * limit per call, a circuit breaker, a bulkhead, retries with jittered exponential backoff (only
 * for failures worth retrying, honouring a sink's Retry-After), the classification of what failed,
 * and the {@code dualwrite.sink.apply} timer and {@code dualwrite.sink.retries} counter. The
 * coordinator delivers through it on every road; a component that delivers to sinks outside a
 * {@link DualWriter} (the MongoDB embedded-event relay) uses it so that its deliveries behave
 * and are measured alike. What happens after a failed delivery (an attempt counted, a reschedule,
 * a dead letter) is the caller's. Thread-safe.
 *
 * <pre>{@code
 * try (SinkPipeline<Order> audit = SinkPipeline.builder("order", "audit", auditSink)
 *         .settings(SinkSettings.builder().attemptTimeout(Duration.ofSeconds(2)).build())
 *         .meterRegistry(meters).path("events").build()) {
 *     SinkPipeline.Outcome out = audit.deliver(change);
 * }
 * }</pre>
 *
 * @param <T> the entity type
 */
public interface SinkPipeline<T> extends AutoCloseable {

    /**
     * @param entityType the entity type, for meters and the breaker's name
     * @param sinkName   the sink's name
     * @param sink       the sink
     * @param <T>        the entity type
     * @return a builder
     */
    static <T> Builder<T> builder(String entityType, String sinkName, Sink<T> sink) {
        return new Builder<>(entityType, sinkName, sink);
    }

    /** @return the sink's name */
    String sinkName();

    /** @return the name of the pipeline's circuit breaker in its registry */
    String circuitBreakerName();

    /**
     * Delivers one change: maps it (a mapping failure is the change's own, {@link ErrorKind#PERMANENT},
     * and never counts against the breaker), then calls the sink under the time limit, breaker,
     * bulkhead and retries. Never throws for what the sink does, except the JVM's fatal errors.
     *
     * @param change the change
     * @return what became of it
     */
    Outcome deliver(Change<T> change);

    /**
     * @return how long a caller should wait before trying a sink that was not called (its circuit is
     *         open: the breaker's wait in the open state), zero when its circuit is not open
     */
    Duration notCalledPause();

    /** Removes the pipeline's breaker from the registry if the pipeline created it there, and stops its threads. */
    @Override
    void close();

    /**
     * What became of one delivery.
     *
     * @param result    the sink's answer when it took the change, else null
     * @param kind      how the failure is classified, null on success
     * @param error     the last failure, null on success
     * @param attempts  the calls made (0 when the sink was not called)
     * @param notCalled true when the sink was not asked at all (an open circuit, a full bulkhead): no attempt of
     *                  the change was spent
     */
    record Outcome(ApplyResult result, ErrorKind kind, Throwable error, int attempts, boolean notCalled) {
        /** @return true when the sink took the change */
        public boolean succeeded() {
            return error == null;
        }
    }

    /**
     * Builds a {@link SinkPipeline}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    final class Builder<T> {
        private final String entityType;
        private final String sinkName;
        private final Sink<T> sink;
        private SinkSettings settings = SinkSettings.DEFAULT;
        private MeterRegistry meterRegistry;
        private CircuitBreakerRegistry circuitBreakerRegistry;
        private String circuitBreakerName;
        private String path = "direct";

        private Builder(String entityType, String sinkName, Sink<T> sink) {
            this.entityType = Objects.requireNonNull(entityType, "entityType");
            this.sinkName = Objects.requireNonNull(sinkName, "sinkName");
            this.sink = Objects.requireNonNull(sink, "sink");
        }

        /**
         * @param settings the time limit, retries, breaker and bulkhead; default {@link SinkSettings#DEFAULT} (its
         *                 delivery policy and ramp are the caller's to apply)
         * @return this
         */
        public Builder<T> settings(SinkSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * @param registry where the timer, the retry counter and (with the pipeline's own breaker registry) the
         *                 breaker's state are published; default a registry of the pipeline's own
         * @return this
         */
        public Builder<T> meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param registry the registry the breaker comes from (a breaker it already holds under the same name is
         *                 shared); default one of the pipeline's own, published to the meter registry
         * @return this
         */
        public Builder<T> circuitBreakerRegistry(CircuitBreakerRegistry registry) {
            this.circuitBreakerRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param name the breaker's name; default {@code dualwrite.<entityType>.<path>.<sink>}
         * @return this
         */
        public Builder<T> circuitBreakerName(String name) {
            this.circuitBreakerName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param path the road, as the {@code path} tag of the {@code dualwrite.sink.apply} timer; default
         *             {@code direct}
         * @return this
         */
        public Builder<T> path(String path) {
            if (Objects.requireNonNull(path, "path").isBlank()) {
                throw new IllegalArgumentException("path must not be blank");
            }
            this.path = path;
            return this;
        }

        /** @return the pipeline; close it when done */
        public SinkPipeline<T> build() {
            MeterRegistry meters = meterRegistry != null ? meterRegistry : new SimpleMeterRegistry();
            String breaker = circuitBreakerName != null ? circuitBreakerName
                    : "dualwrite." + entityType + "." + path + "." + sinkName;
            return io.dualwrite.internal.Pipelines.open(entityType, sinkName, sink, settings, meters,
                    circuitBreakerRegistry, breaker, path);
        }
    }
}
