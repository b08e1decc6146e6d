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
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The per-writer {@code instance} tag of a writer's meters: unique among open writers, freed when it is no longer held. */
class MeterInstanceTagTest {

    private static DualWriter<Product> writer(SimpleMeterRegistry meters, String workerId) {
        return new WriterFixture().builder().meterRegistry(meters).workerId(workerId).sink("s",
                new InMemorySink<>(), WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build();
    }

    private static String instanceOf(SimpleMeterRegistry meters) {
        return meters.find(DualWriteMetrics.RECOVERY_BACKLOG).tag(DualWriteMetrics.TAG_TYPE, "product").gauge()
                .getId().getTag(DualWriteMetrics.TAG_INSTANCE);
    }

    /**
     * A writer whose build fails after it took its instance tag (here its meter registry refuses the recovery
     * gauges) never opened, so it holds no tag: the next writer with that worker id is tagged with the worker id
     * itself, not {@code <workerId>#2}.
     */
    @Test
    void aWriterWhoseBuildFailsDoesNotKeepItsInstanceTag() {
        SimpleMeterRegistry refusing = refusingTheBacklogGauge();
        assertThrows(IllegalStateException.class, () -> writer(refusing, "failed-build-1"));

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DualWriter<Product> w = writer(meters, "failed-build-1")) {
            assertEquals("failed-build-1", instanceOf(meters),
                    "the writer that failed to build released its tag, so this one takes the worker id itself");
        }
    }

    /**
     * Writers of one type and worker id opened at once from many threads each get a tag of their own, and once all
     * have closed a new writer gets the worker id itself again.
     */
    @Test
    void writersOpenedAndClosedConcurrentlyGetDistinctTagsAndFreeThemAll() throws Exception {
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> tags = new ArrayList<>();
            List<DualWriter<Product>> open = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < n; i++) {
                tags.add(pool.submit(() -> {
                    SimpleMeterRegistry meters = new SimpleMeterRegistry();
                    DualWriter<Product> w = writer(meters, "concurrent-1");
                    open.add(w);
                    return instanceOf(meters);
                }));
            }
            Set<String> distinct = new HashSet<>();
            for (Future<String> f : tags) {
                distinct.add(f.get());
            }
            assertEquals(n, distinct.size(), "each open writer's tag is its own: " + distinct);
            List<Future<?>> closes = new ArrayList<>();
            for (DualWriter<Product> w : open) {
                closes.add(pool.submit(() -> {
                    w.close();
                    w.close();
                }));
            }
            for (Future<?> f : closes) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (DualWriter<Product> w = writer(meters, "concurrent-1")) {
            assertEquals("concurrent-1", instanceOf(meters), "every closed writer freed its tag");
        }
    }
    /**
     * A writer whose build fails after its threads were made (here its meter registry refuses the recovery gauges)
     * leaves no thread of its own running: its acknowledgement scheduler, which already flushes on a timer, is
     * shut down with the failed build.
     */
    @Test
    void aWriterWhoseBuildFailsLeavesNoThreadRunning() throws Exception {
        SimpleMeterRegistry refusing = refusingTheBacklogGauge();
        assertThrows(IllegalStateException.class, () -> new WriterFixture().builder().entityType("failedbuild")
                .meterRegistry(refusing).sink("s", new InMemorySink<>(),
                        WriterFixture.fast().policy(DeliveryPolicy.ASYNC).build()).build());
        List<Thread> left = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("dualwrite-failedbuild-")) {
                t.join(5_000);
                if (t.isAlive()) {
                    left.add(t);
                }
            }
        }
        assertEquals(List.of(), left.stream().map(Thread::getName).toList(),
                "threads of the writer that failed to build still running");
    }

    /** @return a registry that refuses the recovery backlog gauge, so that a writer's build fails part-way */
    private static SimpleMeterRegistry refusingTheBacklogGauge() {
        SimpleMeterRegistry refusing = new SimpleMeterRegistry();
        refusing.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().equals(DualWriteMetrics.RECOVERY_BACKLOG)) {
                    throw new IllegalStateException("registry refuses " + id.getName());
                }
                return id;
            }
        });
        return refusing;
    }
}
