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
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import org.apache.http.HttpHost;
import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** The JVM-wide OpenSearch node of these tests, a client on it, and direct reads of the index. */
final class OpenSearchTestSupport {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    /** One replica would never be assigned on a single node. */
    static final String TEST_INDEX_SETTINGS = "{\"number_of_shards\":1,\"number_of_replicas\":0}";
    private static final AtomicInteger INDEXES = new AtomicInteger();
    private static RestClient client;

    private OpenSearchTestSupport() {
    }

    static synchronized RestClient client() {
        if (client == null) {
            EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
            client = RestClient.builder(new HttpHost(os.host(), os.port(), "http")).build();
        }
        return client;
    }

    static String newIndexName(String prefix) {
        return prefix + "-" + INDEXES.incrementAndGet() + "-" + System.nanoTime() % 100_000;
    }

    static JsonNode call(String method, String endpoint, String jsonBody) throws IOException {
        Request r = new Request(method, endpoint);
        if (jsonBody != null) {
            r.setJsonEntity(jsonBody);
        }
        try (InputStream in = client().performRequest(r).getEntity().getContent()) {
            return JSON.readTree(in);
        }
    }

    static void deleteIndex(String index) throws IOException {
        try {
            call("DELETE", "/" + index, null);
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() != 404) {
                throw e;
            }
        }
    }

    /** Reads a document by id straight from the engine (not through the sink). */
    static Optional<Stored<TestItem>> readBack(String index, String id) throws IOException {
        JsonNode doc;
        try {
            doc = call("GET", "/" + index + "/_doc/" + id, null);
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        long version = doc.path("_version").asLong();
        ObjectNode source = (ObjectNode) doc.path("_source");
        if (source.path(OpenSearchSink.META_FIELD).path("deleted").asBoolean()) {
            return Optional.of(Stored.deleted(version));
        }
        source.remove(OpenSearchSink.META_FIELD);
        return Optional.of(Stored.live(version, JSON.treeToValue(source, TestItem.class)));
    }
}
