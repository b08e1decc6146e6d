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

import com.mongodb.client.MongoCollection;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.SinkSettings;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.Sink;

import java.time.Clock;

/**
 * One application instance of a schedule: its clock (which may run ahead or behind the others'
 * and step back), and wrappers that give the explorer control over the instance's commands to the
 * primary and calls to sinks. A node is handed to {@link ExplorerWorld#writer}; everything it
 * returns is for that instance only. Thread-safe.
 *
 * @param <T> the entity type
 */
public interface ExplorerNode<T> {

    /** @return the instance's name in the schedule ("A", "B", …) */
    String name();

    /** @return the instance's clock */
    Clock clock();

    /**
     * Sets what the explorer controls on a writer builder: the clock, an executor that runs sink
     * calls on the calling thread, a scheduler whose tasks run only when the schedule says so, the
     * worker id, a meter registry of its own, and the timings the schedule's time jumps are made
     * for (grace period {@link InterleavingExplorer#GRACE_PERIOD}, lease
     * {@link InterleavingExplorer#LEASE}, recovery backoff up to
     * {@link InterleavingExplorer#MAX_BACKOFF}).
     *
     * @param builder a new builder
     * @return the same builder
     */
    DualWriterBuilder<T> configure(DualWriterBuilder<T> builder);

    /**
     * @param collection a collection the instance's store (or the application's own writes) use
     * @param <D>        the document type
     * @return the same collection with a step point before every command and the schedule's
     *         faults (a lost reply, a primary that is down) on them
     */
    <D> MongoCollection<D> collection(MongoCollection<D> collection);

    /**
     * For stores that do not talk to MongoDB: the same control, one step point per store call.
     *
     * @param store the instance's store
     * @return the store with step points and faults
     */
    PrimaryStore<T> primary(PrimaryStore<T> store);

    /**
     * Registers a sink of the {@link ExplorerWorld.Spec} on a writer builder, wrapped with step
     * points, faults and recording, under the delivery policy and settings the schedule chose.
     *
     * @param builder the writer builder
     * @param name    the sink name
     * @param sink    the sink (shared by every instance, as a real external system is)
     * @return the same builder
     */
    DualWriterBuilder<T> register(DualWriterBuilder<T> builder, String name, Sink<T> sink);

    /**
     * @param name a sink name
     * @return the settings the schedule chose for it (also applied by {@link #register})
     */
    SinkSettings settings(String name);
}
