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
package io.dualwrite.opensearch;

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import org.apache.http.HttpHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opensearch.client.RestClient;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenSearch sink under faults, against a real node in the test JVM; each test asserts what
 * docs/sinks-opensearch-kafka.md and the promises of docs/guarantees.md say.
 */
class OpenSearchSinkFaultsTest {
    private final long base = Versions.firstVersion(Instant.now());
    private final List<String> indexes = new ArrayList<>();

    @AfterEach
    void dropIndexes() throws Exception {
        for (String index : indexes) {
            try {
                OpenSearchTestSupport.call("PUT", "/" + index + "/_settings",
                        "{\"index.blocks.write\":null,\"index.blocks.read_only_allow_delete\":null}");
            } catch (Exception ignored) {
                // closed or gone
            }
            OpenSearchTestSupport.deleteIndex(index);
        }
    }

    private String index(String prefix) {
        String name = OpenSearchTestSupport.newIndexName(prefix);
        indexes.add(name);
        return name;
    }

    private OpenSearchSink<TestItem> sink(String index) {
        return OpenSearchSink.builder("item", TestItem.class).client(OpenSearchTestSupport.client()).index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS)
                .indexProperties("{\"price\":{\"type\":\"byte\"}}")
                .refresh(RefreshPolicy.IMMEDIATE).build();
    }

    private Change<TestItem> upsert(String id, long version, TestItem item) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(item).correlationId("b-" + id).time(Instant.now()).build();
    }

    /** Prices 101..127 fit the byte mapping. */
    private Change<TestItem> upsert(String id, long version) {
        return upsert(id, version, TestItem.variant(id, (int) ((version - base) % 20)));
    }

    private Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.DELETE)
                .correlationId("b-" + id).time(Instant.now()).build();
    }

    private static String describe(OpenSearchSink<TestItem> sink, List<Change<TestItem>> batch, List<Sink.BatchItem> items) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Sink.BatchItem it = items.get(i);
            String id = batch.get(i).id();
            out.add((id.length() > 12 ? id.substring(0, 12) + "…" : id) + "=" + (it.succeeded() ? it.result().toString()
                    : sink.classifier().classify(it.error()) + "(" + it.error().getMessage() + ")"));
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ external versioning

    @Test
    void anOlderVersionAfterANewerIsANoOpNotAFailure() throws Exception {
        String index = index("older");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("o", base + 5)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("o", base + 4)), "older: no-op");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("o", base + 5)), "same: no-op");
            assertEquals(Optional.of(Stored.live(base + 5, upsert("o", base + 5).requireState())),
                    OpenSearchTestSupport.readBack(index, "o"), "the newer state stays");
        }
    }

    @Test
    void aDeleteWithItsVersionKeepsOlderUpsertsAndOlderDeletesOut() throws Exception {
        String index = index("deletes");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("d", base + 1)));
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("d", base + 3)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("d", base + 2)), "older upsert after the delete");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("d", base + 3)), "the delete again");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("d", base + 2)), "an older delete");
            assertEquals(Optional.of(Stored.deleted(base + 3)), OpenSearchTestSupport.readBack(index, "d"));
            // a delete of an entity the index never held leaves a tombstone too
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("never", base + 7)));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("never", base + 6)));
            assertTrue(sink.versionsOf(List.of("d", "never")).isEmpty(), "tombstones are not live");
        }
    }

    // ------------------------------------------------------------------ bulk with a mix

    /** Stale, new, new-delete and a mapping poison in one bulk: each gets its own outcome. */
    @Test
    void aBulkWithStaleNewAndPoisonDocumentsClassifiesEachAlone() throws Exception {
        String index = index("mix");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.apply(upsert("stale", base + 10));
            List<Change<TestItem>> batch = List.of(
                    upsert("stale", base + 9),
                    upsert("new1", base + 1),
                    upsert("poison", base + 1, new TestItem("poison", "p", 5000, List.of())), // not a byte
                    delete("gone", base + 2),
                    upsert("new2", base + 1));
            List<Sink.BatchItem> items = sink.applyAll(batch);
            String what = describe(sink, batch, items);
            assertEquals(ApplyResult.ALREADY_CURRENT, items.get(0).result(), what);
            assertEquals(ApplyResult.APPLIED, items.get(1).result(), what);
            assertTrue(!items.get(2).succeeded()
                    && sink.classifier().classify(items.get(2).error()) == ErrorKind.PERMANENT, what);
            assertEquals(ApplyResult.APPLIED, items.get(3).result(), what);
            assertEquals(ApplyResult.APPLIED, items.get(4).result(), what);
        }
    }

    /**
     * A bulk whose one id is over the engine's 512-byte limit fails the whole request's validation (400). The sink
     * reports a refusal of the whole call, PERMANENT, rather than the same failure for every change, so that the
     * coordinator sends each change alone (the next test shows it through a recovery pass); alone, only that change
     * is refused.
     */
    @Test
    void anInvalidIdRefusesTheWholeBulkAndAloneOnlyItself() throws Exception {
        String index = index("longid");
        String longId = "x".repeat(600);
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.ensureIndex();
            List<Change<TestItem>> batch = List.of(upsert("a1", base + 1), upsert(longId, base + 1), upsert("a2", base + 1));
            io.dualwrite.spi.SinkException whole = org.junit.jupiter.api.Assertions.assertThrows(
                    io.dualwrite.spi.SinkException.class, () -> sink.applyAll(batch));
            assertTrue(whole.kind() == ErrorKind.PERMANENT, "the whole bulk is refused: " + whole);
            assertTrue(sink.apply(batch.get(0)) == io.dualwrite.spi.ApplyResult.APPLIED, "a1 alone lands");
            io.dualwrite.spi.SinkException alone = org.junit.jupiter.api.Assertions.assertThrows(
                    io.dualwrite.spi.SinkException.class, () -> sink.apply(batch.get(1)));
            assertTrue(alone.kind() == ErrorKind.PERMANENT, "the over-long id alone is refused: " + alone);
            assertTrue(sink.apply(batch.get(2)) == io.dualwrite.spi.ApplyResult.APPLIED, "a2 alone lands");
        }
    }

    /**
     * The same through a real DualWriter's recovery pass (ASYNC: every save is left to recovery, which sends one
     * bulk): the bulk's refusal as a whole has the coordinator send each change alone, so only the over-long id is
     * dead-lettered.
     */
    @Test
    void anInvalidIdInARecoveryBatchDeadLettersOnlyItself() throws Exception {
        String index = index("longid-rec");
        String longId = "y".repeat(600);
        try (OpenSearchSink<TestItem> sink = sink(index);
             io.dualwrite.DualWriter<TestItem> writer = io.dualwrite.DualWriter.<TestItem>builder().entityType("item")
                     .idOf(TestItem::id).primary(new io.dualwrite.memory.InMemoryPrimaryStore<>())
                     .deadLetterStore(new io.dualwrite.memory.InMemoryDeadLetterStore())
                     .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                     .sink("search", sink, io.dualwrite.SinkSettings.builder()
                             .policy(io.dualwrite.DeliveryPolicy.ASYNC).build()).build()) {
            sink.ensureIndex();
            writer.save(TestItem.variant("r1", 1));
            writer.save(TestItem.variant(longId, 2));
            writer.save(TestItem.variant("r2", 3));
            io.dualwrite.RecoveryReport report = writer.operations().recoverDue();
            System.out.println("recovery with an over-long id: " + report);
            assertEquals(1, report.deadLettered(), "only the invalid id is dead-lettered: " + report);
            assertEquals(2, report.delivered(), "the two others are delivered: " + report);
        }
    }

    // ------------------------------------------------------------------ mapping conflict

    @Test
    void aMappingConflictIsPermanentForThatDocumentOnly() throws Exception {
        String index = index("conflict");
        try (OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class)
                .client(OpenSearchTestSupport.client()).index(index).indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS)
                .documentMapper(item -> {
                    var doc = OpenSearchTestSupport.JSON.createObjectNode().put("name", item.name());
                    if (item.price() == 1) {
                        doc.putObject("extra").put("inner", 1); // an object where a long was mapped
                    } else {
                        doc.put("extra", item.price());
                    }
                    return doc;
                }).build()) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("m1", base + 1, new TestItem("m1", "a", 42, List.of()))));
            List<Change<TestItem>> batch = List.of(upsert("m2", base + 1, new TestItem("m2", "b", 1, List.of())),
                    upsert("m3", base + 1, new TestItem("m3", "c", 43, List.of())));
            List<Sink.BatchItem> items = sink.applyAll(batch);
            String what = describe(sink, batch, items);
            assertTrue(!items.get(0).succeeded()
                    && sink.classifier().classify(items.get(0).error()) == ErrorKind.PERMANENT, what);
            assertEquals(ApplyResult.APPLIED, items.get(1).result(), what);
        }
    }

    // ------------------------------------------------------------------ a destination that cannot take writes for now

    /**
     * An index with a write block (index.blocks.write, as operators set it during a reindex, a shrink or a snapshot
     * migration) refuses every write until the block is lifted: that is a state of the destination, not of any change,
     * so it must be retried (TRANSIENT), not dead-lettered for every entity. Once lifted, the retry applies.
     */
    @Test
    void aWriteBlockedIndexIsTransientAndTheRetryAppliesOnceLifted() throws Exception {
        String index = index("blocked");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.apply(upsert("w", base + 1));
            OpenSearchTestSupport.call("PUT", "/" + index + "/_settings", "{\"index.blocks.write\":true}");
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("w", base + 2)));
            ErrorKind kind = sink.classifier().classify(e);
            OpenSearchTestSupport.call("PUT", "/" + index + "/_settings", "{\"index.blocks.write\":null}");
            assertEquals(ErrorKind.TRANSIENT, kind, "a write block is the index's state, not the change's: " + e);
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("w", base + 2)), "once lifted, the retry applies");
        }
    }

    /** The flood-stage block (index.blocks.read_only_allow_delete) is TRANSIENT (429). */
    @Test
    void aReadOnlyAllowDeleteIndexIsTransient() throws Exception {
        String index = index("flood");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.apply(upsert("f", base + 1));
            OpenSearchTestSupport.call("PUT", "/" + index + "/_settings", "{\"index.blocks.read_only_allow_delete\":true}");
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("f", base + 2)));
            ErrorKind kind = sink.classifier().classify(e);
            OpenSearchTestSupport.call("PUT", "/" + index + "/_settings", "{\"index.blocks.read_only_allow_delete\":null}");
            assertEquals(ErrorKind.TRANSIENT, kind, "flood-stage read-only: " + e);
        }
    }

    /** A cluster set read-only (cluster.blocks.read_only) refuses every write until it is lifted: TRANSIENT. */
    @Test
    void aReadOnlyClusterIsTransient() throws Exception {
        String index = index("rocluster");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.apply(upsert("c", base + 1));
            ErrorKind kind;
            Exception e;
            OpenSearchTestSupport.call("PUT", "/_cluster/settings", "{\"transient\":{\"cluster.blocks.read_only\":true}}");
            try {
                e = assertThrows(Exception.class, () -> sink.apply(upsert("c", base + 2)));
                kind = sink.classifier().classify(e);
            } finally {
                OpenSearchTestSupport.call("PUT", "/_cluster/settings", "{\"transient\":{\"cluster.blocks.read_only\":null}}");
            }
            assertEquals(ErrorKind.TRANSIENT, kind, "a read-only cluster: " + e);
        }
    }

    /** A closed index (closed for maintenance, e.g. to change analysis settings) is reopened later: TRANSIENT. */
    @Test
    void aClosedIndexIsTransient() throws Exception {
        String index = index("closed");
        try (OpenSearchSink<TestItem> sink = sink(index)) {
            sink.apply(upsert("k", base + 1));
            OpenSearchTestSupport.call("POST", "/" + index + "/_close", null);
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("k", base + 2)));
            ErrorKind kind = sink.classifier().classify(e);
            OpenSearchTestSupport.call("POST", "/" + index + "/_open?wait_for_active_shards=1", null);
            assertEquals(ErrorKind.TRANSIENT, kind, "a closed index: " + e);
        }
    }

    // ------------------------------------------------------------------ whole-request failures

    /**
     * A bulk request larger than the engine takes (http.max_content_length, 100 MB by default; 8 KB on this node) is
     * refused as a whole with 413: no document of it is at fault, so the sink throws for the whole call (which has the
     * coordinator send each change alone) and each change alone lands; none is dead-lettered for it.
     * Then the node goes down: every item is retryable, a refused connection TRANSIENT.
     */
    @Test
    void aBulkTooLargeForTheEngineDeadLettersNoHealthyDocumentAndADownNodeIsTransient() throws Exception {
        EmbeddedOpenSearch own = EmbeddedOpenSearch.start(Map.of("http.max_content_length", "8kb"));
        String index = "small-" + System.nanoTime() % 100_000;
        try (RestClient client = RestClient.builder(new HttpHost(own.host(), own.port(), "http")).build();
             OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class).client(client).index(index)
                     .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).build()) {
            List<Change<TestItem>> batch = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                batch.add(upsert("h" + i, base + 1));
            }
            // refused as a whole: the sink throws, and the coordinator sends each change alone, which the engine takes
            io.dualwrite.spi.SinkException whole = org.junit.jupiter.api.Assertions.assertThrows(
                    io.dualwrite.spi.SinkException.class, () -> sink.applyAll(batch));
            assertEquals(ErrorKind.PERMANENT, whole.kind(), "the bulk as a whole: " + whole);
            long permanent = 0;
            String first = "none failed";
            for (Change<TestItem> c : batch.subList(0, 5)) {
                try {
                    sink.apply(c);
                } catch (io.dualwrite.spi.SinkException e) {
                    permanent += e.kind() == ErrorKind.PERMANENT ? 1 : 0;
                    first = e.kind() + " " + e.getMessage();
                }
            }

            own.close();
            List<Sink.BatchItem> down = sink.applyAll(batch.subList(0, 2));
            List<Sink.BatchItem> again = sink.applyAll(batch.subList(0, 2));
            String downKinds = down.stream().map(i -> i.succeeded() ? "ok" : sink.classifier().classify(i.error()).toString())
                    .toList() + " then " + again.stream().map(i -> i.succeeded() ? "ok"
                    : sink.classifier().classify(i.error()).toString()).toList();
            System.out.println("node down: " + downKinds);

            assertEquals(0, permanent, "alone, no healthy document is refused because the bulk as a whole was too large: "
                    + first);
            assertTrue(down.stream().allMatch(i -> !i.succeeded() && sink.classifier().classify(i.error()).isRetryable()),
                    "a node that went down is retryable: " + downKinds);
            assertTrue(again.stream().allMatch(i -> !i.succeeded()
                    && sink.classifier().classify(i.error()) == ErrorKind.TRANSIENT), "a refused connection: " + downKinds);
        } finally {
            own.close();
        }
    }
}
