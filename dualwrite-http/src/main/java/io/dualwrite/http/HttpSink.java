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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;
import io.dualwrite.http.internal.ReplyBody;
import io.dualwrite.http.internal.RetryAfter;
import io.dualwrite.http.internal.UriTemplate;
import io.dualwrite.internal.Args;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.MappingSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls a third-party HTTP API for each change, with the JDK's {@link HttpClient}.
 *
 * <p>Each change is one request: the method and URL template of its operation (placeholders
 * {@code {type}}, {@code {id}}, {@code {version}}), a body from the {@link HttpBodyMapper} (the
 * entity as JSON by default; none for a delete), and the headers {@value #IDEMPOTENCY_KEY} (the
 * change's idempotency key, the same on every redelivery), the version
 * ({@value #DEFAULT_VERSION_HEADER} by default), the correlation id
 * ({@value #DEFAULT_CORRELATION_HEADER} by default) and whatever the {@link HttpHeaderSupplier}s add
 * (a W3C {@code traceparent}, authentication).
 *
 * <p><b>Mapping, then I/O.</b> {@link #map} is the mapping step, without I/O: it expands the URL
 * template, runs the {@link HttpBodyMapper} and the {@link HttpHeaderSupplier}s and builds the
 * request. A failure there is the entity's own: the coordinator dead-letters it at once as
 * {@link ErrorKind#PERMANENT}, never retries it and never counts it against the sink's circuit
 * breaker. {@link #send} is the I/O: one exchange within one deadline, as below; a batch
 * ({@link #sendAll}) sends its requests one after the other, each with its own deadline.
 *
 * <p>The reply's status decides the outcome:
 * <table>
 *   <caption>status handling</caption>
 *   <tr><th>reply</th><th>outcome</th></tr>
 *   <tr><td>2xx</td><td>{@link ApplyResult#APPLIED}</td></tr>
 *   <tr><td>2xx marked {@code Idempotent-Replayed: true} (a replayed answer)</td><td>{@link ApplyResult#ALREADY_CURRENT}</td></tr>
 *   <tr><td>409, 412 (the API holds this version or a newer one)</td><td>{@link ApplyResult#ALREADY_CURRENT}</td></tr>
 *   <tr><td>408, 429, 5xx</td><td>{@link ErrorKind#TRANSIENT}, with the {@code Retry-After} wait</td></tr>
 *   <tr><td>other 1xx, 3xx and 4xx</td><td>{@link ErrorKind#PERMANENT}</td></tr>
 *   <tr><td>no connection, connect timeout</td><td>{@link ErrorKind#TRANSIENT}</td></tr>
 *   <tr><td>no whole reply (headers and body) within the request timeout after sending; broken,
 *       cut-off or malformed reply (a status outside 100–599 included)</td><td>{@link ErrorKind#UNKNOWN_OUTCOME}</td></tr>
 * </table>
 *
 * <p>Each request has one deadline, {@link Builder#requestTimeout} from the call to {@link #send}, for the whole
 * exchange: connecting, sending, the reply's headers and its whole body. The sink enforces it
 * itself (the JDK client's own request timeout stops at the headers): on expiry the exchange is
 * cancelled, its connection closed rather than pooled, and the call fails at once (when not even
 * the reply's headers came, after at most 250 ms more in which the client tells a request that was
 * sent from a connection that never opened), so a server that stalls or trickles its reply cannot
 * hold the calling thread. A reply's body is read up to
 * {@value #MAX_REPLY_BODY_BYTES} bytes and only the start of an error reply is kept.
 *
 * <p>Failures are {@link HttpSinkException}s; their message holds the method, the URL, the status and
 * the start of the error reply ({@link Builder#errorExcerptChars}), never the request body. The sink is only as safe as the API: it must apply a
 * request key at most once (replaying the first answer to a repeat) and refuse a version older
 * than the one it holds with 409 or 412; see the documentation page of the HTTP sink.
 *
 * <pre>{@code
 * HttpSink<Product> sink = HttpSink.builder("product", Product.class)
 *         .upsert("PUT", "https://api.example.com/products/{id}")
 *         .delete("DELETE", "https://api.example.com/products/{id}")
 *         .header(HttpHeaderSupplier.fixed("Authorization", "Bearer " + token))
 *         .build();
 * }</pre>
 *
 * Thread-safe ({@link HttpClient} is).
 *
 * @param <T> the entity type
 */
public final class HttpSink<T> implements MappingSink<T, HttpRequest> {
    /** The header carrying the change's idempotency key. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Default header by which the API marks an answer replayed for a request key it has seen. */
    public static final String DEFAULT_REPLAYED_HEADER = "Idempotent-Replayed";
    /** Default header carrying the version. */
    public static final String DEFAULT_VERSION_HEADER = "X-Entity-Version";
    /** Default header carrying the correlation id. */
    public static final String DEFAULT_CORRELATION_HEADER = "X-Correlation-Id";
    /** Default method of an upsert. */
    public static final String DEFAULT_UPSERT_METHOD = "PUT";
    /** Default method of a delete. */
    public static final String DEFAULT_DELETE_METHOD = "DELETE";
    /**
     * Default time a whole exchange may take: connecting, sending, the reply's headers and its body.
     */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Default time to open a connection (for the default client). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default statuses meaning "the API already holds this version or a newer one". */
    public static final Set<Integer> DEFAULT_ALREADY_CURRENT_STATUSES = Set.of(409, 412);
    /** Default characters of an error reply kept in the exception's message. */
    public static final int DEFAULT_ERROR_EXCERPT_CHARS = 300;
    /**
     * Most bytes of a reply's body read (1 MiB). Only the start of an error reply is kept; a longer
     * body is not read to its end and its connection is closed, and the status decides the outcome.
     */
    public static final int MAX_REPLY_BODY_BYTES = 1 << 20;
    /**
     * When not even the reply's headers came by the deadline, how long the call waits on for the
     * client's own request timer (due at the same moment) to tell a request that was sent from a
     * connection that never opened.
     */
    private static final Duration CLIENT_TIMER_GRACE = Duration.ofMillis(250);

    private static final Logger LOG = LoggerFactory.getLogger(HttpSink.class);

    private final HttpClient client;
    private final String upsertMethod;
    private final UriTemplate upsertUrl;
    private final String deleteMethod;
    private final UriTemplate deleteUrl;
    private final HttpBodyMapper<T> bodyMapper;
    private final List<HttpHeaderSupplier> headerSuppliers;
    private final String versionHeader;
    private final String correlationHeader;
    private final String replayedHeader;
    private final Duration requestTimeout;
    private final Set<Integer> alreadyCurrent;
    private final Clock clock;
    private final int excerptChars;

    private final String entityType;

    private HttpSink(Builder<T> b) {
        this.entityType = b.entityType;
        this.client = b.client != null ? b.client
                : HttpClient.newBuilder().connectTimeout(DEFAULT_CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        this.upsertMethod = b.upsertMethod;
        this.upsertUrl = b.upsertUrl;
        this.deleteMethod = b.deleteMethod;
        this.deleteUrl = b.deleteUrl != null ? b.deleteUrl : b.upsertUrl;
        this.bodyMapper = b.bodyMapper != null ? b.bodyMapper
                : HttpBodyMapper.json(b.json != null ? b.json
                        : Jackson2Json.of(JsonMapper.builder().addModule(new JavaTimeModule()).build()));
        this.headerSuppliers = List.copyOf(b.headerSuppliers);
        this.versionHeader = b.versionHeader;
        this.correlationHeader = b.correlationHeader;
        this.replayedHeader = b.replayedHeader;
        this.requestTimeout = b.requestTimeout;
        this.alreadyCurrent = Set.copyOf(b.alreadyCurrent);
        this.clock = b.clock;
        this.excerptChars = b.excerptChars;
    }

    /**
     * Starts an HTTP sink. Every sink of the library is built the same way:
     * {@code HttpSink.builder(entityType, entityClass)} names what it follows, the setters say where it
     * writes, and {@code build()} checks that nothing required is missing.
     *
     * @param entityType  the entity type this sink follows: the writer's, or the writer refuses the sink at build
     * @param entityClass the entity class
     * @param <T>         the entity type
     * @return a builder; {@link Builder#upsert(String, String)} is required
     * @throws IllegalArgumentException if the entity type is blank
     */
    public static <T> Builder<T> builder(String entityType, Class<T> entityClass) {
        Objects.requireNonNull(entityClass, "entityClass");
        return new Builder<>(entityType);
    }

    /** @return the entity type this sink was built for: a writer of another type refuses it */
    @Override
    public Optional<String> boundEntityType() {
        return Optional.of(entityType);
    }

    /** @return the entity type this sink follows */
    public String entityType() {
        return entityType;
    }

    /**
     * Maps a change to its request, without I/O; the same as {@link #request(Change)}.
     *
     * @param change the change
     * @return the request
     * @throws IllegalArgumentException if the change is of another entity type
     * @throws MappingException         if the body cannot be mapped, the URL cannot be built or a header supplier
     *                                  throws; what it threw is the cause
     * @throws SinkException            a {@link SinkException} they threw, with its own kind, or an interruption
     */
    @Override
    public HttpRequest map(Change<T> change) {
        return request(change);
    }

    /**
     * @return the request timeout and the short grace in which the client reports a connection that
     *         never opened: no call outlives it, whatever the server does, so a request timeout within
     *         the sink's attempt timeout lets the coordinator call the sink on the delivering thread
     */
    @Override
    public java.util.Optional<Duration> callTimeout() {
        return java.util.Optional.of(requestTimeout.plus(CLIENT_TIMER_GRACE));
    }

    /**
     * Sends the change's request and reads the reply's status, within one deadline of
     * {@link Builder#requestTimeout} for the whole exchange: connecting, sending, the reply's
     * headers and its body. When the deadline passes the exchange is cancelled, which closes its
     * connection (it is never used again), and the call fails.
     *
     * @param change  the change
     * @param request its request, from {@link #map}
     * @return {@link ApplyResult#APPLIED} or {@link ApplyResult#ALREADY_CURRENT}, from the status
     * @throws HttpSinkException    when the API refused the change, could not be reached or did not
     *                              answer in full within the deadline (see the table above)
     * @throws InterruptedException if the calling thread was interrupted (the exchange is cancelled)
     */
    @Override
    public ApplyResult send(Change<T> change, HttpRequest request) throws Exception {
        HttpResponse<ReplyBody.Read> response = exchange(request);
        int status = response.statusCode();
        if (response.body().cut()) {
            LOG.debug("http {} {} -> {}: reply body over {} bytes, not read further", request.method(),
                    change.idempotencyKey(), status, MAX_REPLY_BODY_BYTES);
        }
        if (status < 100 || status > 599) {
            // no status HTTP defines: a reply the sink cannot read, to a request that may have been applied
            throw failure("status " + status + " is no HTTP status", ErrorKind.UNKNOWN_OUTCOME, request, status, null,
                    null);
        }
        if (status / 100 == 2) {
            boolean replayed = response.headers().firstValue(replayedHeader).map("true"::equalsIgnoreCase).orElse(false);
            LOG.debug("http {} {} -> {} {}", request.method(), change.idempotencyKey(), status,
                    replayed ? "replayed" : "applied");
            return replayed ? ApplyResult.ALREADY_CURRENT : ApplyResult.APPLIED;
        }
        if (alreadyCurrent.contains(status)) {
            LOG.debug("http {} {} -> {} already current", request.method(), change.idempotencyKey(), status);
            return ApplyResult.ALREADY_CURRENT;
        }
        String excerpt = excerpt(response.body().head());
        if (status == 408 || status == 429 || status / 100 == 5) {
            Optional<String> header = response.headers().firstValue("Retry-After");
            Duration wait = RetryAfter.parse(header.orElse(null), clock).orElse(null);
            throw failure("status " + status + (wait != null ? ", retry after " + wait.toMillis() + " ms" : "") + excerpt,
                    ErrorKind.TRANSIENT, request, status, wait, null);
        }
        throw failure("status " + status + " refuses the change" + excerpt, ErrorKind.PERMANENT, request, status, null, null);
    }

    /**
     * Runs one exchange, body included, within {@link #requestTimeout} from now. The client's own
     * request timeout (the same duration) covers connecting and the reply's headers and tells the
     * two apart; the wait here covers the body too, which the client's timeout does not.
     */
    private HttpResponse<ReplyBody.Read> exchange(HttpRequest request) throws Exception {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        ReplyBody reply = new ReplyBody((int) Math.min(excerptChars * 4L, MAX_REPLY_BODY_BYTES), MAX_REPLY_BODY_BYTES);
        CompletableFuture<HttpResponse<ReplyBody.Read>> exchange = client.sendAsync(request, reply);
        try {
            try {
                return exchange.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException noReplyYet) {
                if (reply.status().isPresent()) {
                    throw noReplyYet;
                }
                // not even the headers came: the client's timer, due now, knows whether the request
                // was sent (an unknown outcome) or the connection never opened (transient)
                return exchange.get(CLIENT_TIMER_GRACE.toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            exchange.cancel(true);
            String what = reply.status().isPresent()
                    ? "status " + reply.status().getAsInt() + " came, but not the whole reply body"
                    : "no reply";
            throw failure(what + " within " + requestTimeout.toMillis() + " ms; the request may have been applied",
                    ErrorKind.UNKNOWN_OUTCOME, request, -1, null, e);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw transportFailure(e.getCause(), request);
        }
    }

    private Exception transportFailure(Throwable cause, HttpRequest request) {
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return failure("could not connect", ErrorKind.TRANSIENT, request, -1, null, cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return failure("no reply within " + requestTimeout.toMillis() + " ms after sending; the request may have been applied",
                    ErrorKind.UNKNOWN_OUTCOME, request, -1, null, cause);
        }
        if (cause instanceof IOException) {
            return failure("broken or malformed reply (" + cause.getMessage() + "); the request may have been applied",
                    ErrorKind.UNKNOWN_OUTCOME, request, -1, null, cause);
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause);
    }

    /** Honours the {@link ErrorKind} of every {@link HttpSinkException} ({@link ErrorClassifier#defaults()}). */
    @Override
    public ErrorClassifier classifier() {
        return ErrorClassifier.defaults();
    }

    /**
     * Builds the request of a change without sending it: the mapping step, without I/O.
     *
     * @param change the change
     * @return the request
     * @throws IllegalArgumentException if the change is of another entity type
     * @throws MappingException         if the body cannot be mapped, the URL cannot be built or a header supplier
     *                                  throws ({@link ErrorKind#PERMANENT}); what it threw is the cause
     * @throws SinkException            what the body mapper or a header supplier threw as a {@link SinkException}, with
     *                                  its own kind; or, when the thread was interrupted, a {@link ErrorKind#TRANSIENT}
     *                                  one (the interrupt flag is kept)
     */
    public HttpRequest request(Change<T> change) {
        Objects.requireNonNull(change, "change");
        Args.sameEntityType("HTTP sink", entityType, change);
        try {
            return build(change);
        } catch (SinkException e) {
            // a mapper's or header supplier's own failure keeps its kind (a TRANSIENT one is retried)
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkException("interrupted while building the request for " + change.idempotencyKey(),
                    ErrorKind.TRANSIENT, e);
        } catch (Exception e) {
            throw new MappingException("could not map " + change.idempotencyKey() + ": " + e, e);
        }
    }

    private HttpRequest build(Change<T> change) throws Exception {
        boolean delete = change.isDelete();
        URI uri = (delete ? deleteUrl : upsertUrl).expand(change.entityType(), change.id(), change.version());
        Optional<byte[]> body = bodyMapper.body(change);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                .method(delete ? deleteMethod : upsertMethod,
                        body.map(HttpRequest.BodyPublishers::ofByteArray).orElse(HttpRequest.BodyPublishers.noBody()));
        for (HttpHeaderSupplier supplier : headerSuppliers) {
            for (Map.Entry<String, String> h : supplier.headers(change).entrySet()) {
                b.setHeader(h.getKey(), h.getValue());
            }
        }
        // the sink's own headers come last and win: a redelivery must carry the same key and version whatever a
        // supplier adds; ids and correlation ids may hold characters no header may carry, so those are encoded
        b.setHeader(IDEMPOTENCY_KEY, headerValue(change.idempotencyKey()))
                .setHeader(versionHeader, Long.toString(change.version()))
                .setHeader(correlationHeader, headerValue(change.correlationId()));
        if (body.isPresent()) {
            b.setHeader("Content-Type", bodyMapper.contentType());
        }
        return b.build();
    }

    /**
     * @return {@code value} as a header carries it to the API unchanged: as it is when every character is printable
     *         ASCII, a space or a tab, it neither starts nor ends with a space or a tab (HTTP strips those from a
     *         field value), and it holds nothing that reads as an escape of this encoding ({@code %} and two of
     *         {@code 0-9A-F}, or {@code %u}); otherwise percent-encoded: each UTF-8 byte of a character outside
     *         U+0021 to U+007E and of {@code %} as {@code %XX} (the JDK's client would send a character above
     *         U+007F as {@code ?}), a lone surrogate as {@code %u} and its four hex digits, the rest as it is. Two
     *         different values never reach the API as the same header (an encoded one always holds an escape and no
     *         space or tab, one that goes as it is never holds an escape), it is the same on every redelivery, and a
     *         value without such characters keeps the form it was always sent in.
     */
    static String headerValue(String value) {
        if (value.chars().allMatch(HttpSink::goesAsItIs) && !holdsEscape(value) && !edgedByWhitespace(value)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch > 0x20 && ch < 0x7F && ch != '%') {
                out.append(ch);
            } else if (Character.isHighSurrogate(ch) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                appendUtf8(out, value.substring(i, i + 2));
                i++;
            } else if (Character.isSurrogate(ch)) {
                out.append("%u").append(String.format(java.util.Locale.ROOT, "%04X", (int) ch));
            } else {
                appendUtf8(out, String.valueOf(ch));
            }
        }
        return out.toString();
    }

    /** @return whether the JDK's client sends this character in a header value as it is, byte for byte */
    private static boolean goesAsItIs(int c) {
        return c == '\t' || (c >= 0x20 && c < 0x7F);
    }

    private static boolean edgedByWhitespace(String value) {
        return !value.isEmpty() && (isBlank(value.charAt(0)) || isBlank(value.charAt(value.length() - 1)));
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static void appendUtf8(StringBuilder out, String chars) {
        for (byte x : chars.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
        }
    }

    /** @return whether {@code value} holds what {@link #headerValue} writes as an escape */
    private static boolean holdsEscape(String value) {
        for (int i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i + 1)) {
            if (i + 1 < value.length() && value.charAt(i + 1) == 'u') {
                return true;
            }
            if (i + 2 < value.length() && isUpperHex(value.charAt(i + 1)) && isUpperHex(value.charAt(i + 2))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isUpperHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    }

    private HttpSinkException failure(String what, ErrorKind kind, HttpRequest request, int status, Duration retryAfter,
                                      Throwable cause) {
        return new HttpSinkException(request.method() + " " + request.uri() + ": " + what, kind, request.method(),
                request.uri(), status, retryAfter, cause);
    }

    /** The start of an error reply for the message, at most {@link #excerptChars} characters. */
    private String excerpt(byte[] head) {
        String text = new String(head, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return "";
        }
        return ": " + (text.length() > excerptChars ? text.substring(0, excerptChars) + "…" : text);
    }

    /**
     * Builds an {@link HttpSink}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private HttpClient client;
        private String upsertMethod = DEFAULT_UPSERT_METHOD;
        private UriTemplate upsertUrl;
        private String deleteMethod = DEFAULT_DELETE_METHOD;
        private UriTemplate deleteUrl;
        private HttpBodyMapper<T> bodyMapper;
        private Json json;
        private final List<HttpHeaderSupplier> headerSuppliers = new ArrayList<>();
        private String versionHeader = DEFAULT_VERSION_HEADER;
        private String correlationHeader = DEFAULT_CORRELATION_HEADER;
        private String replayedHeader = DEFAULT_REPLAYED_HEADER;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Set<Integer> alreadyCurrent = DEFAULT_ALREADY_CURRENT_STATUSES;
        private Clock clock = Clock.systemUTC();
        private int excerptChars = DEFAULT_ERROR_EXCERPT_CHARS;

        private final String entityType;

        private Builder(String entityType) {
            this.entityType = Args.notBlank(entityType, "entityType");
        }

        /**
         * @param method      the method of an upsert; default {@value #DEFAULT_UPSERT_METHOD}
         * @param urlTemplate an absolute http(s) URL with {@code {type}}, {@code {id}}, {@code {version}}; required
         * @return this
         */
        public Builder<T> upsert(String method, String urlTemplate) {
            this.upsertMethod = method(method);
            this.upsertUrl = new UriTemplate(urlTemplate);
            return this;
        }

        /**
         * @param method      the method of a delete; default {@value #DEFAULT_DELETE_METHOD}
         * @param urlTemplate its URL template; default the upsert's
         * @return this
         */
        public Builder<T> delete(String method, String urlTemplate) {
            this.deleteMethod = method(method);
            this.deleteUrl = new UriTemplate(urlTemplate);
            return this;
        }

        /**
         * @param client the client; default one with a {@link #DEFAULT_CONNECT_TIMEOUT} connect timeout
         *               that follows no redirects
         * @return this
         */
        public Builder<T> httpClient(HttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * @param mapper the body mapper; default {@link HttpBodyMapper#json(Json)} with {@link #json(Json)}
         * @return this
         */
        public Builder<T> bodyMapper(HttpBodyMapper<T> mapper) {
            this.bodyMapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /**
         * @param mapper the Jackson 2 mapper of the default body mapper; the same as
         *               {@code json(Jackson2Json.of(mapper))}
         * @return this
         */
        public Builder<T> objectMapper(ObjectMapper mapper) {
            return json(Jackson2Json.of(mapper));
        }

        /**
         * @param json the JSON mapping of the default body mapper: the application's Jackson 2 or Jackson 3 mapper
         *             ({@link Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of}); default a Jackson 2
         *             {@link JsonMapper} with the Java time module
         * @return this
         */
        public Builder<T> json(Json json) {
            this.json = Objects.requireNonNull(json, "json");
            return this;
        }

        /**
         * Adds a header supplier; several may be added, later ones win on the same header name. The sink's own
         * headers ({@value #IDEMPOTENCY_KEY}, the version and correlation headers, {@code Content-Type}) always win
         * over a supplier's, so every delivery of a change carries the same key and version.
         *
         * @param supplier extra headers per request (authentication, {@link HttpHeaderSupplier#traceparent})
         * @return this
         */
        public Builder<T> header(HttpHeaderSupplier supplier) {
            headerSuppliers.add(Objects.requireNonNull(supplier, "supplier"));
            return this;
        }

        /**
         * @param name the header carrying the version; default {@value #DEFAULT_VERSION_HEADER}
         * @return this
         */
        public Builder<T> versionHeader(String name) {
            this.versionHeader = headerName(name);
            return this;
        }

        /**
         * @param name the header carrying the correlation id; default {@value #DEFAULT_CORRELATION_HEADER}
         * @return this
         */
        public Builder<T> correlationHeader(String name) {
            this.correlationHeader = headerName(name);
            return this;
        }

        /**
         * A 2xx answer carrying this header with value {@code true} is the API's replay of its first
         * answer to a request key it has already applied, and is reported as
         * {@link ApplyResult#ALREADY_CURRENT}. Without such a header a replay reads as
         * {@link ApplyResult#APPLIED}, which is harmless: both are success.
         *
         * @param name the header; default {@value #DEFAULT_REPLAYED_HEADER}
         * @return this
         */
        public Builder<T> replayedHeader(String name) {
            this.replayedHeader = headerName(name);
            return this;
        }

        /**
         * The time limit of one request, enforced by the sink itself: from the call to the last byte
         * of the reply's body, connecting and sending included. A request still running when it
         * passes is cancelled and its connection closed; the call fails with
         * {@link ErrorKind#UNKNOWN_OUTCOME} ({@link ErrorKind#TRANSIENT} when the connection never
         * opened). It is the only bound of a call when the sink is registered with
         * {@code SinkSettings.builder().clientEnforcesTimeout(true)}; otherwise the coordinator's
         * {@code attemptTimeout} applies too, and the shorter of the two wins.
         *
         * @param timeout positive; default {@link #DEFAULT_REQUEST_TIMEOUT}
         * @return this
         */
        public Builder<T> requestTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            Args.positive(timeout, "requestTimeout");
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * @param statuses the statuses by which the API says it holds this version or a newer one;
         *                 default {@link #DEFAULT_ALREADY_CURRENT_STATUSES} (409, 412); 4xx only
         * @return this
         */
        public Builder<T> alreadyCurrentStatuses(Set<Integer> statuses) {
            Objects.requireNonNull(statuses, "statuses");
            for (int s : statuses) {
                if (s < 400 || s > 499) {
                    throw new IllegalArgumentException("an already-current status must be a 4xx, was " + s);
                }
            }
            this.alreadyCurrent = Set.copyOf(statuses);
            return this;
        }

        /**
         * How much of an error reply's body goes into the exception's message (and so into logs and
         * dead letters). An API whose error replies echo the request's values should get 0.
         *
         * @param chars at least 0; default {@value #DEFAULT_ERROR_EXCERPT_CHARS}
         * @return this
         */
        public Builder<T> errorExcerptChars(int chars) {
            Args.atLeast(chars, 0, "errorExcerptChars");
            this.excerptChars = chars;
            return this;
        }

        /**
         * @param clock the clock an HTTP-date {@code Retry-After} is compared with; default UTC system clock
         * @return this
         */
        public Builder<T> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @return the sink
         * @throws IllegalStateException if no upsert URL template was given
         */
        public HttpSink<T> build() {
            if (upsertUrl == null) {
                throw new IllegalStateException("an upsert URL template is required: upsert(method, urlTemplate)");
            }
            return new HttpSink<>(this);
        }

        private static String method(String method) {
            Objects.requireNonNull(method, "method");
            String m = method.strip().toUpperCase(Locale.ROOT);
            if (!m.matches("[A-Z]+")) {
                throw new IllegalArgumentException("not an HTTP method: " + method);
            }
            return m;
        }

        private static String headerName(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new IllegalArgumentException("not an HTTP header name: " + name);
            }
            return name;
        }
    }
}
