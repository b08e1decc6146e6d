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

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.testkit.TestItem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The HTTP sink under faults, with real HTTP servers in the test JVM (the JDK's HttpServer, and a raw socket server for
 * replies the JDK server cannot produce). Each test asserts what docs/sinks-redis-jdbc-http.md documents.
 */
class HttpSinkFaultsTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private final long base = Versions.firstVersion(NOW);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ fixtures

    /** What the scripted JDK server saw of one request. */
    record Seen(String method, String path, Map<String, String> headers, byte[] body) {
    }

    /** A real HTTP server (com.sun.net.httpserver) answering each request by a script. */
    private final class Scripted {
        final HttpServer server;
        final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();

        Scripted(BiFunction<HttpExchange, Seen, Integer> script) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ExecutorService pool = Executors.newCachedThreadPool();
            server.setExecutor(pool);
            server.createContext("/", ex -> {
                try {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    Map<String, String> headers = new ConcurrentHashMap<>();
                    ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
                    Seen s = new Seen(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), headers, body);
                    seen.add(s);
                    script.apply(ex, s);
                } finally {
                    ex.close();
                }
            });
            server.start();
            closeables.add(() -> {
                server.stop(0);
                pool.shutdownNow();
            });
        }

        String url(String pathTemplate) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + pathTemplate;
        }
    }

    private static void reply(HttpExchange ex, int status, Map<String, String> headers, byte[] body) {
        try {
            headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (IOException e) {
            // the client went away: nothing to do
        }
    }

    /**
     * A raw HTTP/1.1 server: reads each request (head and Content-Length body) on a kept-alive connection and writes
     * whatever bytes the script returns; a null answer resets the connection (RST) after the request was read.
     */
    private final class Raw {
        final ServerSocket server;
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger connections = new AtomicInteger();

        Raw(BiFunction<Integer, String, byte[]> script) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            ExecutorService pool = Executors.newCachedThreadPool();
            pool.submit(() -> {
                while (!server.isClosed()) {
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (IOException closed) {
                        return null;
                    }
                    connections.incrementAndGet();
                    pool.submit(() -> serve(s, script));
                }
                return null;
            });
            closeables.add(() -> {
                server.close();
                pool.shutdownNow();
            });
        }

        private Object serve(Socket s, BiFunction<Integer, String, byte[]> script) throws IOException {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        return null;
                    }
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).strip());
                        }
                    }
                    in.readNBytes(length);
                    byte[] answer = script.apply(requests.incrementAndGet(), head);
                    if (answer == null) {
                        s.setSoLinger(true, 0);
                        return null; // closing now sends a RST
                    }
                    out.write(answer);
                    out.flush();
                }
            }
        }

        private String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        String url(String pathTemplate) {
            return "http://127.0.0.1:" + server.getLocalPort() + pathTemplate;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private HttpSink.Builder<TestItem> sink(String urlTemplate) {
        return HttpSink.builder("item", TestItem.class).upsert("PUT", urlTemplate).clock(Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, (int) (version - base))).correlationId("corr-" + id + "-" + version)
                .time(NOW).build();
    }

    private Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType("item").id(id).version(version).operation(Operation.DELETE)
                .correlationId("corr-del-" + id).time(NOW).build();
    }

    private static HttpSinkException failure(HttpSink<TestItem> sink, Change<TestItem> change, ErrorKind kind) {
        HttpSinkException e = assertThrows(HttpSinkException.class, () -> sink.apply(change), "the call must fail");
        assertEquals(kind, e.kind(), "kind of: " + e.getMessage());
        assertEquals(kind, sink.classifier().classify(e), "the classifier honours the kind");
        return e;
    }

    // ------------------------------------------------------------------ status classification

    /** The documented status table: 2xx, replayed 2xx, 409/412, 304 and other 3xx, 408/429/5xx, other 4xx. */
    @Test
    void everyDocumentedStatusIsClassifiedAsDocumented() throws Exception {
        AtomicInteger next = new AtomicInteger();
        Map<String, String> extra = new ConcurrentHashMap<>();
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, next.get(), Map.copyOf(extra), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        for (int status : new int[] {200, 201, 202, 204, 206}) {
            next.set(status);
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("s", base)), status + " is APPLIED");
        }
        next.set(200);
        extra.put("Idempotent-Replayed", "TRUE");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("s", base)), "a replayed 2xx is ALREADY_CURRENT");
        extra.clear();
        for (int status : new int[] {409, 412}) {
            next.set(status);
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("s", base)), status + " is ALREADY_CURRENT");
        }
        for (int status : new int[] {408, 429, 500, 502, 503, 504, 599}) {
            next.set(status);
            assertEquals(status, failure(sink, upsert("s", base), ErrorKind.TRANSIENT).status().orElse(-1));
        }
        for (int status : new int[] {304, 300, 400, 401, 403, 404, 405, 410, 413, 415, 422, 451}) {
            next.set(status);
            assertEquals(status, failure(sink, upsert("s", base), ErrorKind.PERMANENT).status().orElse(-1),
                    "other 3xx/4xx are PERMANENT (304 included: it is not in alreadyCurrentStatuses)");
        }
    }

    @Test
    void retryAfterInSecondsAndAsImfFixdateIsTheWait() throws Exception {
        AtomicInteger status = new AtomicInteger(503);
        Map<String, String> headers = new ConcurrentHashMap<>();
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, status.get(), Map.copyOf(headers), ascii("busy"));
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        headers.put("Retry-After", " 120 ");
        assertEquals(Duration.ofSeconds(120), failure(sink, upsert("r", base), ErrorKind.TRANSIENT).retryAfter().orElseThrow());
        status.set(429);
        headers.put("Retry-After", "Mon, 07 Dec 2026 12:00:45 GMT");
        assertEquals(Duration.ofSeconds(45), failure(sink, upsert("r", base), ErrorKind.TRANSIENT).retryAfter().orElseThrow());
        status.set(408);
        headers.put("Retry-After", "Mon, 07 Dec 2026 11:00:00 GMT");
        assertEquals(Duration.ZERO, failure(sink, upsert("r", base), ErrorKind.TRANSIENT).retryAfter().orElseThrow(),
                "a date in the past is no wait");
        headers.put("Retry-After", "99999999999999999999999");
        assertTrue(failure(sink, upsert("r", base), ErrorKind.TRANSIENT).retryAfter().isEmpty(), "an overflow is ignored");
    }

    /**
     * RFC 9110 section 5.6.7: an HTTP-date has three forms, IMF-fixdate and the obsolete RFC 850 and asctime forms,
     * and "recipients of timestamp values are encouraged to be robust" / "a recipient that parses a timestamp value in
     * an HTTP field MUST accept all three HTTP-date formats". The docs say Retry-After "as an HTTP date" is honoured.
     */
    @Test
    void retryAfterInTheObsoleteHttpDateFormsIsTheWaitToo() throws Exception {
        Map<String, String> headers = new ConcurrentHashMap<>();
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 503, Map.copyOf(headers), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        Map<String, java.util.Optional<Duration>> got = new java.util.LinkedHashMap<>();
        for (String date : new String[] {"Monday, 07-Dec-26 12:00:30 GMT", "Mon Dec  7 12:00:30 2026"}) { // RFC 850, asctime
            headers.put("Retry-After", date);
            got.put(date, failure(sink, upsert("o", base), ErrorKind.TRANSIENT).retryAfter());
        }
        assertEquals(Map.of("Monday, 07-Dec-26 12:00:30 GMT", java.util.Optional.of(Duration.ofSeconds(30)),
                "Mon Dec  7 12:00:30 2026", java.util.Optional.of(Duration.ofSeconds(30))), got,
                "both obsolete HTTP-date forms are a 30 s wait");
    }

    // ------------------------------------------------------------------ malformed, huge, interim replies

    /**
     * A 103 Early Hints before the final 200 is an interim answer: the change is APPLIED, and the next request on the
     * same kept-alive connection must read its own answer (500), not a left-over of the first.
     */
    @Test
    void anInterimReplyIsNotTheFinalAnswerAndDoesNotDesyncTheConnection() throws Exception {
        Raw raw = new Raw((n, head) -> n == 1
                ? ascii("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                : ascii("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"));
        HttpSink<TestItem> sink = sink(raw.url("/items/{id}")).requestTimeout(Duration.ofSeconds(3)).build();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("e", base)), "103 then 200 is APPLIED");
        HttpSinkException e = failure(sink, upsert("f", base), ErrorKind.TRANSIENT);
        assertEquals(500, e.status().orElse(-1), "the second request reads its own answer");
    }

    /** Not HTTP, a status line without a code, and a code outside 100-599 are malformed replies: UNKNOWN_OUTCOME. */
    @Test
    void malformedStatusLinesAreUnknownOutcome() throws Exception {
        String[] replies = {
                "HTTP/1.1 abc Broken\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 099 Below\r\nContent-Length: 0\r\n\r\n",
        };
        List<String> wrong = new ArrayList<>();
        for (String r : replies) {
            Raw raw = new Raw((n, head) -> ascii(r));
            HttpSink<TestItem> sink = sink(raw.url("/items/{id}")).requestTimeout(Duration.ofSeconds(3)).build();
            try {
                ApplyResult result = sink.apply(upsert("mal", base));
                wrong.add(r.substring(0, r.indexOf('\r')) + " -> " + result);
            } catch (HttpSinkException e) {
                if (e.kind() != ErrorKind.UNKNOWN_OUTCOME) {
                    wrong.add(r.substring(0, r.indexOf('\r')) + " -> " + e.kind() + " (" + e.getMessage() + ")");
                }
            }
        }
        assertEquals(List.of(), wrong, "a malformed reply may have followed an applied request: UNKNOWN_OUTCOME");
    }

    @Test
    void hugeRepliesAreReadUpToTheCapAndTheStatusDecides() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        AtomicInteger status = new AtomicInteger(200);
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, status.get(), Map.of("X-Filler", "y".repeat(8000)), big);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).requestTimeout(Duration.ofSeconds(5)).build();
        long t0 = System.nanoTime();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("big", base)), "a 200 with a 3 MiB body is APPLIED");
        status.set(503);
        HttpSinkException e = failure(sink, upsert("big", base), ErrorKind.TRANSIENT);
        assertTrue(e.getMessage().length() < 2000, "only an excerpt is kept: " + e.getMessage().length());
        status.set(422);
        failure(sink, upsert("big", base), ErrorKind.PERMANENT);
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(15)) < 0, "within the limits");
    }

    // ------------------------------------------------------------------ time limit and lost replies

    @Test
    void aReplyThatNeverComesIsUnknownOutcomeWithinTheLimit() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            try {
                Thread.sleep(20_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).requestTimeout(Duration.ofMillis(800)).build();
        long t0 = System.nanoTime();
        HttpSinkException e = failure(sink, upsert("slow", base), ErrorKind.UNKNOWN_OUTCOME);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofMillis(800 + 250 + 1500)) < 0, "bounded by the request timeout: " + took);
        assertEquals(1, api.seen.size(), "the request had reached the server: " + e.getMessage());
    }

    @Test
    void aConnectionResetAfterTheRequestWasReadIsUnknownOutcome() throws Exception {
        Raw raw = new Raw((n, head) -> null);
        HttpSink<TestItem> sink = sink(raw.url("/items/{id}")).requestTimeout(Duration.ofSeconds(3)).build();
        HttpSinkException e = failure(sink, upsert("rst", base), ErrorKind.UNKNOWN_OUTCOME);
        assertTrue(e.getMessage().contains("may have been applied"), e.getMessage());
        assertTrue(raw.requests.get() >= 1, "the server had read the request");
        HttpSinkException d = failure(sink, delete("rst", base + 1), ErrorKind.UNKNOWN_OUTCOME);
        assertNotNull(d);
    }

    // ------------------------------------------------------------------ redirects

    @Test
    void redirectsAreNeitherFollowedNorSuccess() throws Exception {
        AtomicInteger status = new AtomicInteger();
        Scripted[] holder = new Scripted[1];
        Scripted api = new Scripted((ex, s) -> {
            if (s.path().startsWith("/elsewhere")) {
                reply(ex, 200, Map.of(), new byte[0]);
            } else {
                reply(ex, status.get(), Map.of("Location", holder[0].url("/elsewhere" + s.path())), new byte[0]);
            }
            return 0;
        });
        holder[0] = api;
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        for (int s : new int[] {301, 302, 303, 307, 308}) {
            status.set(s);
            failure(sink, upsert("redir", base), ErrorKind.PERMANENT);
        }
        assertTrue(api.seen.stream().noneMatch(s -> s.path().startsWith("/elsewhere")), "no redirect is followed");
    }

    // ------------------------------------------------------------------ an API that does not guard versions

    /**
     * The docs put the version guard on the API ("refuse an older version with 409 or 412"). An API that answers 200
     * to a stale version is reported APPLIED: the sink has no way to know. This pins that documented limit.
     */
    @Test
    void anApiThatAnswers200ToAStaleVersionIsReportedApplied() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("st", base + 5)));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("st", base + 4)),
                "the sink cannot tell; the stale version reached the API with its version header");
        List<Seen> seen = new ArrayList<>(api.seen);
        assertEquals(Long.toString(base + 4), seen.get(1).headers().get("x-entity-version"));
    }

    // ------------------------------------------------------------------ headers

    @Test
    void everyRequestCarriesKeyVersionAndCorrelation() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 204, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        sink.apply(upsert("h", base));
        sink.apply(upsert("h", base));
        sink.apply(delete("h", base + 1));
        List<Seen> seen = new ArrayList<>(api.seen);
        assertEquals(3, seen.size());
        for (int i = 0; i < 2; i++) {
            assertEquals("item/h@" + base, seen.get(i).headers().get("idempotency-key"), "the same key on a redelivery");
            assertEquals(Long.toString(base), seen.get(i).headers().get("x-entity-version"));
            assertEquals("corr-h-" + base, seen.get(i).headers().get("x-correlation-id"));
            assertEquals("application/json", seen.get(i).headers().get("content-type"));
        }
        Seen del = seen.get(2);
        assertEquals("DELETE", del.method());
        assertEquals("item/h@" + (base + 1), del.headers().get("idempotency-key"));
        assertEquals(Long.toString(base + 1), del.headers().get("x-entity-version"));
        assertEquals("corr-del-h", del.headers().get("x-correlation-id"));
        assertEquals(0, del.body().length, "no body for a delete");
    }

    /**
     * The docs' header table: Idempotency-Key is "the change's idempotency key ... the same on every redelivery" and
     * the version header is the version; header suppliers add "anything else". A supplier that also names one of the
     * sink's own headers (an HTTP client library's generic Idempotency-Key generator, say) must not change them.
     */
    @Test
    void aHeaderSupplierCannotReplaceTheKeyOrTheVersion() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        AtomicInteger calls = new AtomicInteger();
        HttpSink<TestItem> sink = sink(api.url("/items/{id}"))
                .header(c -> Map.of("Idempotency-Key", "generated-" + calls.incrementAndGet(),
                        "X-Entity-Version", "0"))
                .build();
        sink.apply(upsert("g", base));
        sink.apply(upsert("g", base)); // a redelivery
        List<Seen> seen = new ArrayList<>(api.seen);
        assertEquals("item/g@" + base, seen.get(0).headers().get("idempotency-key"), "the change's key is sent");
        assertEquals(seen.get(0).headers().get("idempotency-key"), seen.get(1).headers().get("idempotency-key"),
                "the same key on every redelivery");
        assertEquals(Long.toString(base), seen.get(0).headers().get("x-entity-version"), "the change's version is sent");
    }

    /**
     * The URL template percent-encodes any id ("an id with / or ? cannot change the URL's shape"), so an entity whose
     * id is not Latin-1 (Japanese, Greek, an emoji) has a valid request. Its idempotency key `item/<id>@<version>` goes
     * into a header as it is; the JDK refuses header values above U+00FF, which makes every change of such an entity
     * a mapping failure: dead-lettered PERMANENT, never delivered.
     */
    @Test
    void anEntityWhoseIdIsNotLatin1IsDelivered() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        String id = "商品-42";
        ApplyResult result;
        try {
            result = sink.apply(upsert(id, base));
        } catch (Exception e) {
            fail("an entity with id " + id + " cannot be delivered: " + e + " (kind "
                    + sink.classifier().classify(e) + ", cause " + e.getCause() + ")");
            return;
        }
        assertEquals(ApplyResult.APPLIED, result);
        Seen s = api.seen.peek();
        assertEquals("/items/" + id, URLDecoder.decode(s.path(), StandardCharsets.UTF_8), "the id is the path segment");
        assertFalse(s.headers().getOrDefault("idempotency-key", "").isEmpty(), "a key is sent");
    }

    /** A correlation id given by the caller travels in a header; one outside Latin-1 must not make the change poison. */
    @Test
    void aCorrelationIdOutsideLatin1DoesNotDeadLetterTheChange() throws Exception {
        Scripted api = new Scripted((ex, s) -> {
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        Change<TestItem> change = Change.<TestItem>builder().entityType("item").id("c1").version(base)
                .operation(Operation.UPSERT).state(TestItem.variant("c1", 1)).correlationId("請求-7").time(NOW).build();
        try {
            assertEquals(ApplyResult.APPLIED, sink.apply(change));
        } catch (Exception e) {
            fail("a change whose correlation id is not Latin-1 cannot be delivered: " + e + " (kind "
                    + sink.classifier().classify(e) + ")");
        }
    }

    /**
     * What a header carries byte for byte goes as it is, so keys that were sent before keep their form (a space
     * inside, a {@code %}); a value with a control character or one above U+007E (which the JDK's client would send
     * as {@code ?}) is percent-encoded, its {@code %} and spaces too, the same way every time.
     */
    @Test
    void aHeaderValueIsEncodedOnlyWhenAHeaderCannotCarryIt() {
        assertEquals("item/caf%C3%A9@1", HttpSink.headerValue("item/café@1"));
        assertEquals("item/50% off@2", HttpSink.headerValue("item/50% off@2"));
        assertEquals("item/%E5%95%86%E5%93%81-42@17", HttpSink.headerValue("item/商品-42@17"));
        assertEquals("a%25%20b%0A%E2%82%AC", HttpSink.headerValue("a% b\n€"));
        assertEquals(HttpSink.headerValue("x\u2028y"), HttpSink.headerValue("x\u2028y"));
        assertEquals("a%2fb", HttpSink.headerValue("a%2fb"));
    }

    /**
     * The header is what the API deduplicates by, so two different keys must never reach it as the same one: not a
     * value that reads as an escape of the encoding beside the value it would decode to, not two lone surrogates
     * (which UTF-8 alone turns into the same {@code ?}), and not two values that differ in spaces or tabs at either
     * end (which the recipient strips). Checked on the cases by name, then on random values.
     */
    @Test
    void twoDifferentKeysNeverShareAHeader() {
        assertEquals("x%25C4%2580", HttpSink.headerValue("x%C4%80"));
        assertEquals("x%C4%80", HttpSink.headerValue("x\u0100"));
        assertEquals("a%uD800", HttpSink.headerValue("a\uD800"));
        assertEquals("a%uDC00b", HttpSink.headerValue("a\uDC00b"));
        assertEquals("a%25uD800", HttpSink.headerValue("a%uD800"));
        assertEquals("%F0%9F%98%80", HttpSink.headerValue("\uD83D\uDE00"));
        long seed = System.nanoTime();
        System.out.println("twoDifferentKeysNeverShareAHeader seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        char[] alphabet = {'a', 'u', 'C', '4', '0', 'F', '%', '?', ' ', '\n', '\t', '\u00e9', '\u0100', '\u20ac',
                '\uD800', '\uDBFF', '\uDC00', '\uDE00', '\uD83D', '\u007f'};
        Map<String, String> byHeader = new java.util.HashMap<>();
        for (int n = 0; n < 200_000; n++) {
            char[] value = new char[random.nextInt(7)];
            for (int i = 0; i < value.length; i++) {
                value[i] = alphabet[random.nextInt(alphabet.length)];
            }
            String v = new String(value);
            String header = HttpSink.headerValue(v);
            assertTrue(header.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7F)),
                    "not a header value the client sends byte for byte: " + header + " (seed " + seed + ")");
            // a recipient strips spaces and tabs at either end of a field value (RFC 9110, 5.5)
            header = header.replaceAll("^[ \t]+|[ \t]+$", "");
            String other = byHeader.putIfAbsent(header, v);
            if (other != null && !other.equals(v)) {
                fail("two keys share the header " + header + ": " + escaped(other) + " and " + escaped(v)
                        + " (seed " + seed + ")");
            }
        }
    }

    /** A change of entity {@code e} whose idempotency key is {@code key}. */
    private Change<TestItem> keyed(String key) {
        return Change.<TestItem>builder().entityType("item").id("e").version(base).operation(Operation.UPSERT)
                .state(TestItem.variant("e", 1)).idempotencyKey(key).correlationId("corr").time(NOW).build();
    }

    /**
     * End to end: two different Latin-1 keys (U+00E9, U+00E8) must still differ in the bytes on the wire (the JDK's
     * client writes a character above U+007E as {@code ?}).
     */
    @Test
    void twoLatin1KeysReachTheWireAsDifferentBytes() throws Exception {
        List<String> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
        Raw raw = new Raw((n, head) -> {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("idempotency-key:")) {
                    keys.add(line.substring("idempotency-key:".length()).strip());
                }
            }
            return ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        });
        HttpSink<TestItem> sink = sink(raw.url("/items/{id}")).build();
        sink.apply(keyed("item/caf\u00e9@1"));
        sink.apply(keyed("item/caf\u00e8@1"));
        assertEquals(2, keys.size(), "requests seen: " + keys);
        assertNotEquals(keys.get(0), keys.get(1), "two different Latin-1 keys reached the wire as the same"
                + " Idempotency-Key bytes '" + keys.get(0) + "'");
    }

    /**
     * A recipient strips spaces and tabs at either end of a field value (RFC 9110, 5.5), so keys that differ only
     * there must not go as they are: checked on the values, then end to end through a real server.
     */
    @Test
    void keysDifferingOnlyInSpacesOrTabsAtEitherEndReachTheApiAsTwoKeys() throws Exception {
        String[][] pairs = {{"order-1", "order-1 "}, {"order-1", "order-1\t"}, {"order-1", " order-1"},
                {"order-1 ", "order-1  "}};
        for (String[] p : pairs) {
            String a = HttpSink.headerValue(p[0]).strip();
            String b = HttpSink.headerValue(p[1]).strip();
            assertNotEquals(a, b, "'" + p[0] + "' and '" + p[1] + "' reach the API as the same field value '" + a + "'");
        }
        Scripted api = new Scripted((ex, seen) -> {
            reply(ex, 200, Map.of(), new byte[0]);
            return 0;
        });
        HttpSink<TestItem> sink = sink(api.url("/items/{id}")).build();
        sink.apply(keyed("order-1"));
        sink.apply(keyed("order-1 "));
        List<String> got = api.seen.stream().map(seen -> seen.headers().get("idempotency-key")).toList();
        assertEquals(2, got.size(), "requests seen: " + got);
        assertNotEquals(got.get(0), got.get(1), "two different keys reached the API as the same Idempotency-Key '"
                + got.get(0) + "'");
    }

    private static String escaped(String v) {
        StringBuilder b = new StringBuilder();
        v.chars().forEach(c -> b.append(c >= 0x21 && c < 0x7F ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return b.toString();
    }

}
