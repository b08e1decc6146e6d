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
package io.dualwrite.spring.boot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration metadata an IDE completes {@code dualwrite.*} from is generated into the jar. */
class ConfigurationMetadataTest {

    @Test
    void everyTopLevelPropertyAndTheEntityMapAreDescribed() throws Exception {
        JsonNode metadata = metadata();
        Map<String, JsonNode> byName = new HashMap<>();
        metadata.get("properties").forEach(p -> byName.put(p.get("name").asText(), p));

        for (String name : new String[] {"dualwrite.enabled", "dualwrite.dead-letter-collection",
                "dualwrite.reconcile.checkpoint-collection", "dualwrite.reconcile.report-collection",
                "dualwrite.health.backlog-threshold", "dualwrite.health.oldest-pending-age-threshold",
                "dualwrite.health.dead-letter-threshold", "dualwrite.health.open-circuit-status",
                "dualwrite.health.threshold-status", "dualwrite.reconcile.requests.enabled",
                "dualwrite.reconcile.requests.interval", "dualwrite.reconcile.requests.lease",
                "dualwrite.reconcile.requests.max-attempts"}) {
            JsonNode p = byName.get(name);
            assertNotNull(p, name + " is described");
            assertTrue(p.hasNonNull("description"), name + " has a description from its javadoc");
        }
        assertTrue(byName.get("dualwrite.entities").get("type").asText().contains("DualWriteProperties$Entity"),
                "the entity map's value type, from which an IDE completes the keys below an entity type");
        assertEquals("1s", byName.get("dualwrite.reconcile.requests.interval").path("defaultValue").asText(),
                "a duration's default, from the additional metadata");
        assertTrue(metadata.get("hints").toString().contains("dualwrite.health.open-circuit-status"),
                "the additional metadata's hints are merged in");
    }
    @Test
    void everyPropertyAnIdeCompletesIsInTheDocs() throws Exception {
        JsonNode metadata = metadata();
        String docs = Files.readString(Path.of("..", "docs", "spring-boot.md"));
        List<String> missing = new ArrayList<>();
        metadata.get("properties").forEach(p -> {
            String name = p.get("name").asText();
            if (!docs.contains("`" + name + "`") && !docs.contains("`" + name + ".")) {
                missing.add(name);
            }
        });
        assertTrue(missing.isEmpty(), "docs/spring-boot.md names every property: missing " + missing);
    }

    /** @return the metadata generated into the jar */
    private JsonNode metadata() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertNotNull(in, "spring-boot-configuration-processor generated the metadata");
            return new ObjectMapper().readTree(in);
        }
    }
}
