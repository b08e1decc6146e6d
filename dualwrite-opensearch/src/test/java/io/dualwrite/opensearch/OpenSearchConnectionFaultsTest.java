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

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import io.dualwrite.testkit.proxy.FaultProxy;
import org.apache.http.HttpHost;
import org.junit.jupiter.api.Test;
import org.opensearch.client.RestClient;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A connection that stops answering after the request left: the outcome is unknown, and a
 * redelivery of the same change resolves it either way, because the engine guards the version.
 * The testkit's TCP fault proxy sits between the client and the real node.
 */
class OpenSearchConnectionFaultsTest {
    private final long base = Versions.firstVersion(Instant.now());

    private Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, (int) (version - base))).correlationId("f-" + id).time(Instant.now()).build();
    }

    @Test
    void aLostAnswerIsAnUnknownOutcomeThatARedeliveryResolves() throws Exception {
        EmbeddedOpenSearch os = EmbeddedOpenSearch.shared();
        String index = OpenSearchTestSupport.newIndexName("faults");
        try (FaultProxy proxy = FaultProxy.start(os.host(), os.port());
             RestClient client = RestClient.builder(new HttpHost("127.0.0.1", proxy.port(), "http"))
                     .setRequestConfigCallback(c -> c.setSocketTimeout(2_000)).build();
             OpenSearchSink<TestItem> sink = OpenSearchSink.builder("item", TestItem.class).client(client).index(index)
                     .createIndex(false).build();
             OpenSearchSink<TestItem> direct = OpenSearchSink.builder("item", TestItem.class).client(OpenSearchTestSupport.client())
                     .index(index).indexSettings(OpenSearchTestSupport.TEST_INDEX_SETTINGS).build()) {
            direct.ensureIndex(); // prepared over a healthy connection; the sink under test only writes

            // the request reaches the engine late and its answer after the client gave up: it landed
            proxy.latency(Duration.ofMillis(4_000));
            Exception late = assertThrows(Exception.class, () -> sink.apply(upsert("a", base + 1)));
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(late),
                    "no answer after the request left is an unknown outcome: " + late);
            proxy.restore();
            awaitHeld(index, "a", base + 1);
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("a", base + 1)),
                    "redelivering a change that did land is harmless: the engine reports it already current");

            // the request never reaches the engine: the same unknown outcome, and the redelivery applies it
            proxy.blackHole();
            Exception lost = assertThrows(Exception.class, () -> sink.apply(upsert("a", base + 2)));
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(lost),
                    "a server that stopped answering is an unknown outcome: " + lost);
            proxy.restore();
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("a", base + 2)),
                    "redelivering a change that never landed applies it");
            assertEquals(Optional.of(Stored.live(base + 2, TestItem.variant("a", 2))),
                    OpenSearchTestSupport.readBack(index, "a"));
        } finally {
            OpenSearchTestSupport.deleteIndex(index);
        }
    }

    private static void awaitHeld(String index, String id, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Stored<TestItem>> held = OpenSearchTestSupport.readBack(index, id);
            if (held.isPresent() && held.get().version() == version) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the delayed write of " + id + "@" + version + " never landed");
    }
}
