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

import io.dualwrite.spi.Ack;
import io.dualwrite.spi.PrimaryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Batches acknowledgements off the caller's path. A batch that cannot be written is dropped
 * with a warning: the intents stay, and recovery redelivers them, which the sinks' version
 * guards make harmless. Thread-safe.
 */
final class Acknowledger {
    private static final Logger LOG = LoggerFactory.getLogger(Acknowledger.class);

    private final PrimaryStore<?> store;
    private final int batchSize;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentLinkedQueue<Ack> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final Object flushLock = new Object();
    private final java.util.concurrent.ScheduledFuture<?> timer;

    Acknowledger(PrimaryStore<?> store, int batchSize, Duration interval, ScheduledExecutorService scheduler) {
        this.store = store;
        this.batchSize = batchSize;
        this.scheduler = scheduler;
        long micros = Math.max(1, interval.toNanos() / 1000);
        this.timer = scheduler.scheduleWithFixedDelay(this::flushQuietly, micros, micros, TimeUnit.MICROSECONDS);
    }

    void add(Ack ack) {
        queue.add(ack);
        if (size.incrementAndGet() >= batchSize && flushQueued.compareAndSet(false, true)) {
            try {
                scheduler.execute(() -> {
                    flushQueued.set(false);
                    flushQuietly(true);
                });
            } catch (RuntimeException rejected) {
                flushQueued.set(false);
                flush();
            }
        }
    }

    /** Writes everything queued now, on the calling thread. */
    void flush() {
        flush(false);
    }

    /**
     * @param fullOnly write only full batches and leave the rest for the timer or a later call: a batch
     *                 filled by the size trigger is never followed by a run of small ones
     */
    private void flush(boolean fullOnly) {
        synchronized (flushLock) {
            while (!queue.isEmpty() && (!fullOnly || size.get() >= batchSize)) {
                List<Ack> batch = new ArrayList<>(Math.min(batchSize, Math.max(1, size.get())));
                Ack a;
                while (batch.size() < batchSize && (a = queue.poll()) != null) {
                    batch.add(a);
                }
                size.addAndGet(-batch.size());
                if (batch.isEmpty()) {
                    return;
                }
                try {
                    store.acknowledge(coalesced(batch));
                } catch (RuntimeException e) {
                    LOG.warn("could not write {} acknowledgement(s) ({}); recovery will redeliver them",
                            batch.size(), e.toString());
                }
            }
        }
    }

    /**
     * @param batch acknowledgements in the order they came
     * @return one acknowledgement per entity and sink, the highest version: a sink that holds it holds every
     *         older one, so an entity written again before its acknowledgement was written costs no separate one.
     *         Those of dead letters stay as they are, since they go by their intent's ref.
     */
    static List<Ack> coalesced(List<Ack> batch) {
        Map<List<String>, Ack> highest = new LinkedHashMap<>();
        List<Ack> out = new ArrayList<>();
        for (Ack a : batch) {
            if (a.deadLettered()) {
                out.add(a);
            } else {
                highest.merge(List.of(a.id(), a.sink()), a, (x, y) -> y.version() > x.version() ? y : x);
            }
        }
        out.addAll(highest.values());
        return out;
    }

    private void flushQuietly() {
        flushQuietly(false);
    }

    private void flushQuietly(boolean fullOnly) {
        try {
            flush(fullOnly);
        } catch (RuntimeException | Error e) {
            LOG.warn("acknowledgement flush failed", e);
        }
    }

    /** Stops the periodic flush (a given scheduler outlives the writer) and writes what is queued. */
    void close() {
        timer.cancel(false);
        flush();
    }

    int queued() {
        return size.get();
    }
}
