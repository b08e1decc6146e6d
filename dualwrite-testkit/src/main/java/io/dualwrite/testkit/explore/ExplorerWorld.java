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
package io.dualwrite.testkit.explore;

import io.dualwrite.DualWriter;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.convergence.SinkView;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The system one schedule of the {@link InterleavingExplorer} runs against: fresh primary data,
 * fresh sinks, and the wiring of each application instance. The explorer asks the world to build a
 * writer for every instance through an {@link ExplorerNode}, which wraps the store's commands and
 * the sinks with step points and faults; it reads the primary through {@link #observer()} and the
 * sinks through {@link #view(String)} to check the promises. A world is used by one schedule and
 * closed after it.
 *
 * @param <T> the entity type
 */
public interface ExplorerWorld<T> extends AutoCloseable {

    /**
     * Builds one instance's writer. Wire it as the application does, but through the node: start from
     * {@link ExplorerNode#configure}, give the store the node's {@linkplain ExplorerNode#collection
     * collection} (or wrap it with {@link ExplorerNode#primary}), and register each of the
     * {@linkplain Spec#sinks() sinks} with {@link ExplorerNode#register}.
     *
     * @param node the instance
     * @return its writer; the explorer closes it
     */
    DualWriter<T> writer(ExplorerNode<T> node);

    /**
     * @return a store over the same primary data with no step points and no faults, for the checks'
     *         reads; the explorer does not close it
     */
    PrimaryStore<T> observer();

    /**
     * @param sink a sink name of the {@link Spec}
     * @return what that sink holds, for the final check
     */
    SinkView<T> view(String sink);

    /**
     * For a write-ahead store: the application's own save and delete, run by
     * {@code saveWith}/{@code deleteWith}; they should go through the node's
     * {@linkplain ExplorerNode#collection collection} so they take steps and suffer faults like any
     * other command. Default: empty (the embedded mode, where the explorer calls save and delete).
     *
     * @param node the instance
     * @return the caller's writes, if the store is write-ahead
     */
    default Optional<CallerWrites<T>> callerWrites(ExplorerNode<T> node) {
        return Optional.empty();
    }

    /**
     * Stores a document the primary store has never managed, as an existing collection that is
     * being adopted holds. Called before any writer is built.
     *
     * @param id    the entity id
     * @param state its content
     * @return false when this world cannot hold such documents (the default)
     */
    default boolean adopt(String id, T state) {
        return false;
    }

    /** Drops the schedule's data. */
    @Override
    void close();

    /**
     * The application's own writes in the write-ahead mode.
     *
     * @param <T> the entity type
     */
    interface CallerWrites<T> {
        /** @param state the state to save (insert or replace, growing the document's version field) */
        void save(T state);

        /** @param id the id of the entity to delete */
        void delete(String id);
    }

    /**
     * Makes a world per schedule.
     *
     * @param <T> the entity type
     */
    @FunctionalInterface
    interface Factory<T> {
        /**
         * @param spec what the schedule needs
         * @return a fresh world
         */
        ExplorerWorld<T> create(Spec spec);
    }

    /**
     * What one schedule asks of its world. Immutable.
     *
     * @param name  a name unique to the schedule, for databases, collections and keys
     * @param sinks the sink names to register, in order
     */
    record Spec(String name, List<String> sinks) {
        /**
         * @param name the {@code name} component
         * @param sinks the {@code sinks} component
         * @throws NullPointerException if an argument is null
         */
        public Spec {
            Objects.requireNonNull(name, "name");
            sinks = List.copyOf(sinks);
        }
    }
}
