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
package io.dualwrite.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.dualwrite.Change;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.json.Jackson3Json;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.http.FakeThirdPartyApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sink sends the entity as the application's Jackson 3 mapper writes it, to a real HTTP server in the test. */
class HttpSinkJackson3Test {

    @Test
    void sendsTheBodyTheApplicationsJackson3MapperWrites() throws Exception {
        JsonMapper upperCamel = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE).build();
        Instant now = Instant.now();
        long version = Versions.firstVersion(now);
        try (FakeThirdPartyApi api = FakeThirdPartyApi.start(11L)) {
            HttpSink<TestItem> sink = HttpSink.builder("item", TestItem.class).upsert("PUT", api.uri() + "/items/{id}")
                    .json(Jackson3Json.of(upperCamel)).build();
            Change<TestItem> upsert = Change.<TestItem>builder().entityType("item").id("j3").version(version)
                    .operation(Operation.UPSERT).state(new TestItem("j3", "lamp", 1200, List.of("desk")))
                    .correlationId("c-j3").time(now).build();
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert), "the API took the upsert");

            JsonNode body = api.state("j3").orElseThrow();
            assertEquals("lamp", body.path("Name").asText(), "the mapper's naming strategy named the field: " + body);
            assertEquals(1200, body.path("Price").asLong(), "price, as the mapper named it: " + body);
            assertFalse(body.has("name"), "no field under Jackson's default name: " + body);
            assertEquals(version, api.version("j3").orElseThrow(), "the version travelled with it");

            Change<TestItem> delete = Change.<TestItem>builder().entityType("item").id("j3").version(version + 1)
                    .operation(Operation.DELETE).correlationId("c-j3").time(now).build();
            assertEquals(ApplyResult.APPLIED, sink.apply(delete), "the API took the delete");
            assertTrue(api.isDeleted("j3"), "the delete reached the API");
        }
    }
}
