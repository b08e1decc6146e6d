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
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.TestItem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The sink indexes the entity as the application's Jackson 3 mapper writes it, on the in-JVM OpenSearch node. */
class OpenSearchSinkJackson3Test {
    private final String index = OpenSearchTestSupport.newIndexName("jackson3");

    @AfterEach
    void dropIndex() throws Exception {
        OpenSearchTestSupport.deleteIndex(index);
    }

    @Test
    void indexesTheDocumentTheApplicationsJackson3MapperWrites() throws Exception {
        JsonMapper upperCamel = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();
        long version = Versions.firstVersion(Instant.now());
        Change<TestItem> change = Change.<TestItem>builder().entityType("item").id("j3").version(version)
                .operation(Operation.UPSERT).state(new TestItem("j3", "lamp", 1200, List.of("desk")))
                .correlationId("c-j3").time(Instant.now()).build();
        try (OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class)
                .client(OpenSearchTestSupport.client()).index(index)
                .indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).refresh(RefreshPolicy.IMMEDIATE)
                .json(Jackson3Json.of(upperCamel)).build()) {
            assertEquals(ApplyResult.APPLIED, sink.apply(change));

            JsonNode source = OpenSearchTestSupport.call("GET", "/" + index + "/_doc/j3", null).path("_source");
            assertEquals("lamp", source.path("Name").asText(), "the mapper's naming strategy named the field: " + source);
            assertEquals(1200, source.path("Price").asLong(), "price, as the mapper named it: " + source);
            assertFalse(source.has("name"), "no field under Jackson's default name: " + source);
            assertEquals(Map.of("j3", version), sink.versionsOf(List.of("j3")), "the sink reads its version back");
            assertEquals(sink.expectedContentDigest(change), sink.contentDigestsOf(List.of("j3")).get("j3"),
                    "reconciliation sees the document it expects, as the same mapper writes it");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(change), "a repeat changes nothing");
        }
    }
}
