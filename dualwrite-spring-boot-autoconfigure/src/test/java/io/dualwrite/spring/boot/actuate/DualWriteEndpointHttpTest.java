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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.DeadLetter;
import io.dualwrite.spring.boot.MongoForSpring;
import io.dualwrite.spring.boot.app.CatalogApplication;
import io.dualwrite.spring.boot.app.Product;
import io.dualwrite.spring.boot.app.ProductRepository;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dualwrite} Actuator endpoint over HTTP, on the catalog application's own web server on a free port and
 * the test MongoDB, as an operator reaches it: the status, a dead letter listed and replayed, bad input answered
 * 400; and a 404 where the application does not expose the endpoint over the web.
 */
@SpringBootTest(classes = {CatalogApplication.class, SearchSink.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health,dualwrite",
        "dualwrite.entities.products.sinks.search.max-attempts=1",
        "dualwrite.entities.products.recovery.enabled=false"})
class DualWriteEndpointHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    ProductRepository products;

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return ActuatorHttp.get(port, path);
    }

    private HttpResponse<String> post(String path, Map<String, String> body) throws IOException, InterruptedException {
        return ActuatorHttp.post(port, path, "application/json", JSON.writeValueAsString(body));
    }

    private static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.uri() + " answered " + response.body());
        return JSON.readTree(response.body());
    }

    private static String encoded(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void theStatusAndADeadLetterAreReadAndReplayedOverHttp() throws Exception {
        SearchSink.FAULTY.poison("p-http");
        products.save(new Product("p-http", "Kettle", 2999));
        String id = DeadLetter.idOf("products", "p-http", "search");

        JsonNode status = ok(get(port, "/actuator/dualwrite"));
        JsonNode search = null;
        for (JsonNode row : status.path("deliveries")) {
            if ("products".equals(row.path("type").asText()) && "search".equals(row.path("sink").asText())) {
                search = row;
            }
        }
        assertNotNull(search, "the status has a row for products' search sink: " + status);
        assertEquals(1, search.path("deadLetters").asLong(), "its dead letter counted: " + status);

        JsonNode listed = ok(get(port, "/actuator/dualwrite/dead-letters?type=products&sink=search"));
        assertEquals(1, listed.path("deadLetters").size(), listed.toString());
        assertEquals(id, listed.path("deadLetters").path(0).path("id").asText(), listed.toString());
        assertEquals("p-http", ok(get(port, "/actuator/dualwrite/dead-letters?id=" + encoded(id)))
                .path("deadLetter").path("entity_id").asText(), "one dead letter, by its id");

        SearchSink.FAULTY.clearPoison();
        JsonNode replayed = ok(post("/actuator/dualwrite/dead-letters",
                Map.of("action", "replay", "id", id, "by", "alice", "reason", "search mapping fixed")));
        assertEquals("delivered", replayed.path("outcome").asText(), replayed.toString());
        assertEquals("Kettle", SearchSink.SEARCH.get("p-http").orElseThrow().getName(),
                "the application's writer delivered it");
        assertEquals(404, get(port, "/actuator/dualwrite/dead-letters?id=" + encoded(id)).statusCode(),
                "the dead letter is gone");
    }

    @Test
    void badInputIsAnsweredWith400() throws Exception {
        assertEquals(400, get(port, "/actuator/dualwrite/dead-letters?type=invoices").statusCode(),
                "an unknown entity type");
        assertEquals(400, get(port, "/actuator/dualwrite/dead-letters?id=p-1").statusCode(), "a malformed id");
        assertEquals(400, get(port, "/actuator/dualwrite/dead-letters?limit=0").statusCode(), "a limit below one");
        assertEquals(400, post("/actuator/dualwrite/dead-letters", Map.of("action", "discard",
                "id", DeadLetter.idOf("products", "p-none", "search"), "by", "alice")).statusCode(),
                "a discard without a reason");
        assertEquals(400, post("/actuator/dualwrite/reconciliations", Map.of("action", "request",
                "type", "products", "by", "alice")).statusCode(), "a reconciliation request without a mode");
    }

    @Test
    void notExposedOverTheWebWithoutTheProperty() throws Exception {
        try (ConfigurableApplicationContext app = MongoForSpring.runWeb(MongoForSpring.newDatabase(),
                SearchSink.class)) {
            int appPort = ((WebServerApplicationContext) app).getWebServer().getPort();
            JsonNode links = ok(get(appPort, "/actuator")).path("_links");
            assertTrue(links.has("health"), "the web server and Actuator answer, with health exposed: " + links);
            assertFalse(links.has("dualwrite"), "and no dualwrite link: " + links);
            assertEquals(404, get(appPort, "/actuator/dualwrite").statusCode(),
                    "Actuator exposes only health over the web unless told");
            assertEquals(404, get(appPort, "/actuator/dualwrite/dead-letters?type=products").statusCode(),
                    "nor any of the endpoint's paths");
        }
    }
}
