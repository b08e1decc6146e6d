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
package io.dualwrite.examples.smallest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoDatabase;
import io.dualwrite.Operation;
import io.dualwrite.SinkOutcome;
import io.dualwrite.WriteResult;
import io.dualwrite.testkit.mongo.MongoExtension;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import java.util.List;
import java.util.Map;
import org.apache.http.HttpHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;
import org.opensearch.client.Response;

/** Runs the README's smallest example against MongoDB and a real OpenSearch node. */
@ExtendWith(MongoExtension.class)
class SmallestUseTest {

    @Test
    void savesAndDeletesThroughTheCoordinatorAndTheIndexFollows(MongoDatabase db) throws Exception {
        EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
        try (RestClient rest = RestClient.builder(HttpHost.create(os.httpUrl())).build()) {
            List<WriteResult> results = SmallestUse.saveAndDelete(db, rest);
            WriteResult saved = results.get(0);
            WriteResult deleted = results.get(1);
            assertEquals(Map.of("search", SinkOutcome.APPLIED), saved.outcomes(), "the index takes the save at once");
            assertEquals(Operation.DELETE, deleted.operation(), "the second write is the delete");
            assertEquals(saved.version() + 1, deleted.version(), "a delete is the next version");
            assertEquals(Map.of("search", SinkOutcome.APPLIED), deleted.outcomes(), "the index takes the delete at once");

            Request get = new Request("GET", "/products/_doc/p-1");
            Response doc = rest.performRequest(get);
            String body = new String(doc.getEntity().getContent().readAllBytes());
            assertTrue(body.contains("\"_version\":" + deleted.version()) && body.contains("\"deleted\":true"),
                    "the index holds the delete's tombstone at the delete's version: " + body);
        }
    }
}
