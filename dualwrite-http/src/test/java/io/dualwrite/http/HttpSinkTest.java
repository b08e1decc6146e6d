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
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.SinkException;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.http.FakeThirdPartyApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP sink's status matrix, headers and failure modes against a real HTTP server in the test. */
class HttpSinkTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private final long base = Versions.firstVersion(NOW);
    private FakeThirdPartyApi api;

    @BeforeEach
    void start() throws Exception {
        api = FakeThirdPartyApi.start(7L);
    }

    @AfterEach
    void stop() {
        assertEquals(List.of(), api.keysAppliedMoreThanOnce(), "the API must never apply a request key twice");
        api.close();
    }

    private HttpSink.Builder<TestItem> builder() {
        return HttpSink.builder("item", TestItem.class).upsert("PUT", api.uri() + "/items/{id}")
                .clock(Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, 1)).correlationId("corr-" + id).time(NOW).build();
    }

    private static HttpSinkException failure(HttpSink<TestItem> sink, Change<TestItem> change, ErrorKind kind) {
        HttpSinkException e = assertThrows(HttpSinkException.class, () -> sink.apply(change), "the call must fail");
        assertEquals(kind, e.kind(), "kind of: " + e.getMessage());
        assertEquals(kind, sink.classifier().classify(e), "the classifier must honour the kind");
        return e;
    }

    @Test
    void sendsKeyVersionCorrelationAndTraceHeaders() throws Exception {
        String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        HttpSink<TestItem> sink = builder().header(HttpHeaderSupplier.traceparent(() -> Optional.of(trace)))
                .header(HttpHeaderSupplier.fixed("Authorization", "Bearer t")).build();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("h1", base)), "2xx is APPLIED");
        FakeThirdPartyApi.Received r = api.received().get(0);
        assertEquals("PUT", r.method(), "the upsert method");
        assertEquals("item/h1@" + base, r.idempotencyKey(), "Idempotency-Key is the change's key");
        assertEquals(Long.toString(base), r.version(), "the version header");
        assertEquals("corr-h1", r.headers().get("X-Correlation-Id"), "the correlation header");
        assertEquals(trace, r.headers().get("traceparent"), "the W3C trace context");
        assertEquals("Bearer t", r.headers().get("Authorization"), "a fixed header");
        assertEquals("application/json", r.headers().get("Content-Type"), "a JSON body");
        assertEquals("item h1 v1", api.state("h1").orElseThrow().path("name").asText(), "the body is the entity as JSON");
    }

    @Test
    void sendsNoTraceHeaderWithoutAValidTraceContext() throws Exception {
        HttpSink<TestItem> none = builder().header(HttpHeaderSupplier.traceparent(Optional::empty)).build();
        none.apply(upsert("n1", base));
        HttpSink<TestItem> invalid = builder().header(HttpHeaderSupplier.traceparent(() -> Optional.of("00-zz-1-01"))).build();
        invalid.apply(upsert("n2", base));
        assertTrue(api.received().stream().noneMatch(r -> r.headers().containsKey("traceparent")),
                "no traceparent without a current, well-formed trace context");
    }

    @Test
    void deletesWithTheirOwnMethodAndUrlAndNoBody() throws Exception {
        HttpSink<TestItem> sink = builder().delete("POST", api.uri() + "/items/{id}/deletions/{version}").build();
        sink.apply(upsert("d1", base));
        Change<TestItem> delete = Change.<TestItem>builder().entityType("item").id("d1").version(base + 1)
                .operation(Operation.DELETE).correlationId("c").time(NOW).build();
        HttpSinkException e = failure(sink, delete, ErrorKind.PERMANENT);
        assertTrue(e.getMessage().contains("400") && e.getMessage().contains("JSON object"),
                "the fake treats a POST without a body as a malformed upsert, and the message carries its reason: "
                        + e.getMessage());
        assertEquals("/items/d1/deletions/" + (base + 1), api.received().get(1).path(), "the delete's URL template");
        HttpSink<TestItem> plain = builder().build();
        assertEquals(ApplyResult.APPLIED, plain.apply(delete), "a DELETE to the upsert's URL by default");
        assertTrue(api.isDeleted("d1"), "the API holds a tombstone");
        assertEquals("DELETE", api.received().get(2).method(), "default delete method");
    }

    @Test
    void idsAreEncodedAsOnePathSegment() throws Exception {
        HttpSink<TestItem> sink = builder().build();
        sink.apply(upsert("a b/c?d", base));
        assertEquals("/items/a%20b%2Fc%3Fd", api.received().get(0).path(), "the id must stay one path segment");
        assertTrue(api.version("a b/c?d").isPresent(), "the API decodes the same id");
    }

    @Test
    void conflictAndPreconditionFailedAreAlreadyCurrent() throws Exception {
        HttpSink<TestItem> sink = builder().build();
        sink.apply(upsert("c1", base + 5));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("c1", base + 4)), "409 for an older version");
        api.failNext(412, Map.of());
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("c1", base + 6)), "412 is ALREADY_CURRENT too");
        HttpSink<TestItem> strict = builder().alreadyCurrentStatuses(java.util.Set.of(412)).build();
        failure(strict, upsert("c1", base + 3), ErrorKind.PERMANENT);
    }

    @Test
    void retryableStatusesAreTransientWithRetryAfter() throws Exception {
        HttpSink<TestItem> sink = builder().build();
        for (int status : new int[] {408, 429, 500, 502, 503, 504}) {
            api.failNext(status, Map.of());
            HttpSinkException e = failure(sink, upsert("r1", base), ErrorKind.TRANSIENT);
            assertEquals(status, e.status().orElse(-1), "the status is kept");
            assertTrue(e.retryAfter().isEmpty(), "no Retry-After, no wait");
        }
        api.failNext(503, Map.of("Retry-After", "7"));
        assertEquals(Optional.of(Duration.ofSeconds(7)), failure(sink, upsert("r1", base), ErrorKind.TRANSIENT).retryAfter(),
                "Retry-After in seconds");
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(NOW.plusSeconds(90), ZoneOffset.UTC));
        api.failNext(429, Map.of("Retry-After", date));
        assertEquals(Optional.of(Duration.ofSeconds(90)), failure(sink, upsert("r1", base), ErrorKind.TRANSIENT).retryAfter(),
                "Retry-After as an HTTP date: " + date);
        api.failNext(503, Map.of("Retry-After", "soon"));
        assertTrue(failure(sink, upsert("r1", base), ErrorKind.TRANSIENT).retryAfter().isEmpty(), "an unreadable Retry-After is ignored");
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("r1", base)), "the same change goes through once the API recovers");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("r1", base)), "and again is a replay");
        assertEquals(1, api.applications("item/r1@" + base), "and is applied once");
    }

    @Test
    void otherClientErrorsArePermanent() throws Exception {
        HttpSink<TestItem> sink = builder().build();
        for (int status : new int[] {400, 401, 403, 404, 405, 422, 301}) {
            api.failNext(status, Map.of());
            HttpSinkException e = failure(sink, upsert("p1", base), ErrorKind.PERMANENT);
            assertTrue(e.getMessage().contains(Integer.toString(status)), "the message names the status: " + e.getMessage());
        }
        HttpSink<TestItem> broken = builder().bodyMapper(c -> Optional.of("{not json".getBytes(StandardCharsets.UTF_8))).build();
        HttpSinkException e = failure(broken, upsert("p2", base), ErrorKind.PERMANENT);
        assertTrue(e.getMessage().contains("400"), "a malformed body is refused with 400: " + e.getMessage());
        assertFalse(e.getMessage().contains("{not json"), "the message never carries the request body");
        HttpSink<TestItem> quiet = builder().errorExcerptChars(0).build();
        api.failNext(422, Map.of());
        HttpSinkException q = failure(quiet, upsert("p3", base), ErrorKind.PERMANENT);
        assertFalse(q.getMessage().contains("scripted"), "no excerpt of the reply when turned off: " + q.getMessage());
    }

    @Test
    void aTimeoutAfterSendingIsUnknownAndTheRedeliveryIsNotAppliedTwice() throws Exception {
        // a first call with a generous timeout opens the client's connection, so the timed-out call
        // below reuses it and is past connecting for sure, however slow the machine
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        assertEquals(ApplyResult.APPLIED, builder().httpClient(client).build().apply(upsert("warm", base)), "the warm-up call");
        HttpSink<TestItem> sink = builder().httpClient(client).requestTimeout(Duration.ofMillis(400)).build();
        api.delayNext(Duration.ofMillis(1500));
        Change<TestItem> change = upsert("t1", base);
        HttpSinkException e = failure(sink, change, ErrorKind.UNKNOWN_OUTCOME);
        assertTrue(e.getMessage().contains("may have been applied"), "the message says so: " + e.getMessage());
        assertEquals(1, api.applications(change.idempotencyKey()), "the API applied it although the reply was lost");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(change), "the redelivery with the same key gets the first answer, replayed");
        assertEquals(1, api.applications(change.idempotencyKey()), "and is not applied again");
        assertEquals(1, api.replays(), "the API replayed its first answer");
    }

    @Test
    void noConnectionIsTransient() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HttpSink<TestItem> sink = HttpSink.builder("item", TestItem.class).upsert("PUT", "http://127.0.0.1:" + port + "/items/{id}").build();
        HttpSinkException e = failure(sink, upsert("x", base), ErrorKind.TRANSIENT);
        assertTrue(e.getMessage().contains("could not connect"), e.getMessage());
    }

    @Test
    void aMalformedReplyIsAClearUnknownOutcome() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ExecutorService one = Executors.newSingleThreadExecutor();
            try {
                Future<?> replier = one.submit(() -> {
                    try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] buf = new byte[8192];
                        in.read(buf);
                        out.write("SMTP ready, not HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    return null;
                });
                HttpSink<TestItem> sink = HttpSink.builder("item", TestItem.class)
                        .upsert("PUT", "http://127.0.0.1:" + server.getLocalPort() + "/items/{id}").build();
                HttpSinkException e = failure(sink, upsert("m", base), ErrorKind.UNKNOWN_OUTCOME);
                assertTrue(e.getMessage().contains("malformed reply") && e.getMessage().contains("PUT http://127.0.0.1:"),
                        "the message names the request and the malformed reply: " + e.getMessage());
                replier.get();
            } finally {
                one.shutdownNow();
            }
        }
    }

    @Test
    void concurrentRedeliveriesOfOneChangeAreAppliedOnce() throws Exception {
        HttpSink<TestItem> sink = builder().build();
        Change<TestItem> change = upsert("k1", base);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ApplyResult>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                results.add(pool.submit(() -> sink.apply(change)));
            }
            int applied = 0;
            for (Future<ApplyResult> f : results) {
                applied += f.get() == ApplyResult.APPLIED ? 1 : 0;
            }
            assertEquals(1, applied, "one delivery is APPLIED, the 39 others get the replayed answer (ALREADY_CURRENT)");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, api.applications(change.idempotencyKey()), "40 deliveries of one key, applied once");
        assertEquals(39, api.replays(), "39 replays");
    }

    @Test
    void validateMapsTheChangeWithoutSendingIt() throws Exception {
        builder().build().validate(upsert("v1", base));
        HttpSink<TestItem> broken = builder().bodyMapper(c -> {
            throw new IllegalArgumentException("cannot map " + c.id());
        }).build();
        MappingException e = assertThrows(MappingException.class, () -> broken.validate(upsert("v2", base)),
                "a mapping failure must surface in validate");
        assertInstanceOf(IllegalArgumentException.class, e.getCause(), "what the mapper threw is the cause: " + e);
        assertEquals(ErrorKind.PERMANENT, broken.classifier().classify(e), "a mapping failure is PERMANENT");
        assertTrue(api.received().isEmpty(), "validate must never send a request");
    }

    @Test
    void requestBuildsTheRequestWithoutSendingAndFailsUnchecked() {
        HttpRequest request = builder().build().request(upsert("r1", base));
        assertEquals("PUT " + api.uri() + "/items/r1", request.method() + " " + request.uri(), "method and URL");
        assertEquals(Optional.of("item/r1@" + base), request.headers().firstValue("Idempotency-Key"), "its key");

        HttpSink<TestItem> unreadable = builder().bodyMapper(c -> {
            throw new java.io.IOException("no body for " + c.id());
        }).build();
        MappingException e = assertThrows(MappingException.class, () -> unreadable.request(upsert("r2", base)),
                "a checked failure of the mapper comes out as the library's unchecked mapping failure");
        assertInstanceOf(java.io.IOException.class, e.getCause(), "what the mapper threw is the cause: " + e);
        assertEquals(ErrorKind.PERMANENT, e.kind(), "mapping again fails again");
        HttpSink<TestItem> headless = builder().header(c -> {
            throw new IllegalStateException("no token");
        }).build();
        assertInstanceOf(IllegalStateException.class,
                assertThrows(MappingException.class, () -> headless.request(upsert("r3", base))).getCause(),
                "a header supplier's failure too");
        Change<TestItem> other = Change.<TestItem>builder().entityType("other").id("r4").version(base)
                .operation(Operation.UPSERT).state(TestItem.variant("r4", 1)).correlationId("c").time(NOW).build();
        assertThrows(IllegalArgumentException.class, () -> builder().build().request(other),
                "a change of another entity type is the caller's mistake");
        assertTrue(api.received().isEmpty(), "request never sends");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalStateException.class, () -> HttpSink.builder("item", TestItem.class).build(), "an upsert URL is required");
        assertThrows(IllegalArgumentException.class, () -> HttpSink.builder("item", TestItem.class).upsert("PUT", "/relative/{id}"), "absolute URLs only");
        assertThrows(IllegalArgumentException.class, () -> HttpSink.builder("item", TestItem.class).upsert("P U T", "http://h/{id}"), "a method is a token");
        assertThrows(IllegalArgumentException.class, () -> HttpSink.builder("item", TestItem.class).versionHeader("bad header"), "a header name is a token");
        assertThrows(IllegalArgumentException.class, () -> HttpSink.builder("item", TestItem.class).requestTimeout(Duration.ZERO), "a positive timeout");
        assertThrows(IllegalArgumentException.class, () -> HttpSink.builder("item", TestItem.class).alreadyCurrentStatuses(java.util.Set.of(200)), "4xx only");
        assertTrue(SinkException.class.isAssignableFrom(HttpSinkException.class), "failures are SinkExceptions");
    }
}
