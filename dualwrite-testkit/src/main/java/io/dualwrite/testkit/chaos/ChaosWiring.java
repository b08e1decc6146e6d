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
package io.dualwrite.testkit.chaos;

import io.dualwrite.DualWriter;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds the system a {@link ProcessChaos} run kills: a {@link DualWriter} of {@link TestItem}s
 * over a durable primary, durable sinks and a durable dead-letter store, all reached through one
 * connection string. {@link ProcessChaos} calls it in each child JVM (which writes until it is
 * killed) and once in the parent (which recovers and checks), so every call must open the same
 * stores. Implementations need a public no-argument constructor and must be thread-safe.
 *
 * <pre>{@code
 * public final class MongoWiring implements ChaosWiring {
 *     public Wired create(String uri, Clock clock) {
 *         MongoClient client = MongoClients.create(uri);
 *         MongoDatabase db = client.getDatabase("kill");
 *         PrimaryStore<TestItem> primary = ...the MongoDB adapter on db.getCollection("items")...;
 *         Map<String, ReconcilableSink<TestItem>> sinks = Map.of(
 *                 "search", new MongoVersionedSink<>(db, "search", TestItem.class));
 *         DeadLetterStore dead = ...the MongoDB dead-letter store on db...;
 *         DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
 *                 .primary(primary).deadLetterStore(dead).clock(clock).sink("search", sinks.get("search"))
 *                 .gracePeriod(Duration.ZERO).lease(Duration.ofSeconds(10)).build();
 *         return new Wired(writer, primary, sinks, dead, client);
 *     }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface ChaosWiring {

    /**
     * @param uri   where the shared durable stores live (for example a MongoDB connection string)
     * @param clock the clock to give the coordinator (the parent's runs ahead, so every intent is
     *              due and every lease a killed child held has expired)
     * @return the wired system
     * @throws Exception if it cannot be built
     */
    Wired create(String uri, Clock clock) throws Exception;

    /**
     * A wired system: the coordinator and the stores behind it, and whatever must be closed with
     * it. Immutable.
     */
    final class Wired implements AutoCloseable {
        private final DualWriter<TestItem> writer;
        private final PrimaryStore<TestItem> primary;
        private final Map<String, ReconcilableSink<TestItem>> sinks;
        private final DeadLetterStore deadLetters;
        private final AutoCloseable resources;

        /**
         * @param writer      the coordinator, its sinks registered under the names of {@code sinks}
         * @param primary     the primary store the coordinator writes to
         * @param sinks       the sinks by registered name, unwrapped (the check reads them)
         * @param deadLetters the dead-letter store
         * @param resources   closed after the writer (a client), may be null
         */
        public Wired(DualWriter<TestItem> writer, PrimaryStore<TestItem> primary,
                     Map<String, ? extends ReconcilableSink<TestItem>> sinks, DeadLetterStore deadLetters,
                     AutoCloseable resources) {
            this.writer = Objects.requireNonNull(writer, "writer");
            this.primary = Objects.requireNonNull(primary, "primary");
            this.sinks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(sinks, "sinks")));
            this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
            this.resources = resources;
        }

        /** @return the coordinator */
        public DualWriter<TestItem> writer() {
            return writer;
        }

        /** @return the primary store */
        public PrimaryStore<TestItem> primary() {
            return primary;
        }

        /** @return the sinks by registered name */
        public Map<String, ReconcilableSink<TestItem>> sinks() {
            return sinks;
        }

        /** @return the dead-letter store */
        public DeadLetterStore deadLetters() {
            return deadLetters;
        }

        /** Closes the writer, then the resources. */
        @Override
        public void close() throws Exception {
            try {
                writer.close();
            } finally {
                if (resources != null) {
                    resources.close();
                }
            }
        }
    }
}
