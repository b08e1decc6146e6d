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

import io.dualwrite.Change;
import io.dualwrite.SinkPipeline;
import io.dualwrite.SinkSettings;
import io.dualwrite.spi.Sink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Opens {@link SinkPipeline}s: a {@link SinkChannel} of its own, outside any writer. */
public final class Pipelines {
    private Pipelines() {
    }

    /**
     * @param entityType  the entity type
     * @param sinkName    the sink's name
     * @param sink        the sink
     * @param settings    its settings
     * @param meters      where its meters go
     * @param breakers    the breaker registry, or null for one of the pipeline's own, published to {@code meters}
     * @param breakerName the breaker's name
     * @param path        the timer's path tag
     * @param <T>         the entity type
     * @return the pipeline
     */
    public static <T> SinkPipeline<T> open(String entityType, String sinkName, Sink<T> sink, SinkSettings settings,
                                           MeterRegistry meters, CircuitBreakerRegistry breakers, String breakerName,
                                           String path) {
        CircuitBreakerRegistry registry = breakers;
        if (registry == null) {
            registry = CircuitBreakerRegistry.ofDefaults();
            TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
        }
        // threads only for a sink that cannot bound its own calls: created on first use
        ExecutorService executor = Executors.newCachedThreadPool(WriterCore.daemon("dualwrite-" + breakerName));
        return new Channel<>(new SinkChannel<>(entityType, sinkName, sink, settings, executor, meters, registry,
                breakerName), executor, path);
    }

    private static final class Channel<T> implements SinkPipeline<T> {
        private final SinkChannel<T> channel;
        private final ExecutorService executor;
        private final String path;

        Channel(SinkChannel<T> channel, ExecutorService executor, String path) {
            this.channel = channel;
            this.executor = executor;
            this.path = path;
        }

        @Override
        public String sinkName() {
            return channel.name;
        }

        @Override
        public String circuitBreakerName() {
            return channel.circuitBreaker().getName();
        }

        @Override
        public Outcome deliver(Change<T> change) {
            Delivery d = channel.deliver(change, path);
            return new Outcome(d.result, d.kind, d.error, d.attempts, d.notCalled);
        }

        @Override
        public Duration notCalledPause() {
            return channel.notCalledPause();
        }

        @Override
        public void close() {
            channel.releaseBreaker();
            executor.shutdown();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return "SinkPipeline{" + channel.circuitBreaker().getName() + "}";
        }
    }
}
