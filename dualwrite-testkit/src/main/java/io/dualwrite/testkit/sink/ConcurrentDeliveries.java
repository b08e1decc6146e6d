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
package io.dualwrite.testkit.sink;

import io.dualwrite.Change;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Delivers changes to a sink from several threads at once, as recovery passes on several
 * instances and callers' writes do: each thread takes its own slice of the list and goes through
 * it in order, alternately over the sink instances given (two connections, two pools), every
 * third thread in batches ({@link Sink#applyAll}), the others one by one. Shuffle the list, repeat
 * changes and mix in deletes and older versions before, then check that the destination ended at
 * each entity's highest version and never went back. Thread-safe (stateless).
 */
public final class ConcurrentDeliveries {
    private ConcurrentDeliveries() {
    }

    /**
     * @param changes the changes, in the order the threads split them
     * @param sinks   one or more instances of the sink under test, used by the threads in turn
     * @param threads how many threads deliver, at least 1
     * @param batch   how many changes a batching thread sends per {@link Sink#applyAll} call, at least 1
     * @param timeout how long all of it may take
     * @param <T>     the entity type
     * @throws Exception the first failure of a thread: an apply that threw, or a batch item that failed
     *                   (an {@link AssertionError} whose cause is the item's error)
     */
    public static <T> void deliver(List<Change<T>> changes, List<? extends Sink<T>> sinks, int threads, int batch,
                                   Duration timeout) throws Exception {
        Objects.requireNonNull(changes, "changes");
        Objects.requireNonNull(timeout, "timeout");
        if (sinks.isEmpty() || threads < 1 || batch < 1) {
            throw new IllegalArgumentException("at least one sink, one thread and a batch of one are needed");
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            int slice = changes.size() / threads + 1;
            for (int t = 0; t < threads; t++) {
                List<Change<T>> mine = changes.subList(Math.min(changes.size(), t * slice),
                        Math.min(changes.size(), (t + 1) * slice));
                Sink<T> sink = sinks.get(t % sinks.size());
                boolean batched = t % 3 == 0;
                futures.add(pool.submit(() -> {
                    if (batched) {
                        for (int i = 0; i < mine.size(); i += batch) {
                            for (Sink.BatchItem item : sink.applyAll(mine.subList(i, Math.min(mine.size(), i + batch)))) {
                                if (!item.succeeded()) {
                                    throw new AssertionError("a batch item failed", item.error());
                                }
                            }
                        }
                    } else {
                        for (Change<T> c : mine) {
                            sink.apply(c);
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<?> f : futures) {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
