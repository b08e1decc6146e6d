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
package io.dualwrite.mongo.relay;

import io.dualwrite.DualWriter;
import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The full-collection resync of {@link GapHandler#resync}: every entity, in id order, redelivered
 * to each sink through the writer. Thread-safe (stateless between calls).
 *
 * @param <T> the entity type
 */
final class Resync<T> implements GapHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Resync.class);

    private final DualWriter<T> writer;
    private final PrimaryStore<T> primary;
    private final List<String> sinks;
    private final int page;

    /**
     * @param writer  the writer whose sinks are resynced
     * @param primary its primary store
     * @param sinks   the sinks, not empty, each registered with the writer
     * @param page    entities per page, at least 1
     */
    Resync(DualWriter<T> writer, PrimaryStore<T> primary, List<String> sinks, int page) {
        this.writer = Objects.requireNonNull(writer, "writer");
        this.primary = Objects.requireNonNull(primary, "primary");
        this.sinks = List.copyOf(Objects.requireNonNull(sinks, "sinks"));
        if (this.sinks.isEmpty()) {
            throw new IllegalArgumentException("a resync needs at least one sink");
        }
        requireRegistered(writer, this.sinks);
        Args.atLeast(page, 1, "page");
        this.page = page;
    }

    /**
     * @param writer a writer
     * @param sinks  sink names
     * @throws IllegalArgumentException if a name is not one of the writer's sinks
     */
    static void requireRegistered(DualWriter<?> writer, List<String> sinks) {
        for (String s : sinks) {
            if (!writer.sinkNames().contains(s)) {
                throw new IllegalArgumentException("sink " + s + " is not registered with the writer "
                        + writer.sinkNames());
            }
        }
    }

    @Override
    public void handle(Gap gap) {
        handle(gap, null);
    }

    @Override
    public void handle(Gap gap, Deferrals deferrals) {
        Objects.requireNonNull(gap, "gap");
        long entities = 0;
        long deferred = 0;
        String after = null;
        while (true) {
            List<Snapshot<T>> snapshots = primary.scan(after, page);
            if (snapshots.isEmpty()) {
                break;
            }
            List<String> ids = new ArrayList<>(snapshots.size());
            for (Snapshot<T> s : snapshots) {
                ids.add(s.id());
            }
            for (String sink : sinks) {
                // counted from the first attempt: a relay that takes the deferred ones goes on counting
                for (Redelivery r : writer.operations().redeliver(sink, ids, Map.of(), Integer.MAX_VALUE).values()) {
                    if (r.outcome() == SinkOutcome.DEFERRED) {
                        deferred++;
                        if (deferrals != null) {
                            deferrals.defer(sink, r);
                        }
                    }
                }
            }
            entities += ids.size();
            after = ids.get(ids.size() - 1);
            if (snapshots.size() < page) {
                break;
            }
        }
        LOG.info("resync of {} after its gap: {} entities redelivered to {}, {} deferred", gap.relay(), entities,
                sinks, deferred);
        if (deferred > 0 && deferrals == null) {
            throw new IllegalStateException("resync of " + gap.relay() + " deferred " + deferred
                    + " deliveries on a transient sink failure; it runs again");
        }
    }
}
