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

import io.dualwrite.Change;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.http.MisbehavingHttpServer;
import io.dualwrite.testkit.http.MisbehavingHttpServer.Misbehaviour;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every call of the HTTP sink is bounded end to end by its request timeout, whatever the server
 * does: against a {@link MisbehavingHttpServer} on 127.0.0.1 (started by each test) that holds
 * each connection for {@value #HOLD_SECONDS} s, a call with a {@value #TIMEOUT_MILLIS} ms timeout
 * must return within {@link #BOUND} (a margin for a busy machine), drop the stalled connection
 * and never use it again.
 */
class HttpSinkTimeLimitTest {
    private static final long TIMEOUT_MILLIS = 1000;
    private static final Duration TIMEOUT = Duration.ofMillis(TIMEOUT_MILLIS);
    private static final long HOLD_SECONDS = 30;
    private static final Duration HOLD = Duration.ofSeconds(HOLD_SECONDS);
    /** The timeout plus a generous margin, far below the server's hold. */
    private static final Duration BOUND = Duration.ofSeconds(5);

    private static Change<TestItem> upsert(String id) {
        return Change.<TestItem>builder().entityType("item").id(id).version(1).operation(Operation.UPSERT)
                .state(TestItem.variant(id, 1)).correlationId("corr-" + id).time(Instant.now()).build();
    }

    private static HttpSink<TestItem> sink(MisbehavingHttpServer server) {
        return HttpSink.builder("item", TestItem.class).upsert("PUT", server.uri() + "/items/{id}").requestTimeout(TIMEOUT).build();
    }

    /** Calls the sink once, checks the failure's kind and that the call ended within the bound. */
    private static HttpSinkException failsWithinTheBound(MisbehavingHttpServer server, ErrorKind kind) throws Exception {
        HttpSink<TestItem> sink = sink(server);
        long start = System.nanoTime();
        HttpSinkException e = assertThrows(HttpSinkException.class, () -> sink.apply(upsert("s1")), "the call must fail");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(BOUND) < 0, "a " + TIMEOUT_MILLIS + " ms call must end within " + BOUND
                + " although the server holds on for " + HOLD + "; it took " + took.toMillis() + " ms");
        assertTrue(took.compareTo(TIMEOUT.minusMillis(50)) >= 0,
                "the call waits out its timeout before giving up; it took " + took.toMillis() + " ms");
        assertEquals(kind, e.kind(), "kind of: " + e.getMessage());
        assertEquals(kind, sink.classifier().classify(e), "the classifier must honour the kind");
        droppedTheConnection(server);
        return e;
    }

    /** The same, against a fresh server that answers this way; the request was sent, so the outcome is unknown. */
    private static HttpSinkException failsWithinTheBound(Misbehaviour how, int status) throws Exception {
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(how, status, HOLD)) {
            return failsWithinTheBound(server, ErrorKind.UNKNOWN_OUTCOME);
        }
    }

    private static void droppedTheConnection(MisbehavingHttpServer server) throws InterruptedException {
        assertTrue(server.awaitClosedByClient(BOUND), "the client must close the stalled connection, not keep it");
        assertEquals(0, server.reusedConnections(), "a stalled connection must never carry another request");
    }

    @Test
    void everySinkCallIsBoundedByItsTimeLimitWhenTheBodyStalls() throws Exception {
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.STALLED_BODY, 200, HOLD)) {
            HttpSinkException e = failsWithinTheBound(server, ErrorKind.UNKNOWN_OUTCOME);
            assertTrue(e.getMessage().contains("may have been applied") && e.getMessage().contains("200"),
                    "the message says the reply's body never came in time: " + e.getMessage());

            // recovery's path: each request of a batch has its own deadline, and none reuses a stalled connection
            HttpSink<TestItem> sink = sink(server);
            long start = System.nanoTime();
            List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("b1"), upsert("b2")));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(BOUND.plus(TIMEOUT)) < 0, "two stalled requests take two timeouts, not the hold: "
                    + took.toMillis() + " ms");
            for (Sink.BatchItem item : items) {
                assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(item.error()), "each item's kind");
            }
            assertEquals(3, server.connections(), "each request on a connection of its own");
            droppedTheConnection(server);
        }
    }

    @Test
    void everySinkCallIsBoundedByItsTimeLimitWhenTheBodyTrickles() throws Exception {
        failsWithinTheBound(Misbehaviour.TRICKLING_BODY, 200);
    }

    @Test
    void everySinkCallIsBoundedByItsTimeLimitWhenTheHeadersStall() throws Exception {
        assertTrue(failsWithinTheBound(Misbehaviour.SILENT, 200).status().isEmpty(), "no status came");
    }

    @Test
    void everySinkCallIsBoundedByItsTimeLimitWhenAnErrorReplyStalls() throws Exception {
        failsWithinTheBound(Misbehaviour.STALLED_BODY, 503);
    }

    @Test
    void everySaveIsBoundedByTheSinkTimeLimitWhenTheClientEnforcesIt() throws Exception {
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.STALLED_BODY, 200, HOLD);
             DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                     .primary(new InMemoryPrimaryStore<>()).deadLetterStore(new InMemoryDeadLetterStore())
                     .sink("api", sink(server), SinkSettings.builder().clientEnforcesTimeout(true).maxAttempts(2)
                             .backoff(Duration.ofMillis(10), 1.0, Duration.ofMillis(10)).build())
                     .build()) {
            long start = System.nanoTime();
            WriteResult result = writer.save(TestItem.variant("w1", 1));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(SinkOutcome.DEFERRED, result.outcome("api").orElseThrow(), "the stalled sink is left to recovery");
            assertTrue(took.compareTo(BOUND.plus(TIMEOUT)) < 0, "two attempts of " + TIMEOUT_MILLIS + " ms must end within "
                    + BOUND.plus(TIMEOUT) + " although the server holds on for " + HOLD + "; save took "
                    + took.toMillis() + " ms");
            assertEquals(2, server.requests(), "both attempts reached the server");
            assertEquals(2, server.connections(), "the retry opened a fresh connection");
            droppedTheConnection(server);
        }
    }

    @Test
    void anEndlessReplyBodyIsReadOnlyUpToTheCap() throws Exception {
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.ENDLESS_BODY, 200, HOLD)) {
            HttpSink<TestItem> sink = sink(server);
            long start = System.nanoTime();
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("e1")), "a 2xx is decided by its status");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(TIMEOUT) < 0, "the body is read up to " + HttpSink.MAX_REPLY_BODY_BYTES
                    + " bytes, then dropped; took " + took.toMillis() + " ms");
            droppedTheConnection(server);
        }
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.ENDLESS_BODY, 503, HOLD)) {
            HttpSinkException e = assertThrows(HttpSinkException.class, () -> sink(server).apply(upsert("e2")));
            assertEquals(ErrorKind.TRANSIENT, e.kind(), "a 503 with an endless body is still a 503: " + e.getMessage());
            assertTrue(e.getMessage().length() < 1000, "the message holds only the start of the reply");
            droppedTheConnection(server);
        }
    }

    @Test
    void aReplyCutOffMidBodyIsAnUnknownOutcome() throws Exception {
        try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.CUT_BODY, 200, HOLD)) {
            HttpSinkException e = assertThrows(HttpSinkException.class, () -> sink(server).apply(upsert("c1")));
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, e.kind(), "a 200 whose body is cut off is not a reply: " + e.getMessage());
            assertTrue(e.getMessage().contains("broken or malformed reply"), e.getMessage());
        }
    }
}
