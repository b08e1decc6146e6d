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
package io.dualwrite.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.Change;
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.kafka.KafkaSink;
import io.dualwrite.kafka.VersionedTopicView;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.opensearch.OpenSearchSink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.DeadLetterStore;
import io.dualwrite.testkit.ForwardingSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.chaos.ChaosReport;
import io.dualwrite.testkit.chaos.ChaosRunner;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.convergence.SinkView;
import io.dualwrite.testkit.kafka.EmbeddedKafka;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import org.apache.http.HttpHost;
import org.bson.codecs.configuration.CodecRegistries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chaos run of the issue "real sinks, part 1": a MongoDB primary (the in-JVM wire server
 * here, a real MongoDB where {@code DUALWRITE_MONGO_URI} is set), the search-index sink on a real
 * OpenSearch node and the Kafka sink on a real broker, both behind the testkit's fault-injecting
 * wrappers (failures, lost acknowledgements, duplicates, reordering, latency, timeouts), with
 * concurrent writers and recovery. After healing, the index must equal the collection, and the
 * topic read through the consumer-side {@code VersionGuard} must equal it too — versions,
 * liveness and states. Replay a seed with {@code -Ddualwrite.chaos.seed=N}; soak with
 * {@code -Ddualwrite.chaos.operations=N}.
 */
@ExtendWith(MongoExtension.class)
class MongoSearchKafkaChaosTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static RestClient search;
    private static EmbeddedKafka kafka;

    private final MongoDatabase db;
    private final AtomicInteger created = new AtomicInteger();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    MongoSearchKafkaChaosTest(MongoDatabase db) {
        this.db = db;
    }

    @BeforeAll
    static void servers() {
        EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
        search = RestClient.builder(new HttpHost(os.host(), os.port(), "http")).build();
        kafka = EmbeddedKafka.shared();
    }

    @AfterAll
    static void closeClient() throws Exception {
        search.close();
    }

    @Test
    void indexAndGuardedTopicEqualTheCollectionAfterFaultsHeal() throws Exception {
        long seed = Long.getLong(ChaosRunner.SEED_PROPERTY, 20261126L);
        String run = "chaos" + System.nanoTime() % 1_000_000;
        MongoPrimaryStore<TestItem>[] primary = newPrimaryHolder();
        DeadLetterStore[] deadLetters = new DeadLetterStore[1];
        OpenSearchSink<TestItem>[] index = newIndexHolder();
        GuardedTopic[] topic = new GuardedTopic[1];
        try {
            ChaosReport report = ChaosRunner.builder()
                    .seed(seed).threads(3).operations(400).entities(30)
                    .attemptTimeout(Duration.ofSeconds(1))
                    .operationsFromSystemProperty()
                    .primary(() -> {
                        primary[0] = MongoPrimaryStore.builder(db.getCollection(run + "_items", TestItem.class)
                                .withCodecRegistry(CodecRegistries.fromRegistries(
                                        CodecRegistries.fromCodecs(new io.dualwrite.testkit.mongo.TestItemCodec()),
                                        MongoClientSettings.getDefaultCodecRegistry()))).build();
                        return primary[0];
                    })
                    .deadLetterStore(() -> {
                        deadLetters[0] = MongoDeadLetterStore.builder(db).collectionName(run + "_dead_letters").build();
                        return deadLetters[0];
                    })
                    // the runner asks for one destination per sink, in the order the sinks are added
                    .sink("search", DeliveryPolicy.SYNC)
                    .sink("events", DeliveryPolicy.SYNC)
                    .sinkFactory(() -> {
                        int n = created.getAndIncrement();
                        if (n % 2 == 0) {
                            index[0] = OpenSearchSink.builder("item", TestItem.class).client(search).index(run + "-items")
                                    .indexSettings("{\"number_of_shards\":1,\"number_of_replicas\":0}")
                                    .build();
                            return new RefreshedForListing(index[0]);
                        }
                        String name = run + "-items";
                        kafka.createTopic(name, 3);
                        topic[0] = new GuardedTopic(name, seed);
                        toClose.add(topic[0]);
                        return topic[0];
                    })
                    .build().run();
            System.out.println(report);
            report.assertPromisesKept();
            assertEquals(2, created.get(), "one run makes one index and one topic");
            assertTrue(report.faultsInjected() > 20, "the run must inject faults (seed " + seed + "): " + report.faults());
            assertTrue(report.deadLetters() >= 1, "the entity poisoned at the search sink must be dead-lettered");
            assertEquals(0, report.backlogAfterRecovery(), "nothing may stay pending (seed " + seed + ")");

            // the runner compares versions and liveness; compare the states too, read straight from each destination
            ConvergenceReport states = Convergence.<TestItem>check().primary(primary[0]).deadLetters(deadLetters[0])
                    .entityType(ChaosRunner.ENTITY_TYPE)
                    .sink("search", new IndexView(index[0]))
                    .sink("events", topic[0].stateView())
                    .report();
            System.out.println(states);
            assertTrue(states.converged(), "the index and the guarded topic must hold the collection's states (seed "
                    + seed + "):\n" + states);
            System.out.printf("chaos with MongoDB, OpenSearch and Kafka: %d live entities in the index, %d in the guarded"
                    + " topic view; a stray producer re-sent %d earlier changes and the consumer guard dropped %d records%n",
                    new RefreshedForListing(index[0]).idsAfter(null, 1000).size(), topic[0].view.liveVersions().size(),
                    topic[0].strayRecords.get(), topic[0].view.guard().skippedCount());
            assertTrue(topic[0].strayRecords.get() > 0 && topic[0].view.guard().skippedCount() > 0,
                    "the topic must have received stale or duplicate records and the guard must have dropped them");
        } finally {
            for (AutoCloseable c : toClose) {
                c.close();
            }
            if (index[0] != null) {
                index[0].close();
                search.performRequest(new Request("DELETE", "/" + run + "-items"));
            }
        }
    }

    private static TestItem readItem(byte[] json) {
        try {
            return JSON.readValue(json, TestItem.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static MongoPrimaryStore<TestItem>[] newPrimaryHolder() {
        return new MongoPrimaryStore[1];
    }

    @SuppressWarnings("unchecked")
    private static OpenSearchSink<TestItem>[] newIndexHolder() {
        return new OpenSearchSink[1];
    }

    /** Reads the index with plain GETs: versions of live documents and their states. */
    private static final class IndexView implements SinkView<TestItem> {
        private final OpenSearchSink<TestItem> sink;

        IndexView(OpenSearchSink<TestItem> sink) {
            this.sink = sink;
        }

        @Override
        public Map<String, Long> liveVersions() throws Exception {
            return SinkView.of(new RefreshedForListing(sink)).liveVersions();
        }

        @Override
        public Optional<TestItem> state(String id) throws Exception {
            Request get = new Request("GET", "/" + sink.index() + "/_doc/" + id);
            get.addParameter("ignore", "404");
            JsonNode doc = JSON.readTree(
                    search.performRequest(get).getEntity().getContent());
            ObjectNode source = (ObjectNode) doc.get("_source");
            if (source == null || source.path(OpenSearchSink.META_FIELD).path("deleted").asBoolean()) {
                return Optional.empty();
            }
            source.remove(OpenSearchSink.META_FIELD);
            return Optional.of(JSON.treeToValue(source, TestItem.class));
        }

        @Override
        public boolean comparesState() {
            return true;
        }
    }

    /**
     * The search sink as the runner sees it: listing ids is a search, which sees writes after a
     * refresh, so the index is refreshed before each listing (instead of after every write).
     */
    private static final class RefreshedForListing extends ForwardingSink<TestItem> {
        private final String index;

        RefreshedForListing(OpenSearchSink<TestItem> sink) {
            super(sink);
            this.index = sink.index();
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
            search.performRequest(new Request("POST", "/" + index + "/_refresh"));
            return super.idsAfter(afterExclusive, limit);
        }
    }

    /**
     * The Kafka sink as the runner sees it: writes go to the topic; what the destination holds is
     * what a consumer guarded by {@code VersionGuard} holds after reading the whole topic. A second,
     * stray producer (another application instance that knows nothing of what was sent) re-sends a
     * random earlier change after one write in four, so the topic also receives duplicates and
     * stale versions that only the consumer-side guard can drop.
     */
    private static final class GuardedTopic extends ForwardingSink<TestItem> implements AutoCloseable {
        private final KafkaSink<TestItem> sink;
        private final KafkaSink<TestItem> stray;
        private final VersionedTopicView<TestItem> view;
        private final List<Change<TestItem>> sent = new ArrayList<>();
        private final Random random;
        private final AtomicLong strayRecords = new AtomicLong();

        GuardedTopic(String topic, long seed) {
            this(KafkaSink.builder("item", TestItem.class).bootstrapServers(kafka.bootstrapServers()).topic(topic).build(), topic, seed);
        }

        private GuardedTopic(KafkaSink<TestItem> sink, String topic, long seed) {
            super(sink);
            this.sink = sink;
            this.stray = KafkaSink.builder("item", TestItem.class).bootstrapServers(kafka.bootstrapServers()).topic(topic)
                    .recentVersionsCapacity(0).build();
            this.random = new Random(seed);
            this.view = VersionedTopicView.open(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic,
                    (t, data) -> data == null ? null : readItem(data));
        }

        @Override
        public ApplyResult send(Change<TestItem> change, Object request) throws Exception {
            ApplyResult result = super.send(change, request);
            afterDelivery(List.of(change));
            return result;
        }

        @Override
        public List<BatchItem> sendAll(List<Mapped<TestItem, Object>> mapped) {
            List<BatchItem> items = super.sendAll(mapped);
            List<Change<TestItem>> delivered = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i).succeeded()) {
                    delivered.add(mapped.get(i).change());
                }
            }
            afterDelivery(delivered);
            return items;
        }

        /** Remembers what reached the topic and sometimes lets the stray producer re-send an earlier change. */
        private void afterDelivery(List<Change<TestItem>> delivered) {
            Change<TestItem> replay = null;
            synchronized (sent) {
                sent.addAll(delivered);
                if (!sent.isEmpty() && random.nextInt(4) == 0) {
                    replay = sent.get(random.nextInt(sent.size()));
                }
            }
            if (replay != null) {
                try {
                    stray.apply(replay);
                    strayRecords.incrementAndGet();
                } catch (Exception e) {
                    // a stray producer's failure changes nothing the run checks
                }
            }
        }

        @Override
        public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
            view.catchUp(Duration.ofSeconds(30));
            Map<String, Long> live = view.liveVersions();
            return ids.stream().filter(live::containsKey).collect(Collectors.toMap(id -> id, live::get));
        }

        @Override
        public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
            view.catchUp(Duration.ofSeconds(30));
            return view.liveVersions().keySet().stream()
                    .filter(id -> afterExclusive == null || id.compareTo(afterExclusive) > 0)
                    .limit(limit).collect(Collectors.toList());
        }

        SinkView<TestItem> stateView() {
            return new SinkView<>() {
                @Override
                public Map<String, Long> liveVersions() throws Exception {
                    view.catchUp(Duration.ofSeconds(30));
                    return view.liveVersions();
                }

                @Override
                public Optional<TestItem> state(String id) {
                    return view.get(id).flatMap(VersionedTopicView.Entry::value);
                }

                @Override
                public boolean comparesState() {
                    return true;
                }
            };
        }

        @Override
        public void close() {
            sink.close();
            stray.close();
            view.close();
        }
    }
}
