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
package io.dualwrite.spring.boot.actuate;

import io.dualwrite.DeadLetter;
import io.dualwrite.spring.boot.MongoForSpring;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dualwrite} Actuator endpoint of the catalog application on the test MongoDB, exposed over the web as an
 * application would expose it: a dead letter listed, shown and replayed through the application's writer, another
 * discarded with its reason; and the endpoint absent where the application does not expose it.
 */
@SpringBootTest(classes = {CatalogApplication.class, SearchSink.class}, properties = {
        "management.endpoints.web.exposure.include=health,dualwrite",
        "dualwrite.entities.products.sinks.search.max-attempts=1",
        "dualwrite.entities.products.recovery.enabled=false"})
class DualWriteEndpointTest {

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @Autowired
    DualWriteEndpoint endpoint;
    @Autowired
    ProductRepository products;
    @Autowired
    MongoTemplate template;

    @Test
    @SuppressWarnings("unchecked")
    void aDeadLetterIsListedShownAndReplayedThroughTheEndpoint() {
        SearchSink.FAULTY.poison("p-ep");
        products.save(new Product("p-ep", "Kettle", 2999));
        String id = DeadLetter.idOf("products", "p-ep", "search");

        Map<String, Object> listed = (Map<String, Object>) endpoint.read("dead-letters", null, "products", "search",
                "permanent", null, null);
        List<Map<String, Object>> rows = (List<Map<String, Object>>) listed.get("deadLetters");
        assertEquals(1, rows.size(), listed.toString());
        assertEquals(id, rows.get(0).get("id"));
        Map<String, Object> shown = (Map<String, Object>) endpoint.read("dead-letters", id, null, null, null, null, null);
        assertTrue(((Map<String, Object>) shown.get("entity")).get("state").toString().startsWith("present, written ahead"),
                shown.toString());
        Map<String, Object> status = endpoint.status();
        Map<String, Object> search = ((List<Map<String, Object>>) status.get("deliveries")).stream()
                .filter(r -> "search".equals(r.get("sink"))).findFirst().orElseThrow();
        assertEquals(1L, search.get("deadLetters"), status.toString());

        SearchSink.FAULTY.clearPoison();
        Map<String, Object> replayed = endpoint.act("dead-letters", "replay", id, null, null, null, null, null, null,
                "alice", "search mapping fixed");
        assertEquals("delivered", replayed.get("outcome"), replayed.toString());
        assertEquals("Kettle", SearchSink.SEARCH.get("p-ep").orElseThrow().getName(),
                "the application's writer delivered it");
        assertNull(endpoint.read("dead-letters", id, null, null, null, null, null), "the dead letter is gone (404)");
        Document audit = template.getCollection("dualwrite_dead_letter_audit").find(new Document("deadLetterId", id))
                .first();
        assertNotNull(audit, "the replay is recorded");
        assertEquals("alice", audit.getString("by"));
        assertEquals("search mapping fixed", audit.getString("reason"));
        assertTrue(audit.getString("outcome").startsWith("delivered"), audit.toJson());
    }

    @Test
    void aDiscardNeedsAReasonAndBadInputIsA400() {
        SearchSink.FAULTY.poison("p-ep-2");
        products.save(new Product("p-ep-2", "Teapot", 1999));
        String id = DeadLetter.idOf("products", "p-ep-2", "search");

        InvalidEndpointRequestException noReason = assertThrows(InvalidEndpointRequestException.class,
                () -> endpoint.act("dead-letters", "discard", id, null, null, null, null, null, null, "alice", null));
        assertTrue(noReason.getMessage().contains("say why"), noReason.getMessage());
        assertThrows(InvalidEndpointRequestException.class, () -> endpoint.read("dead-letters", "p-ep-2", null, null,
                null, null, null), "a malformed id");
        assertThrows(InvalidEndpointRequestException.class, () -> endpoint.read("dead-letters", null, "invoices", null,
                null, null, null), "an unknown entity type");
        Map<String, Object> discarded = endpoint.act("dead-letters", "discard", id, null, null, null, null, null, null,
                "alice", "product withdrawn");
        assertEquals("discarded", discarded.get("outcome"));
        SearchSink.FAULTY.clearPoison();
    }

    @Test
    void aLimitBelowOneIsA400NotAServerError() {
        // GET /actuator/dualwrite/dead-letters?limit=0: bad input, answered 400 like a malformed id or an unknown type
        assertThrows(InvalidEndpointRequestException.class, () -> endpoint.read("dead-letters", null, null, null,
                null, null, 0), "a limit below one on the dead letters");
        assertThrows(InvalidEndpointRequestException.class, () -> endpoint.read("reconciliations", null, null, null,
                null, null, 0), "a limit below one on the reconciliations");
    }

    @Test
    void theEndpointIsAbsentWhereTheApplicationDoesNotExposeIt() {
        try (ConfigurableApplicationContext app = MongoForSpring.run(MongoForSpring.newDatabase(), SearchSink.class)) {
            assertEquals(0, app.getBeanNamesForType(DualWriteEndpoint.class).length,
                    "Actuator exposes only health unless told");
        }
    }
}
