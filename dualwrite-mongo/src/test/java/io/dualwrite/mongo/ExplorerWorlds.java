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
package io.dualwrite.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.testkit.convergence.SinkView;
import io.dualwrite.testkit.explore.ExplorerItem;
import io.dualwrite.testkit.explore.ExplorerNode;
import io.dualwrite.testkit.explore.ExplorerWorld;
import io.dualwrite.testkit.mongo.TestMongo;
import org.bson.BsonDocument;
import org.bson.BsonValue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The MongoDB stores as worlds of the interleaving explorer: a fresh database per schedule, in-memory sinks. */
final class ExplorerWorlds {
    private ExplorerWorlds() {
    }

    /** What both modes share: the database, the entity collection, the sinks and the dead letters. */
    abstract static class Base implements ExplorerWorld<ExplorerItem> {
        final MongoDatabase db;
        final MongoCollection<ExplorerItem> items;
        final Map<String, InMemorySink<ExplorerItem>> sinks = new LinkedHashMap<>();
        final DeadLetterStore deadLetters;

        Base(Spec spec) {
            this.db = TestMongo.client().getDatabase("explore_" + spec.name())
                    .withCodecRegistry(ExplorerItem.codecRegistry());
            this.items = db.getCollection("items", ExplorerItem.class);
            this.deadLetters = MongoDeadLetterStore.builder(db).build();
            spec.sinks().forEach(name -> sinks.put(name, new InMemorySink<>()));
        }

        DualWriter<ExplorerItem> build(ExplorerNode<ExplorerItem> node, PrimaryStore<ExplorerItem> store) {
            DualWriterBuilder<ExplorerItem> b = node.configure(DualWriter.<ExplorerItem>builder())
                    .entityType("item").idOf(ExplorerItem::id).primary(store).deadLetterStore(deadLetters);
            sinks.forEach((name, sink) -> node.register(b, name, sink));
            return b.build();
        }

        @Override
        public SinkView<ExplorerItem> view(String sink) {
            return SinkView.of(sinks.get(sink));
        }

        @Override
        public void close() {
            db.drop();
        }
    }

    /** {@link MongoPrimaryStore}: the data, its version and the intents in one document. */
    static final class Embedded extends Base {
        private final MongoPrimaryStore<ExplorerItem> observer;

        Embedded(Spec spec) {
            super(spec);
            this.observer = MongoPrimaryStore.builder(items).build();
        }

        @Override
        public DualWriter<ExplorerItem> writer(ExplorerNode<ExplorerItem> node) {
            return build(node, MongoPrimaryStore.builder(node.collection(items)).createIndexes(false).build());
        }

        @Override
        public PrimaryStore<ExplorerItem> observer() {
            return observer;
        }

        @Override
        public boolean adopt(String id, ExplorerItem state) {
            items.insertOne(state);
            return true;
        }
    }

    /** {@link MongoWriteAheadStore}: the intent first, then the application's own write, which grows a version field. */
    static final class WriteAhead extends Base {
        static final String VERSION = "version";
        static final Duration WRITE_LEASE = Duration.ofSeconds(30);
        /** The write lease less more than the instances' clocks may disagree (skew and steps back). */
        static final Duration MAX_NETWORK_DELAY = Duration.ofSeconds(15);
        private final MongoWriteAheadStore<ExplorerItem> observer;
        /**
         * The observer's clock: the first instance's. A read through this store may take an entity's write turn
         * (to have its record learn what the read found), so it must see the turns' leases run out in the
         * schedule's time, not the machine's.
         */
        private final Clock observerClockAtStart = Clock.systemUTC();
        private final AtomicReference<Clock> observerClock = new AtomicReference<>(observerClockAtStart);

        WriteAhead(Spec spec) {
            super(spec);
            this.observer = store(items, null);
        }

        private MongoWriteAheadStore<ExplorerItem> store(MongoCollection<ExplorerItem> collection,
                                                         ExplorerNode<ExplorerItem> node) {
            MongoCollection<org.bson.BsonDocument> intents = db.getCollection("items_intents", org.bson.BsonDocument.class);
            MongoWriteAheadStoreBuilder<ExplorerItem> b = MongoWriteAheadStore.builder(db, collection)
                    .versionField(VERSION).settleTime(Duration.ofMinutes(1))
                    .writeLease(WRITE_LEASE, Duration.ofMillis(20)).createIndexes(node == null);
            if (node != null) {
                b.clock(node.clock()).intentCollection(node.collection(intents));
            } else {
                b.clock(new io.dualwrite.testkit.internal.UtcClock() {
                    @Override
                    public Instant instant() {
                        return observerClock.get().instant();
                    }
                }).intentCollection(intents);
            }
            return b.build();
        }

        @Override
        public DualWriter<ExplorerItem> writer(ExplorerNode<ExplorerItem> node) {
            observerClock.compareAndSet(observerClockAtStart, node.clock());
            return build(node, store(node.collection(items), node));
        }

        @Override
        public PrimaryStore<ExplorerItem> observer() {
            return observer;
        }

        /** The application's own writes: a replace that grows the version, as an optimistic-locking repository does. */
        @Override
        public Optional<CallerWrites<ExplorerItem>> callerWrites(ExplorerNode<ExplorerItem> node) {
            MongoCollection<BsonDocument> raw = node.collection(items).withDocumentClass(BsonDocument.class);
            return Optional.of(new CallerWrites<>() {
                @Override
                public void save(ExplorerItem state) {
                    BsonDocument doc = new BsonDocument();
                    items.getCodecRegistry().get(ExplorerItem.class).encode(new org.bson.BsonDocumentWriter(doc), state,
                            org.bson.codecs.EncoderContext.builder().build());
                    List<org.bson.conversions.Bson> sets = new ArrayList<>();
                    for (Map.Entry<String, BsonValue> e : doc.entrySet()) {
                        if (!"_id".equals(e.getKey())) {
                            sets.add(Updates.set(e.getKey(), e.getValue()));
                        }
                    }
                    if (!doc.containsKey("stock")) {
                        sets.add(Updates.unset("stock"));
                    }
                    sets.add(Updates.inc(VERSION, 1L));
                    raw.updateOne(Filters.eq("_id", state.id()), Updates.combine(sets), new UpdateOptions().upsert(true));
                }

                @Override
                public void delete(String id) {
                    raw.deleteOne(Filters.eq("_id", id));
                }
            });
        }
    }
}
