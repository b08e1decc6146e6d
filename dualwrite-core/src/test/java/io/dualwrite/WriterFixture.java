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

import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.time.Instant;

/** Builds writers over in-memory stores with fast, deterministic settings. */
final class WriterFixture {
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    final InMemoryPrimaryStore<Product> primary = new InMemoryPrimaryStore<>();
    final InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    static SinkSettings.Builder fast() {
        return SinkSettings.builder().maxAttempts(3).backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).jitter(0)
                .attemptTimeout(Duration.ofSeconds(5));
    }

    DualWriterBuilder<Product> builder() {
        return DualWriter.<Product>builder()
                .entityType("product")
                .idOf(Product::getId)
                .primary(primary)
                .deadLetterStore(deadLetters)
                .meterRegistry(meters)
                .clock(clock)
                .gracePeriod(Duration.ofSeconds(30))
                .recoveryRetry(3, Duration.ofSeconds(1), Duration.ofSeconds(8));
    }

    double counter(String name, String... tags) {
        var c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /**
     * @return the state of a sink's circuit breaker as the writer publishes it (the writer's own registry, bound to
     *         its meters), in upper case
     */
    String circuitState(DualWriter<?> writer, String sink) {
        String name = DualWriter.circuitBreakerName(writer.entityType(), sink);
        for (var g : meters.find("resilience4j.circuitbreaker.state").tag("name", name).gauges()) {
            if (g.value() == 1.0) {
                return g.getId().getTag("state").toUpperCase(java.util.Locale.ROOT);
            }
        }
        throw new AssertionError("no state of circuit breaker " + name + " is published");
    }

    long timerCount(String name, String... tags) {
        return meters.find(name).tags(tags).timers().stream().mapToLong(t -> t.count()).sum();
    }
}
