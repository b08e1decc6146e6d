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
package io.dualwrite.testkit.convergence;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.sink.MongoVersionedSink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a convergence check reads from one sink: the live entities it holds with their versions,
 * and, where the sink's form can be compared with the primary's, an entity's state.
 * Implementations must be safe to call from the checking thread while nothing writes.
 *
 * @param <T> the entity type
 */
public interface SinkView<T> {
    /** Ids listed per {@link ReconcilableSink#idsAfter} call by {@link #of(ReconcilableSink)}. */
    int PAGE_SIZE = 500;

    /**
     * @return every live (not deleted) entity the sink holds, id to version
     * @throws Exception when the sink cannot be read
     */
    Map<String, Long> liveVersions() throws Exception;

    /**
     * @param id an entity id
     * @return the live state the sink holds, or empty when it holds none or cannot tell (then the
     *         check compares versions only)
     * @throws Exception when the sink cannot be read
     */
    default Optional<T> state(String id) throws Exception {
        return Optional.empty();
    }

    /** @return true when {@link #state(String)} returns comparable states */
    default boolean comparesState() {
        return false;
    }

    /**
     * A view that lists the sink by {@link ReconcilableSink#idsAfter} pages and asks
     * {@link ReconcilableSink#versionsOf} for their versions; for an {@link InMemorySink} or a
     * {@link MongoVersionedSink} it also compares states.
     *
     * @param sink the sink, not null
     * @param <T>  the entity type
     * @return the view
     */
    static <T> SinkView<T> of(ReconcilableSink<T> sink) {
        Objects.requireNonNull(sink, "sink");
        if (sink instanceof InMemorySink) {
            return of((InMemorySink<T>) sink);
        }
        if (sink instanceof MongoVersionedSink) {
            return ((MongoVersionedSink<T>) sink).view();
        }
        return () -> {
            Map<String, Long> out = new TreeMap<>();
            String after = null;
            while (true) {
                List<String> ids = sink.idsAfter(after, PAGE_SIZE);
                if (ids.isEmpty()) {
                    return out;
                }
                out.putAll(sink.versionsOf(new ArrayList<>(ids)));
                after = ids.get(ids.size() - 1);
            }
        };
    }

    /**
     * @param sink the in-memory sink, not null
     * @param <T>  the entity type
     * @return a view that compares versions and states
     */
    static <T> SinkView<T> of(InMemorySink<T> sink) {
        Objects.requireNonNull(sink, "sink");
        return new SinkView<>() {
            @Override
            public Map<String, Long> liveVersions() {
                return sink.liveVersions();
            }

            @Override
            public Optional<T> state(String id) {
                return sink.get(id);
            }

            @Override
            public boolean comparesState() {
                return true;
            }
        };
    }
}
