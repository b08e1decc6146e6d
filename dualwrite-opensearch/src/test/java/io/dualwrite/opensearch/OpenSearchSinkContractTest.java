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
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.AbstractSinkContractTest;
import io.dualwrite.testkit.contract.Stored;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The search-index sink keeps the sink contract on a real OpenSearch node (in this JVM, shared by
 * the module's tests); what the index holds is read with plain GETs, not through the sink, and
 * written past the sink's version guard with plain index requests at the version it holds.
 */
class OpenSearchSinkContractTest extends AbstractSinkContractTest<TestItem> {
    private String index;

    @Override
    protected Sink<TestItem> createSink() {
        index = OpenSearchTestSupport.newIndexName("contract");
        return builder().build();
    }

    private OpenSearchSink.Builder<TestItem> builder() {
        return OpenSearchSink.builder(entityType(), TestItem.class)
                .client(OpenSearchTestSupport.client())
                .index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS)
                // an int field, so a price beyond 2^31 is a mapping error the engine refuses every time
                .indexProperties("{\"price\":{\"type\":\"integer\"}}")
                .refresh(RefreshPolicy.IMMEDIATE);
    }

    /** A document mapper that meets a null it did not expect for one entity. */
    @Override
    protected Optional<Sink<TestItem>> sinkWithMappingFailingFor(String unmappableId) {
        return Optional.of(builder().documentMapper(item -> {
            if (item.id().equals(unmappableId)) {
                throw new NullPointerException("the mapper found no value it needs in " + item.id());
            }
            return OpenSearchTestSupport.JSON.valueToTree(item);
        }).build());
    }

    @Override
    protected TestItem entity(String id, int variant) {
        return TestItem.variant(id, variant);
    }

    @Override
    protected Optional<Stored<TestItem>> readBack(Sink<TestItem> sink, String id) throws Exception {
        return OpenSearchTestSupport.readBack(index, id);
    }

    /**
     * Indexes another document straight into the engine at the version it holds:
     * {@code version_type=external_gte} accepts an equal version, which the sink's own
     * {@code external} requests never send.
     */
    @Override
    protected boolean overwriteKeepingVersion(Sink<TestItem> sink, String id, long version, TestItem state)
            throws Exception {
        ObjectNode doc = OpenSearchTestSupport.JSON.valueToTree(state);
        doc.putObject(OpenSearchSink.META_FIELD).put("id", id).put("deleted", false);
        indexAtTheSameVersion(id, version, OpenSearchTestSupport.JSON.writeValueAsString(doc));
        return true;
    }

    /** The document re-indexed at its version in another form. */
    @Override
    protected boolean rewriteInAnotherForm(Sink<TestItem> sink, String id) throws Exception {
        JsonNode held = OpenSearchTestSupport.call("GET", "/" + index + "/_doc/" + id, null);
        indexAtTheSameVersion(id, held.path("_version").asLong(), inAnotherForm(held.path("_source")));
        return true;
    }

    private void indexAtTheSameVersion(String id, long version, String body) throws Exception {
        JsonNode r = OpenSearchTestSupport.call("PUT", "/" + index + "/_doc/" + id + "?version=" + version
                + "&version_type=external_gte&refresh=true", body);
        assertEquals(version, r.path("_version").asLong(), "the engine keeps the version: " + r);
    }

    @Override
    protected Optional<Change<TestItem>> permanentlyRejectedChange(String id, long version) {
        return Optional.of(Change.<TestItem>builder().entityType(entityType()).id(id).version(version)
                .operation(Operation.UPSERT).state(new TestItem(id, "too expensive", 10_000_000_000L, List.of()))
                .correlationId("poison-" + id).time(Instant.now()).build());
    }

    @Override
    protected void dispose(Sink<TestItem> sink) throws Exception {
        ((OpenSearchSink<TestItem>) sink).close();
        OpenSearchTestSupport.deleteIndex(index);
    }
}
