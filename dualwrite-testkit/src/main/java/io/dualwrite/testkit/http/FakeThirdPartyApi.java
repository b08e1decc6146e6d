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
package io.dualwrite.testkit.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A real HTTP/1.1 server on 127.0.0.1 (the JDK's {@code com.sun.net.httpserver}) that behaves like
 * a demanding third-party API, for tests of HTTP sinks:
 * <ul>
 *   <li>{@code PUT} or {@code POST /<anything>/<id>} with a JSON object body stores the entity;
 *       {@code DELETE /<anything>/<id>} leaves a tombstone; the last path segment is the id;</li>
 *   <li>an upsert whose body breaks the {@link #accepting business rule} gets 422;</li>
 *   <li>every request must carry {@value #IDEMPOTENCY_KEY} and a numeric version header
 *       ({@value #DEFAULT_VERSION_HEADER} unless configured), and an upsert a JSON object body:
 *       otherwise 400;</li>
 *   <li>a request key seen before is never applied again: its first answer is replayed, marked
 *       with {@value #REPLAYED}{@code : true};</li>
 *   <li>a version not newer than the one held for the id gets 409;</li>
 *   <li>with the seeded fault rates set, some requests get 503 with {@code Retry-After}, and some
 *       are applied but answered only after a delay (a reply a short client timeout gives up on);
 *       single answers can be scripted with {@link #failNext} and {@link #delayNext}.</li>
 * </ul>
 * {@link #applications(String)} and {@link #keysAppliedMoreThanOnce()} prove that no request key
 * was applied twice. Thread-safe.
 */
public final class FakeThirdPartyApi implements AutoCloseable {
    /** The request-key header. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** The header by which the API marks an answer replayed for a request key it has seen. */
    public static final String REPLAYED = "Idempotent-Replayed";
    /** The version header unless another is configured. */
    public static final String DEFAULT_VERSION_HEADER = "X-Entity-Version";

    private static final Logger LOG = LoggerFactory.getLogger(FakeThirdPartyApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String versionHeader;
    private final Random random;
    private final long seed;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Answer> answered = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> applied = new ConcurrentHashMap<>();
    private final Deque<Scripted> script = new ArrayDeque<>();
    private final List<Received> received = new ArrayList<>();
    private final AtomicLong replays = new AtomicLong();
    private final AtomicLong injectedFailures = new AtomicLong();
    private final AtomicLong delayedReplies = new AtomicLong();
    private volatile double failureRate;
    private volatile double slowRate;
    private volatile Duration slowDelay = Duration.ofMillis(300);
    private volatile int retryAfterSeconds = 1;
    private volatile Predicate<JsonNode> acceptable = state -> true;

    private FakeThirdPartyApi(String versionHeader, long seed) throws IOException {
        this.versionHeader = versionHeader;
        this.seed = seed;
        this.random = new Random(seed);
        this.executor = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "fake-third-party-api");
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts a server with the default version header.
     *
     * @param seed the seed of the fault decisions (print it in a randomized test)
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public static FakeThirdPartyApi start(long seed) throws IOException {
        return start(DEFAULT_VERSION_HEADER, seed);
    }

    /**
     * @param versionHeader the header that carries the version
     * @param seed          the seed of the fault decisions
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public static FakeThirdPartyApi start(String versionHeader, long seed) throws IOException {
        return new FakeThirdPartyApi(Objects.requireNonNull(versionHeader, "versionHeader"), seed);
    }

    /** @return {@code http://127.0.0.1:<port>} */
    public URI uri() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    /** @return the seed of the fault decisions */
    public long seed() {
        return seed;
    }

    /**
     * @param rate share of requests (0 to 1) answered 503 with {@code Retry-After} before anything is applied
     * @return this
     */
    public FakeThirdPartyApi failureRate(double rate) {
        this.failureRate = checkRate(rate);
        return this;
    }

    /**
     * @param rate  share of requests (0 to 1) that are applied but answered only after {@code delay}
     * @param delay the delay
     * @return this
     */
    public FakeThirdPartyApi slowRate(double rate, Duration delay) {
        this.slowRate = checkRate(rate);
        this.slowDelay = Objects.requireNonNull(delay, "delay");
        return this;
    }

    /**
     * @param seconds the {@code Retry-After} of injected 503s; default 1
     * @return this
     */
    public FakeThirdPartyApi retryAfterSeconds(int seconds) {
        this.retryAfterSeconds = seconds;
        return this;
    }

    /**
     * @param rule the business rule an upsert's body must pass; a body that fails it gets 422 every time
     * @return this
     */
    public FakeThirdPartyApi accepting(Predicate<JsonNode> rule) {
        this.acceptable = Objects.requireNonNull(rule, "rule");
        return this;
    }

    /**
     * Answers the next request with a status and headers, without applying it.
     *
     * @param status  the status
     * @param headers headers of the answer
     */
    public void failNext(int status, Map<String, String> headers) {
        synchronized (script) {
            script.add(new Scripted(status, Map.copyOf(headers), null));
        }
    }

    /**
     * Applies the next request normally but answers it only after a delay.
     *
     * @param delay the delay
     */
    public void delayNext(Duration delay) {
        synchronized (script) {
            script.add(new Scripted(0, Map.of(), Objects.requireNonNull(delay, "delay")));
        }
    }

    /**
     * @param id an entity id
     * @return the version held for it, tombstones included
     */
    public OptionalLong version(String id) {
        Held h = held.get(id);
        return h == null ? OptionalLong.empty() : OptionalLong.of(h.version);
    }

    /**
     * @param id an entity id
     * @return the live state held for it, empty when absent or deleted
     */
    public Optional<JsonNode> state(String id) {
        Held h = held.get(id);
        return h == null ? Optional.empty() : Optional.ofNullable(h.state);
    }

    /**
     * @param id an entity id
     * @return true when it holds a tombstone for it
     */
    public boolean isDeleted(String id) {
        Held h = held.get(id);
        return h != null && h.state == null;
    }

    /** @return live entities' versions by id, sorted by id */
    public Map<String, Long> liveVersions() {
        Map<String, Long> out = new TreeMap<>();
        held.forEach((id, h) -> {
            if (h.state != null) {
                out.put(id, h.version);
            }
        });
        return out;
    }

    /**
     * @param key a request key
     * @return how many times a request with that key changed what the API holds (0 or 1 for a correct client)
     */
    public int applications(String key) {
        AtomicInteger n = applied.get(key);
        return n == null ? 0 : n.get();
    }

    /** @return the request keys applied more than once; empty is the proof that none was */
    public List<String> keysAppliedMoreThanOnce() {
        List<String> out = new ArrayList<>();
        applied.forEach((k, n) -> {
            if (n.get() > 1) {
                out.add(k);
            }
        });
        return out;
    }

    /** @return request keys applied at least once */
    public int appliedKeys() {
        return applied.size();
    }

    /** @return repeats of a known request key that got the first answer again */
    public long replays() {
        return replays.get();
    }

    /** @return requests answered 503 by the failure rate or a script */
    public long injectedFailures() {
        return injectedFailures.get();
    }

    /** @return requests applied and answered late */
    public long delayedReplies() {
        return delayedReplies.get();
    }

    /** @return every request received so far, oldest first */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ the API

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Headers h = exchange.getRequestHeaders();
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            String id = URLDecoder.decode(path.substring(path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
            String key = h.getFirst(IDEMPOTENCY_KEY);
            String versionText = h.getFirst(versionHeader);
            synchronized (received) {
                received.add(new Received(method, path, id, key, versionText, flatten(h)));
            }
            Scripted next;
            synchronized (script) {
                next = script.poll();
            }
            if (next != null && next.delay == null) {
                injectedFailures.incrementAndGet();
                next.headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
                reply(exchange, next.status, "{\"error\":\"scripted\"}");
                return;
            }
            boolean fail;
            boolean slow;
            synchronized (random) {
                fail = random.nextDouble() < failureRate;
                slow = random.nextDouble() < slowRate;
            }
            if (fail) {
                injectedFailures.incrementAndGet();
                exchange.getResponseHeaders().set("Retry-After", Integer.toString(retryAfterSeconds));
                reply(exchange, 503, "{\"error\":\"overloaded, try later\"}");
                return;
            }
            Answer answer = process(method, id, key, versionText, body);
            if (answer.replayed) {
                exchange.getResponseHeaders().set(REPLAYED, "true");
            }
            if (next != null || slow) {
                delayedReplies.incrementAndGet();
                sleep(next != null ? next.delay : slowDelay);
            }
            reply(exchange, answer.status, answer.body);
        } catch (RuntimeException e) {
            LOG.warn("fake API failed to handle a request: {}", e.toString());
        }
    }

    private Answer process(String method, String id, String key, String versionText, byte[] body) {
        boolean delete = "DELETE".equals(method);
        if (!delete && !"PUT".equals(method) && !"POST".equals(method)) {
            return new Answer(405, "{\"error\":\"method not allowed\"}");
        }
        if (key == null || key.isBlank()) {
            return new Answer(400, "{\"error\":\"Idempotency-Key is required\"}");
        }
        long version;
        try {
            version = Long.parseLong(String.valueOf(versionText));
        } catch (NumberFormatException e) {
            return new Answer(400, "{\"error\":\"" + versionHeader + " must be a number\"}");
        }
        JsonNode state = null;
        if (!delete) {
            try {
                state = JSON.readTree(body);
            } catch (IOException e) {
                state = null;
            }
            if (state == null || !state.isObject()) {
                return new Answer(400, "{\"error\":\"the body must be a JSON object\"}");
            }
            if (!acceptable.test(state)) {
                return new Answer(422, "{\"error\":\"the entity breaks a business rule\"}");
            }
        }
        synchronized (locks.computeIfAbsent(id, k -> new Object())) {
            Answer first = answered.get(key);
            if (first != null) {
                replays.incrementAndGet();
                return new Answer(first.status, first.body, true);
            }
            Held current = held.get(id);
            Answer answer;
            if (current != null && current.version >= version) {
                answer = new Answer(409, "{\"error\":\"stale version\",\"current\":" + current.version + "}");
            } else {
                held.put(id, new Held(version, state));
                applied.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                answer = delete ? new Answer(204, "") : new Answer(200, "{\"id\":" + JSON.valueToTree(id) + ",\"version\":" + version + "}");
            }
            answered.put(key, answer);
            return answer;
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static Map<String, String> flatten(Headers headers) {
        Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> out.put(k, v.isEmpty() ? "" : v.get(0)));
        return out;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double checkRate(double rate) {
        if (rate < 0 || rate > 1) {
            throw new IllegalArgumentException("a rate is between 0 and 1, was " + rate);
        }
        return rate;
    }

    /**
     * One request as the API received it. Immutable.
     *
     * @param method         the method
     * @param path           the raw path
     * @param id             the entity id (the decoded last path segment)
     * @param idempotencyKey the request key, or null
     * @param version        the version header's value, or null
     * @param headers        the first value of every header, names case-insensitive
     */
    public record Received(String method, String path, String id, String idempotencyKey, String version,
                           Map<String, String> headers) {
    }

    private record Held(long version, JsonNode state) {
    }

    private record Answer(int status, String body, boolean replayed) {
        Answer(int status, String body) {
            this(status, body, false);
        }
    }

    private record Scripted(int status, Map<String, String> headers, Duration delay) {
    }
}
