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
import io.dualwrite.RecoveryReport;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spring.boot.app.Product;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle when a part of it fails: a start that fails part-way stops again what it started and closes the
 * writers; a stop in which one close fails still closes everything after it, and throws that failure.
 */
class DualWriteLifecycleFailuresTest {

    /** A recovery worker that records its start and close, and fails the one it is told to. */
    static final class Worker implements RecoveryWorker {
        final RuntimeException failStart;
        final RuntimeException failClose;
        boolean started;
        boolean closed;

        Worker(RuntimeException failStart, RuntimeException failClose) {
            this.failStart = failStart;
            this.failClose = failClose;
        }

        @Override
        public void start() {
            if (failStart != null) {
                throw failStart;
            }
            started = true;
        }

        @Override
        public RecoveryReport totals() {
            return new RecoveryReport(0, 0, 0, 0);
        }

        @Override
        public long backlog() {
            return 0;
        }

        @Override
        public void close() {
            closed = true;
            if (failClose != null) {
                throw failClose;
            }
        }
    }

    private static DualWriter<Product> writer() {
        return DualWriter.<Product>builder().entityType("product").idOf(Product::getId)
                .primary(new InMemoryPrimaryStore<>()).deadLetterStore(new InMemoryDeadLetterStore())
                .meterRegistry(new SimpleMeterRegistry()).sink("search", new InMemorySink<>()).build();
    }

    private static boolean isClosed(DualWriter<Product> w) {
        try {
            w.save(new Product("p-1", "kettle", 10));
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    @Test
    void aStartThatFailsPartWayStopsWhatItStartedAndClosesTheWriters() {
        DualWriter<Product> w = writer();
        Worker first = new Worker(null, null);
        RuntimeException refused = new IllegalStateException("the second worker cannot start");
        Worker second = new Worker(refused, null);
        DualWriteLifecycle lifecycle = new DualWriteLifecycle(
                new DualWriters(Map.of(Product.class, w), CircuitBreakerRegistry.ofDefaults()), List.of(first, second));
        assertSame(refused, assertThrows(IllegalStateException.class, lifecycle::start), "the start's own failure");
        assertTrue(first.started && first.closed, "the worker that started is stopped again");
        assertTrue(isClosed(w), "the writers are closed, as a stop closes them");
        assertFalse(lifecycle.isRunning());
    }

    @Test
    void aStopWhoseFirstCloseFailsStillClosesEverythingAfterIt() {
        DualWriter<Product> w = writer();
        RuntimeException broken = new IllegalStateException("the first worker cannot close");
        Worker first = new Worker(null, broken);
        Worker second = new Worker(null, null);
        DualWriteLifecycle lifecycle = new DualWriteLifecycle(
                new DualWriters(Map.of(Product.class, w), CircuitBreakerRegistry.ofDefaults()), List.of(first, second));
        lifecycle.start();
        assertTrue(lifecycle.isRunning());
        assertSame(broken, assertThrows(IllegalStateException.class, lifecycle::stop), "the first failure is thrown");
        assertTrue(second.closed, "the worker after it is closed");
        assertTrue(isClosed(w), "and the writers");
        assertFalse(lifecycle.isRunning());
        assertEquals(0, broken.getSuppressed().length, "nothing else failed");
    }
}
