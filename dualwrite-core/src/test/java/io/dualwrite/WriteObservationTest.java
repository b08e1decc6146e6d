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

import io.dualwrite.memory.InMemorySink;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One observation per write, and one {@code dualwrite.write} timer made of it: the same name and
 * tags whether the writer observes in its own registry or in the application's, no percentiles
 * unless asked, and a convention the application can replace.
 */
class WriteObservationTest {
    private final WriterFixture fx = new WriterFixture();

    private Set<Set<String>> tagKeysOfWriteTimers() {
        return fx.meters.find(DualWriteMetrics.WRITE).timers().stream()
                .map(t -> t.getId().getTags().stream().map(tag -> tag.getKey()).collect(Collectors.toSet()))
                .collect(Collectors.toSet());
    }

    @Test
    void theWritersOwnRegistryRecordsOneTimerWithTheDocumentedTagsAndNoPercentiles() {
        try (DualWriter<Product> w = fx.builder().sink("a", new InMemorySink<>()).build()) {
            w.save(new Product("p1", "x", 1));
            w.save(new Product("p2", "x", 1));
        }
        Timer applied = fx.meters.find(DualWriteMetrics.WRITE).tags("type", "product", "operation", "UPSERT",
                "outcome", "applied").timer();
        assertEquals(2, applied.count());
        assertEquals(Set.of(Set.of("type", "operation", "outcome", "error")), tagKeysOfWriteTimers(),
                "one family of dualwrite.write timers");
        assertEquals(0, applied.takeSnapshot().percentileValues().length, "percentiles only when a filter asks");
        List<Meter> gauges = fx.meters.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith(DualWriteMetrics.WRITE + ".percentile")).toList();
        assertTrue(gauges.isEmpty(), gauges.toString());
    }

    @Test
    void inTheApplicationsRegistryTheSameTimerIsRecordedOnceNotTwice() {
        ObservationRegistry app = ObservationRegistry.create();
        app.observationConfig().observationHandler(new DefaultMeterObservationHandler(fx.meters));
        try (DualWriter<Product> w = fx.builder().observationRegistry(app).sink("a", new InMemorySink<>()).build()) {
            w.save(new Product("p1", "x", 1));
        }
        assertEquals(Set.of(Set.of("type", "operation", "outcome", "error")), tagKeysOfWriteTimers());
        assertEquals(1, fx.meters.find(DualWriteMetrics.WRITE).timers().stream().mapToLong(Timer::count).sum(),
                "one write, one recording");
    }

    @Test
    void aConventionOfTheApplicationsOwnRenamesAndAddsTags() {
        WriteObservationConvention withTenant = new WriteObservationConvention() {
            @Override
            public String getName() {
                return "shop.writes";
            }

            @Override
            public KeyValues getLowCardinalityKeyValues(WriteObservationContext context) {
                return WriteObservationConvention.DEFAULT.getLowCardinalityKeyValues(context).and("tenant", "eu");
            }
        };
        try (DualWriter<Product> w = fx.builder().observationConvention(withTenant).sink("a", new InMemorySink<>())
                .build()) {
            w.save(new Product("p1", "x", 1));
        }
        assertEquals(1, fx.meters.find("shop.writes").tags("tenant", "eu", "outcome", "applied").timer().count());
        assertTrue(fx.meters.find(DualWriteMetrics.WRITE).timers().isEmpty(), "the convention named it");
    }
}
