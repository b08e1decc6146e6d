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
package io.dualwrite.examples.operations;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.examples.Product;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The code of the operations runbook (docs/operations.md): meters, dead letters, several
 * instances and a mapping upgrade. Each tagged region is a snippet of the page; a test runs every
 * method against the in-memory reference implementations.
 */
public final class OperationsRunbook {
    private OperationsRunbook() {
    }

    /**
     * Adds write-latency percentiles and SLO buckets to a registry (before the coordinator is built).
     *
     * @param registry the application's registry
     */
    public static void publishLatencyPercentiles(MeterRegistry registry) {
        // tag::ops-percentiles[]
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals(DualWriteMetrics.WRITE) || id.getName().equals(DualWriteMetrics.SINK_APPLY)) {
                    return DistributionStatisticConfig.builder()
                            .percentiles(0.5, 0.95, 0.99)
                            .serviceLevelObjectives(Duration.ofMillis(50).toNanos(), Duration.ofMillis(250).toNanos())
                            .build().merge(config);
                }
                return config;
            }
        });
        // end::ops-percentiles[]
    }

    /**
     * Lists, inspects, replays and discards dead letters of one coordinator.
     *
     * @param writer the coordinator
     * @return how many dead letters of the search sink were replayed successfully
     */
    public static int handleDeadLetters(DualWriter<Product> writer) {
        // tag::ops-dead-letters[]
        // what waits, per sink and kind (oldest first)
        List<DeadLetter> search = writer.deadLetters().list(DeadLetterQuery.builder().sink("search").limit(50).build());
        for (DeadLetter d : search) {
            System.out.printf("%s v%d %s after %d attempts: %s (correlation %s)%n", d.entityId(), d.version(),
                    d.kind(), d.attempts(), d.lastError(), d.correlationId().orElse("-"));
        }
        // one entity, in full
        Optional<DeadLetter> one = writer.deadLetters().inspect(DeadLetter.idOf("product", "p-17", "search"));

        // after fixing the cause: replay one, or everything a filter matches; each replay reads the
        // entity's current state and goes through the normal delivery path
        one.ifPresent(d -> writer.deadLetters().replay(d.id()));
        int replayed = writer.deadLetters().replayAll(DeadLetterQuery.builder().sink("search").build());

        // what no longer matters (a product withdrawn for good, a sink removed)
        writer.deadLetters().discardAll(DeadLetterQuery.builder().sink("legacy-feed").build());
        // end::ops-dead-letters[]
        return replayed;
    }

    /**
     * Sends the current state of some entities to a sink again, after the sink lost data.
     *
     * @param writer the coordinator
     * @return the outcome per id
     */
    public static Map<String, SinkOutcome> redeliverAfterRestore(DualWriter<Product> writer) {
        // tag::ops-redeliver[]
        // the cache was flushed or the index restored from an old snapshot: push the current state again
        Map<String, SinkOutcome> outcomes = writer.operations().redeliver("search", List.of("p-17", "p-18", "p-19"));
        // end::ops-redeliver[]
        return outcomes;
    }

    /**
     * Wires one instance of a service that runs on several machines.
     *
     * @param primary     the shared primary
     * @param deadLetters the shared dead-letter store
     * @param search      the search sink
     * @param instance    this instance's name (host name, pod name)
     * @return the coordinator and its running recovery worker
     */
    public static Map.Entry<DualWriter<Product>, RecoveryWorker> instance(PrimaryStore<Product> primary,
                                                                         DeadLetterStore deadLetters,
                                                                         Sink<Product> search, String instance) {
        // tag::ops-instances[]
        DualWriter<Product> writer = DualWriter.<Product>builder()
                .entityType("product").idOf(Product::id)
                .primary(primary).deadLetterStore(deadLetters)
                .sink("search", search)                       // the same sinks, by the same names, everywhere
                .workerId(instance)                           // shows in leases: who holds what
                .lease(Duration.ofSeconds(60))                // longer than a recovery pass takes
                .gracePeriod(Duration.ofSeconds(30))          // longer than a slow synchronous delivery
                .build();
        RecoveryWorker recovery = RecoveryWorker.builder(writer).build();
        recovery.start();                                     // one per instance: leases share the backlog
        // end::ops-instances[]
        return Map.entry(writer, recovery);
    }

    /**
     * The three steps of rolling out a new mapping of the search index as a second sink.
     *
     * @param base      the coordinator's builder with everything but the new sink
     * @param searchV2  the sink writing the new mapping (its own index)
     * @param step      1 (shadow), 2 (ramp) or 3 (sync)
     * @param rampShare the share of entities in step 2, in percent
     * @return the builder with the new sink registered for that step
     */
    public static DualWriterBuilder<Product> rollOut(DualWriterBuilder<Product> base, Sink<Product> searchV2, int step,
                                                     double rampShare) {
        switch (step) {
            case 1 -> {
                // tag::ops-shadow[]
                // step 1: map and validate every change, send nothing; watch outcome=skipped and the logs
                base.sink("search-v2", searchV2, SinkSettings.of(DeliveryPolicy.SHADOW));
                // end::ops-shadow[]
            }
            case 2 -> {
                // tag::ops-ramp[]
                // step 2: a stable share of the entities (by a hash of the id) really goes to the new index
                base.sink("search-v2", searchV2, SinkSettings.builder().schemaVersion(2).rampPercent(rampShare).build());
                // end::ops-ramp[]
            }
            case 3 -> {
                // tag::ops-sync[]
                // step 3: every entity, like any other synchronous sink; then backfill the rest (reconciliation)
                base.sink("search-v2", searchV2, SinkSettings.builder().schemaVersion(2).build());
                // end::ops-sync[]
            }
            default -> throw new IllegalArgumentException("step must be 1, 2 or 3, was " + step);
        }
        return base;
    }
}
