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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dualwrite} Actuator endpoint over HTTP given hostile input: malformed bodies, wrong JSON types, unknown
 * sections and actions, missing and malformed ids, out-of-range limits, URL-encoded ids. Each is answered with a
 * 4xx status (a 404 where the input is well formed but names nothing), never a 5xx.
 */
@SpringBootTest(classes = {CatalogApplication.class, SearchSink.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health,dualwrite",
        "dualwrite.entities.products.sinks.search.max-attempts=1",
        "dualwrite.entities.products.recovery.enabled=false"})
class DualWriteEndpointHostileInputHttpTest {
    @DynamicPropertySource
    static void mongo(DynamicPropertyRegistry registry) {
        MongoForSpring.register(registry);
    }

    @LocalServerPort
    int port;

    private HttpResponse<String> get(String path) throws Exception {
        return ActuatorHttp.get(port, path);
    }

    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        return ActuatorHttp.post(port, path, contentType, body);
    }

    private static String encoded(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Executable status(String what, HttpResponse<String> r, int low, int high) {
        return () -> assertTrue(r.statusCode() >= low && r.statusCode() <= high,
                what + ": expected " + low + ".." + high + ", got " + r.statusCode() + " " + r.body());
    }

    private static Executable clientError(String what, HttpResponse<String> r) {
        return status(what, r, 400, 499);
    }

    /** Bad query parameters on the read operations are 4xx; a well-formed id naming nothing is 404. */
    @Test
    void hostileReadsAre4xx() throws Exception {
        String dl = "/actuator/dualwrite/dead-letters";
        String rc = "/actuator/dualwrite/reconciliations";
        List<Executable> checks = new ArrayList<>();
        checks.add(clientError("a limit that is no number", get(dl + "?limit=abc")));
        checks.add(clientError("a limit beyond an int", get(dl + "?limit=99999999999")));
        checks.add(clientError("a negative limit", get(dl + "?limit=-3")));
        checks.add(status("the largest int limit is valid", get(dl + "?limit=2147483647"), 200, 200));
        checks.add(clientError("a reconciliation history limit of zero", get(rc + "?limit=0")));
        checks.add(clientError("a negative reconciliation history limit", get(rc + "?limit=-1")));
        checks.add(status("the largest int reconciliation history limit is valid", get(rc + "?limit=2147483647"),
                200, 200));
        checks.add(clientError("a malformed reconciliation id", get(rc + "?id=zzz")));
        checks.add(status("a well-formed reconciliation id naming nothing", get(rc + "?id=0123456789abcdef01234567"),
                404, 404));
        checks.add(clientError("reconciliations of an unknown type", get(rc + "?type=invoices")));
        checks.add(clientError("an unknown error kind", get(dl + "?kind=bogus")));
        checks.add(clientError("an unknown section", get("/actuator/dualwrite/nothing")));
        checks.add(status("a dead letter id with encoded characters naming nothing",
                get(dl + "?id=" + encoded(DeadLetter.idOf("products", "a/b c#%?&=", "search"))), 404, 404));
        checks.add(clientError("a dead letter id with only separators", get(dl + "?id=" + encoded("/#"))));
        assertAll(checks);
    }

    /** Bad bodies and actions on the write operations are 4xx, never a 5xx. */
    @Test
    void hostileWritesAre4xx() throws Exception {
        String dl = "/actuator/dualwrite/dead-letters";
        String rc = "/actuator/dualwrite/reconciliations";
        String json = "application/json";
        String missing = DeadLetter.idOf("products", "p-none", "search");
        List<Executable> checks = new ArrayList<>();
        checks.add(clientError("a malformed JSON body", post(dl, json, "{\"action\": ")));
        checks.add(clientError("a JSON array body", post(dl, json, "[]")));
        checks.add(clientError("a JSON string body", post(dl, json, "\"replay\"")));
        checks.add(clientError("an empty body", post(dl, json, "")));
        checks.add(clientError("no action", post(dl, json, "{\"id\": \"" + missing + "\"}")));
        checks.add(clientError("an unknown action", post(dl, json, "{\"action\": \"explode\"}")));
        checks.add(clientError("an action on an unknown section", post("/actuator/dualwrite/nothing", json,
                "{\"action\": \"replay\"}")));
        checks.add(clientError("an action given as an array", post(dl, json, "{\"action\": [\"replay\"]}")));
        checks.add(clientError("an action given as an object", post(dl, json, "{\"action\": {\"a\": 1}}")));
        checks.add(clientError("an actor given as an object", post(dl, json,
                "{\"action\": \"replay\", \"id\": \"" + missing + "\", \"by\": {\"a\": 1}}")));
        checks.add(clientError("a replay without an id", post(dl, json, "{\"action\": \"replay\"}")));
        checks.add(clientError("a replay of a malformed id", post(dl, json, "{\"action\": \"replay\", \"id\": \"x\"}")));
        checks.add(clientError("a replay of a dead letter that does not exist", post(dl, json,
                "{\"action\": \"replay\", \"id\": \"" + missing + "\"}")));
        checks.add(clientError("a body that is no JSON", post(dl, "text/plain", "action=replay")));
        checks.add(clientError("a reconciliation with an unknown mode", post(rc, json,
                "{\"action\": \"request\", \"type\": \"products\", \"mode\": \"bogus\"}")));
        checks.add(clientError("a reconciliation of an unknown type", post(rc, json,
                "{\"action\": \"request\", \"type\": \"invoices\", \"mode\": \"dry-run\"}")));
        checks.add(clientError("a reconciliation of ids that are only commas", post(rc, json,
                "{\"action\": \"request\", \"type\": \"products\", \"mode\": \"dry-run\", \"ids\": \",,\"}")));
        checks.add(clientError("a reconciliation of sinks that are only commas", post(rc, json,
                "{\"action\": \"request\", \"type\": \"products\", \"mode\": \"dry-run\", \"sinks\": \",\"}")));
        checks.add(clientError("a reconciliation of an empty range", post(rc, json,
                "{\"action\": \"request\", \"type\": \"products\", \"mode\": \"dry-run\", \"after\": \"b\","
                        + " \"to\": \"a\"}")));
        assertAll(checks);
    }

    /**
     * A reconciliation request naming a sink the entity type does not have is bad input, refused with a 4xx when it
     * is made, not recorded to fail later in the worker.
     */
    @Test
    void aReconciliationOfAnUnknownSinkIsRefused() throws Throwable {
        HttpResponse<String> r = post("/actuator/dualwrite/reconciliations", "application/json",
                "{\"action\": \"request\", \"type\": \"products\", \"mode\": \"dry-run\", \"sinks\": \"nosuch\"}");
        clientError("a reconciliation of a sink products does not have", r).execute();
    }
}
