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

import com.fasterxml.jackson.databind.JsonNode;
import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequestInterceptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the search-index sink promises beyond the contract, on a real OpenSearch node. */
class OpenSearchSinkTest {
    private final long base = Versions.firstVersion(Instant.now());
    private final List<String> indexes = new ArrayList<>();

    @AfterEach
    void dropIndexes() throws Exception {
        for (String index : indexes) {
            OpenSearchTestSupport.deleteIndex(index);
        }
    }

    private String index(String prefix) {
        String name = OpenSearchTestSupport.newIndexName(prefix);
        indexes.add(name);
        return name;
    }

    private OpenSearchSink<TestItem> sink(String index, String settings) {
        return OpenSearchSink.builder("item", TestItem.class).client(OpenSearchTestSupport.client()).index(index)
                .indexSettings(settings).refresh(RefreshPolicy.IMMEDIATE).build();
    }

    private Change<TestItem> upsert(String id, long version, TestItem item) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(item).correlationId("t-" + id).time(Instant.now()).build();
    }

    private Change<TestItem> upsert(String id, long version) {
        return upsert(id, version, TestItem.variant(id, (int) (version - base)));
    }

    private Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.DELETE)
                .correlationId("t-" + id).time(Instant.now()).build();
    }

    @Test
    void lateOlderWriteStaysOutAfterTheEngineHasForgottenItsDeletes() throws Exception {
        // the engine forgets a delete after index.gc_deletes; 0 s makes it forget at the next refresh
        String settings = "{\"number_of_shards\":1,\"number_of_replicas\":0,\"index.gc_deletes\":\"0s\"}";

        // control: with plain engine deletes, a stale write comes back once the delete is forgotten
        String plain = index("gc-plain");
        OpenSearchTestSupport.call("PUT", "/" + plain, "{\"settings\":" + settings + "}");
        OpenSearchTestSupport.call("PUT", "/" + plain + "/_doc/x?version=" + (base + 1) + "&version_type=external",
                "{\"name\":\"v1\"}");
        OpenSearchTestSupport.call("DELETE", "/" + plain + "/_doc/x?version=" + (base + 2) + "&version_type=external", null);
        boolean resurrected = false;
        int attempt = 0;
        for (; attempt < 50 && !resurrected; attempt++) {
            Thread.sleep(200); // the engine's clock for pruning deletes ticks every 200 ms
            OpenSearchTestSupport.call("POST", "/" + plain + "/_refresh", null);
            try {
                OpenSearchTestSupport.call("PUT", "/" + plain + "/_doc/x?version=" + (base + 1)
                        + "&version_type=external", "{\"name\":\"stale\"}");
                resurrected = true;
            } catch (ResponseException e) {
                assertEquals(409, e.getResponse().getStatusLine().getStatusCode(), "a stale write is refused with 409");
            }
        }
        System.out.println("gc_deletes control: a plain engine delete let a stale write back in after " + attempt
                + " refresh(es) of 200 ms");
        assertTrue(resurrected, "with index.gc_deletes=0s the engine must forget its delete and let the stale"
                + " write in: this is the hazard the sink's tombstone documents exist for");

        // the sink: its delete is a versioned tombstone document, which the engine never forgets
        String guarded = index("gc-guarded");
        try (OpenSearchSink<TestItem> sink = sink(guarded, settings)) {
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("x", base + 1)));
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("x", base + 2)));
            for (int round = 0; round < 5; round++) {
                Thread.sleep(200);
                OpenSearchTestSupport.call("POST", "/" + guarded + "/_refresh", null);
                assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("x", base + 1)),
                        "a write older than the delete must stay refused after gc_deletes has passed (round " + round + ")");
            }
            assertEquals(Optional.of(Stored.deleted(base + 2)), OpenSearchTestSupport.readBack(guarded, "x"),
                    "the index must hold the tombstone at the delete's version");
            assertTrue(sink.versionsOf(List.of("x")).isEmpty(), "a tombstone is not a live entity");
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("x", base + 3)), "a newer re-create is applied");
        }
    }

    @Test
    void liveAliasAndLiveFilterHideTombstonesFromSearches() throws Exception {
        String index = index("alias");
        try (OpenSearchSink<TestItem> sink = sink(index, OpenSearchTestSupport.TEST_INDEX_SETTINGS)) {
            sink.applyAll(List.of(upsert("a", base + 1), upsert("b", base + 1), upsert("c", base + 1)));
            sink.apply(delete("b", base + 2));
            JsonNode viaAlias = OpenSearchTestSupport.call("POST", "/" + sink.liveAlias() + "/_search",
                    "{\"query\":{\"match_all\":{}}}");
            assertEquals(Set.of("a", "c"), ids(viaAlias), "the live alias must show live documents only");
            JsonNode viaFilter = OpenSearchTestSupport.call("POST", "/" + index + "/_search",
                    "{\"query\":{\"bool\":{\"filter\":[" + OpenSearchSink.LIVE_FILTER_JSON + "]}}}");
            assertEquals(Set.of("a", "c"), ids(viaFilter), "the live filter must keep tombstones out");
            JsonNode all = OpenSearchTestSupport.call("POST", "/" + index + "/_search", "{\"query\":{\"match_all\":{}}}");
            assertEquals(Set.of("a", "b", "c"), ids(all), "the index itself keeps the tombstone of b");
        }
    }

    @Test
    void applyAllSendsOneBulkRequestPerBatch() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
        String index = index("bulk");
        try (RestClient counting = RestClient.builder(new HttpHost(os.host(), os.port(), "http"))
                .setHttpClientConfigCallback(b -> b.addInterceptorFirst(
                        (HttpRequestInterceptor) (request, context) -> requests.incrementAndGet()))
                .build();
             OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class).client(counting).index(index)
                     .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).build()) {
            sink.ensureIndex();
            int before = requests.get();
            List<Change<TestItem>> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(upsert("e" + i, base + i + 1));
            }
            List<Sink.BatchItem> items = sink.applyAll(batch);
            assertEquals(1, requests.get() - before, "a batch of 50 changes must travel in one bulk request");
            assertTrue(items.stream().allMatch(i -> i.succeeded() && i.result() == ApplyResult.APPLIED),
                    "every change of the batch must be applied");
            assertEquals(50, sink.versionsOf(batch.stream().map(Change::id).toList()).size(),
                    "versionsOf must see all 50 at once (reads by id are real-time)");
        }
    }

    @Test
    void aCustomMapperIndexesItsProjectionAndAClashWithTheMetaFieldIsPermanent() throws Exception {
        String index = index("mapper");
        try (OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class)
                .client(OpenSearchTestSupport.client()).index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS)
                .documentMapper(item -> OpenSearchTestSupport.JSON.createObjectNode()
                        .put("title", item.name().toUpperCase(java.util.Locale.ROOT)))
                .build()) {
            sink.apply(upsert("m", base + 1, new TestItem("m", "lamp", 5, List.of())));
            JsonNode source = OpenSearchTestSupport.call("GET", "/" + index + "/_doc/m", null).path("_source");
            assertEquals("LAMP", source.path("title").asText(), "the custom mapper's document must be indexed");
            assertFalse(source.has("price"), "fields outside the projection must not be indexed");
            assertEquals("m", source.path("dualwrite").path("id").asText(), "the sink adds its meta field");
        }
        try (OpenSearchSink<TestItem> clash = OpenSearchSink.builder("item", TestItem.class)
                .client(OpenSearchTestSupport.client()).index(index)
                .documentMapper(item -> OpenSearchTestSupport.JSON.createObjectNode().put("dualwrite", "mine"))
                .build()) {
            Exception e = assertThrows(Exception.class, () -> clash.apply(upsert("n", base + 1)),
                    "a document that uses the sink's meta field must be refused");
            assertEquals(ErrorKind.PERMANENT, clash.classifier().classify(e), "a mapping clash is PERMANENT");
            MappingException v = assertThrows(MappingException.class, () -> clash.validate(upsert("n", base + 1)),
                    "validate must refuse it the same way, without sending");
            assertInstanceOf(IllegalArgumentException.class, v.getCause(), "the clash is the cause: " + v);
        }
    }

    @Test
    void anExistingIndexGetsTheMetaMappingAndTheLiveAlias() throws Exception {
        String index = index("existing");
        OpenSearchTestSupport.call("PUT", "/" + index, "{\"settings\":" + OpenSearchTestSupport.TEST_INDEX_SETTINGS
                + ",\"mappings\":{\"properties\":{\"name\":{\"type\":\"keyword\"}}}}");
        try (OpenSearchSink<TestItem> sink = sink(index, "{}")) {
            sink.apply(upsert("z", base + 1));
            sink.apply(upsert("y", base + 1));
            assertEquals(List.of("y", "z"), sink.idsAfter(null, 10), "ids must be listed in order on an existing index");
            JsonNode mapping = OpenSearchTestSupport.call("GET", "/" + index + "/_mapping", null);
            assertEquals("keyword", mapping.path(index).path("mappings").path("properties").path("dualwrite")
                    .path("properties").path("id").path("type").asText(), "dualwrite.id must be a keyword");
            assertEquals("keyword", mapping.path(index).path("mappings").path("properties").path("name")
                    .path("type").asText(), "the application's own mapping must stay");
            assertEquals(Set.of("y", "z"), ids(OpenSearchTestSupport.call("POST", "/" + sink.liveAlias() + "/_search", "{}")),
                    "the live alias must exist on an existing index");
        }
    }

    @Test
    void anUnreachableEngineIsTransientForEveryItem() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class)
                .urls("http://127.0.0.1:" + deadPort).index(index("dead")).build()) {
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("u", base + 1)),
                    "a write to a closed port must fail");
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e),
                    "a refused connection never reached the engine: TRANSIENT, was " + e);
            List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("u", base + 1), upsert("v", base + 1)));
            assertTrue(items.stream().noneMatch(Sink.BatchItem::succeeded), "every item of the batch must fail");
            assertTrue(items.stream().allMatch(i -> sink.classifier().classify(i.error()) == ErrorKind.TRANSIENT),
                    "every item of the batch must be TRANSIENT");
        }
    }

    @Test
    void statusesOfTheEngineAreClassified() {
        assertEquals(ErrorKind.TRANSIENT, io.dualwrite.opensearch.internal.OpenSearchErrors.kindOfStatus(429), "429 overload");
        assertEquals(ErrorKind.TRANSIENT, io.dualwrite.opensearch.internal.OpenSearchErrors.kindOfStatus(503), "503 unavailable");
        assertEquals(ErrorKind.TRANSIENT, io.dualwrite.opensearch.internal.OpenSearchErrors.kindOfStatus(500), "500");
        assertEquals(ErrorKind.PERMANENT, io.dualwrite.opensearch.internal.OpenSearchErrors.kindOfStatus(400), "400 mapping error");
        assertEquals(ErrorKind.PERMANENT, io.dualwrite.opensearch.internal.OpenSearchErrors.kindOfStatus(404), "404 missing index");
    }

    @Test
    void badSettingsAreRefusedAtBuild() {
        assertThrows(IllegalArgumentException.class, () -> OpenSearchSink.builder("item", TestItem.class).index("Products"),
                "index names are lowercase");
        assertThrows(IllegalStateException.class, () -> OpenSearchSink.builder("item", TestItem.class).index("p").build(),
                "a client or URLs are required");
        assertThrows(IllegalArgumentException.class, () -> OpenSearchSink.builder("item", TestItem.class).urls("http://127.0.0.1:1")
                .index("p").indexSettings("[1]").build(), "settings must be a JSON object");
    }

    @Test
    void anUnavailableShardIsTransientPerItemAndTheRetrySucceedsOnceItIsBack() throws Exception {
        String index = index("red");
        // the primary shard may only live on a node that does not exist: the index is red
        OpenSearchTestSupport.call("PUT", "/" + index + "?wait_for_active_shards=0", "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0,"
                + "\"index.routing.allocation.require._name\":\"no-such-node\"}}");
        try (OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class).client(OpenSearchTestSupport.client())
                .index(index).shardTimeout(java.time.Duration.ofMillis(300)).build()) {
            List<Change<TestItem>> batch = List.of(upsert("s1", base + 1), upsert("s2", base + 1));
            List<Sink.BatchItem> items = sink.applyAll(batch);
            for (Sink.BatchItem item : items) {
                assertFalse(item.succeeded(), "a write to an unavailable shard must fail");
                assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(item.error()),
                        "an unavailable shard (503) is TRANSIENT: " + item.error());
            }
            // the shard comes back
            OpenSearchTestSupport.call("PUT", "/" + index + "/_settings",
                    "{\"index.routing.allocation.require._name\":null}");
            OpenSearchTestSupport.call("GET", "/_cluster/health/" + index + "?wait_for_status=green&timeout=30s", null);
            // retried as the coordinator would: a shard that is still starting may answer 5xx, which must stay TRANSIENT
            List<Sink.BatchItem> retried = sink.applyAll(batch);
            int attempt = 1;
            for (; attempt < 30 && !retried.stream().allMatch(Sink.BatchItem::succeeded); attempt++) {
                for (Sink.BatchItem item : retried) {
                    if (!item.succeeded()) {
                        assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(item.error()),
                                "while the shard starts, failures must be TRANSIENT: " + item.error());
                    }
                }
                Thread.sleep(200);
                retried = sink.applyAll(batch);
            }
            System.out.println("unavailable shard: applied on retry attempt " + attempt + " after the shard came back");
            assertTrue(retried.stream().allMatch(i -> i.succeeded() && i.result() == ApplyResult.APPLIED),
                    "the retry must be applied once the shard is available: " + retried.stream()
                            .map(i -> i.succeeded() ? String.valueOf(i.result()) : String.valueOf(i.error())).toList());
            assertEquals(java.util.Map.of("s1", base + 1, "s2", base + 1), java.util.Map.copyOf(sink.versionsOf(List.of("s1", "s2"))));
        }
    }

    private static Set<String> ids(JsonNode searchResponse) {
        Set<String> ids = new TreeSet<>();
        searchResponse.path("hits").path("hits").forEach(h -> ids.add(h.path("_id").asText()));
        return ids;
    }
}
