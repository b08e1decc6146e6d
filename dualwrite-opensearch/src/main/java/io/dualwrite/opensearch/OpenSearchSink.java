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

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.Change;
import io.dualwrite.ErrorClassifier;
import io.dualwrite.ErrorKind;
import io.dualwrite.internal.Args;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;
import io.dualwrite.opensearch.internal.OpenSearchErrors;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.ContentDigestingSink;
import io.dualwrite.spi.MappingSink;
import io.dualwrite.spi.SinkException;
import org.apache.http.HttpHost;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps a search index (OpenSearch 1.x–2.x, or Elasticsearch 7.10–8.x, which share the REST
 * shapes used here) in step with one entity collection. Tested against OpenSearch 2.19.
 *
 * <ul>
 *   <li><b>Version guard in the engine.</b> The entity id is the document id and the entity
 *       version is the document's external version ({@code version_type=external}): the engine
 *       itself refuses a write that is not newer (HTTP 409), which the sink reports as
 *       {@link ApplyResult#ALREADY_CURRENT}. Concurrent deliveries cannot regress a document.</li>
 *   <li><b>Deletes are versioned tombstone documents</b>, not engine deletes. An engine delete
 *       is forgotten after {@code index.gc_deletes} (60 s by default), after which a late, older
 *       write would bring the document back. A tombstone document
 *       ({@code {"dualwrite":{"id":…,"deleted":true}}} at the delete's version) is kept, so a
 *       late write is refused for ever. Searches must therefore skip tombstones: query the
 *       filtered alias {@link #liveAlias()} (created with the index), or add
 *       {@link #LIVE_FILTER_JSON} to your own queries.</li>
 *   <li><b>Bulk.</b> {@link #sendAll(List)} (the batch of {@link #applyAll(List)}) sends one
 *       {@code _bulk} request per call and classifies each item: 2xx applied, 409 already current,
 *       408/429/5xx {@link ErrorKind#TRANSIENT}, a write or read-only block or a closed index
 *       {@link ErrorKind#TRANSIENT} (an operator lifts it), other 4xx (the engine's mapping and parse
 *       errors) {@link ErrorKind#PERMANENT}. A request the engine refuses as a whole as invalid or too
 *       large (400: an id it does not take; 413: a body over its limit) throws, and the coordinator
 *       then sends each change alone, so that the change at fault fails alone; any other failure of the
 *       whole request is every change's.</li>
 *   <li><b>Reconcilable.</b> {@link #versionsOf} reads real-time by id ({@code _mget});
 *       {@link #idsAfter} pages live documents sorted by the keyword field {@code dualwrite.id}
 *       with {@code search_after} (searches see writes after the index's refresh).</li>
 *   <li><b>Content digests.</b> {@link #contentDigestsOf} reads the documents' {@code _source}
 *       real-time by id ({@code _mget}) and digests it in canonical form
 *       ({@link ContentDigest#ofJson(String)}): the document the {@link DocumentMapper} made plus
 *       the field {@value #META_FIELD}, whatever order of fields or formatting it was indexed
 *       with. {@link #expectedContentDigest} digests the document {@link #map} sends. This needs
 *       the index to keep the whole {@code _source} (the engine's default): with {@code _source}
 *       disabled or filtered, no document would ever match its expected content.</li>
 * </ul>
 *
 * <p>The document is the entity mapped by a {@link DocumentMapper} (Jackson by default) plus the
 * field {@value #META_FIELD} the sink owns. One sink per entity type, each with its own index.
 *
 * <p><b>Mapping, then I/O.</b> {@link #map} is the mapping step, without I/O: it runs the
 * {@link DocumentMapper}, checks the document (an object, without a field {@value #META_FIELD}),
 * adds the sink's field and writes the bulk action and the document as two lines of NDJSON. A
 * failure there is the entity's own: the coordinator dead-letters it at once as
 * {@link ErrorKind#PERMANENT}, never retries it and never counts it against the sink's circuit
 * breaker. {@link #send} and {@link #sendAll} are the I/O: they prepare the index if needed and send
 * the lines in one {@code _bulk} request.
 *
 * <pre>{@code
 * RestClient client = RestClient.builder(HttpHost.create("http://localhost:9200")).build();
 * OpenSearchSink<Product> search = OpenSearchSink.builder("product", Product.class).client(client).index("products").build();
 * DualWriter<Product> writer = DualWriter.<Product>builder()...sink("search", search).build();
 * }</pre>
 *
 * Thread-safe.
 *
 * @param <T> the entity type
 */
public final class OpenSearchSink<T> implements MappingSink<T, String>, ContentDigestingSink<T>, AutoCloseable {
    /** The object field the sink adds to every document: {@code {"id": <entity id>, "deleted": <bool>}}. */
    public static final String META_FIELD = "dualwrite";
    /** The keyword field holding the entity id, used to list ids in order. */
    public static final String ID_FIELD = META_FIELD + ".id";
    /** The boolean field that marks a tombstone document. */
    public static final String DELETED_FIELD = META_FIELD + ".deleted";
    /** The suffix of the filtered alias that shows only live documents: {@code <index>-live}. */
    public static final String LIVE_ALIAS_SUFFIX = "-live";
    /** The query clause that keeps tombstones out of a search; add it to the filter of your own queries. */
    public static final String LIVE_FILTER_JSON =
            "{\"bool\":{\"must_not\":[{\"term\":{\"" + DELETED_FIELD + "\":true}}]}}";
    /** Default refresh policy of writes. */
    public static final RefreshPolicy DEFAULT_REFRESH = RefreshPolicy.NONE;
    /** By default the sink creates its index (with the mapping of {@value #META_FIELD} and the live alias) if absent. */
    public static final boolean DEFAULT_CREATE_INDEX = true;
    /** Default index settings when the sink creates the index: the engine's own defaults. */
    public static final String DEFAULT_INDEX_SETTINGS = "{}";

    private static final Logger LOG = LoggerFactory.getLogger(OpenSearchSink.class);
    private static final ContentType NDJSON = ContentType.create("application/x-ndjson", StandardCharsets.UTF_8);

    private final RestClient client;
    private final boolean ownsClient;
    private final String index;
    private final DocumentMapper<T> mapper;
    private final ObjectMapper json;
    private final RefreshPolicy refresh;
    private final boolean createIndex;
    private final Duration shardTimeout;
    private final ObjectNode indexSettings;
    private final ObjectNode indexProperties;
    private final Object indexLock = new Object();
    private volatile boolean indexReady;

    private final String entityType;

    private OpenSearchSink(Builder<T> b, ObjectNode indexSettings, ObjectNode indexProperties) {
        this.entityType = b.entityType;
        this.ownsClient = b.client == null;
        this.client = b.client != null ? b.client
                : RestClient.builder(Arrays.stream(b.urls).map(HttpHost::create).toArray(HttpHost[]::new)).build();
        this.index = b.index;
        this.json = b.requestMapper();
        this.mapper = b.mapper != null ? b.mapper : DocumentMapper.json(b.json != null ? b.json : Jackson2Json.of(json));
        this.refresh = b.refresh;
        this.createIndex = b.createIndex;
        this.shardTimeout = b.shardTimeout;
        this.indexSettings = indexSettings;
        this.indexProperties = indexProperties;
    }

    /**
     * Starts an OpenSearch sink. Every sink of the library is built the same way:
     * {@code OpenSearchSink.builder(entityType, entityClass)} names what it follows, the setters say where it
     * writes, and {@code build()} checks that nothing required is missing.
     *
     * @param entityType  the entity type this sink follows: the writer's, or the writer refuses the sink at build
     * @param entityClass the entity class
     * @param <T>         the entity type
     * @return a builder; a client (or URLs) and an index name are required
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

    /** @return the index (or write alias) this sink writes to */
    public String index() {
        return index;
    }

    /** @return the filtered alias that hides tombstones, {@code <index>-live}: point searches at it */
    public String liveAlias() {
        return index + LIVE_ALIAS_SUFFIX;
    }

    /**
     * Maps a change to its lines of a {@code _bulk} request, without I/O: the index action (with
     * the entity version as external version) and the document, each followed by a newline.
     *
     * @param change the change
     * @return the two NDJSON lines
     * @throws Exception when the {@link DocumentMapper} throws or returns null, when the document
     *                   uses the field {@value #META_FIELD}, or when it cannot be written as JSON
     */
    @Override
    public String map(Change<T> change) throws Exception {
        Objects.requireNonNull(change, "change");
        Args.sameEntityType("OpenSearch sink", entityType, change);
        ObjectNode action = json.createObjectNode();
        action.putObject("index").put("_index", index).put("_id", change.id())
                .put("version", change.version()).put("version_type", "external");
        return json.writeValueAsString(action) + '\n' + json.writeValueAsString(document(change)) + '\n';
    }

    /** The document of a change: the mapped entity (nothing for a delete) plus the sink's own field. */
    private ObjectNode document(Change<T> change) throws Exception {
        ObjectNode doc = json.createObjectNode();
        if (!change.isDelete()) {
            ObjectNode mapped = mapper.toDocument(change.requireState());
            if (mapped == null) {
                throw new IllegalArgumentException("the document mapper returned null for " + change.idempotencyKey());
            }
            if (mapped.has(META_FIELD)) {
                throw new IllegalArgumentException("the document of " + change.idempotencyKey() + " has a field '"
                        + META_FIELD + "', which the sink owns");
            }
            doc.setAll(mapped);
        }
        ObjectNode meta = doc.putObject(META_FIELD);
        meta.put("id", change.id());
        meta.put("deleted", change.isDelete());
        return doc;
    }

    /**
     * Sends one mapped change as a {@code _bulk} request of one item.
     *
     * @param change  the change
     * @param request its lines, from {@link #map}
     * @return {@link ApplyResult#APPLIED}, or {@link ApplyResult#ALREADY_CURRENT} when the index holds
     *         this version or a newer one (409)
     * @throws Exception a {@link SinkException} when the engine refused the item or could not be
     *                   reached, classified as described above
     */
    @Override
    public ApplyResult send(Change<T> change, String request) throws Exception {
        BatchItem item = sendAll(List.of(new Mapped<>(change, request))).get(0);
        if (!item.succeeded()) {
            throw item.error();
        }
        return item.result();
    }

    /** @return true: a batch is one {@code _bulk} request, bounded by the attempt timeout like one call */
    @Override
    public boolean appliesAllInOneCall() {
        return true;
    }

    /**
     * Sends the mapped changes in one {@code _bulk} request and classifies each item's result.
     *
     * @param mapped the changes with their lines, never null
     * @return one outcome per change, in order
     */
    @Override
    public List<BatchItem> sendAll(List<Mapped<T, String>> mapped) {
        Objects.requireNonNull(mapped, "mapped");
        if (mapped.isEmpty()) {
            return List.of();
        }
        StringBuilder body = new StringBuilder(256 * mapped.size());
        mapped.forEach(m -> body.append(m.request()));
        return bulk(mapped, body.toString());
    }

    @Override
    public ErrorClassifier classifier() {
        return OpenSearchErrors.CLASSIFIER;
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        for (JsonNode doc : liveDocuments(ids, DELETED_FIELD, "versionsOf")) {
            out.put(doc.path("_id").asText(), doc.path("_version").asLong());
        }
        return out;
    }

    /** Reads the live documents' whole {@code _source} real-time, in one {@code _mget}. */
    @Override
    public Map<String, ContentDigest> contentDigestsOf(Collection<String> ids) throws Exception {
        Map<String, ContentDigest> out = new LinkedHashMap<>();
        for (JsonNode doc : liveDocuments(ids, null, "contentDigestsOf")) {
            out.put(doc.path("_id").asText(), ContentDigest.ofJson(doc.path("_source")));
        }
        return out;
    }

    /**
     * @param change an UPSERT change
     * @return the digest of the document {@link #map} sends for it
     * @throws Exception an {@link IllegalArgumentException} for a DELETE, or what {@link #map} throws
     */
    @Override
    public ContentDigest expectedContentDigest(Change<T> change) throws Exception {
        ContentDigestingSink.requireUpsert(change);
        // digest the text that is sent, which the engine keeps as _source
        return ContentDigest.ofJson(json.writeValueAsString(document(change)));
    }

    /**
     * @param sourceIncludes the one source field to read, or null for the whole source
     * @return the found documents that are not tombstones
     */
    private List<JsonNode> liveDocuments(Collection<String> ids, String sourceIncludes, String what) throws Exception {
        Objects.requireNonNull(ids, "ids");
        List<JsonNode> out = new ArrayList<>();
        if (ids.isEmpty()) {
            return out;
        }
        ObjectNode body = json.createObjectNode();
        ArrayNode idArray = body.putArray("ids");
        ids.forEach(idArray::add);
        Request request = new Request("POST", "/" + index + "/_mget");
        if (sourceIncludes != null) {
            request.addParameter("_source_includes", sourceIncludes);
        }
        request.setJsonEntity(json.writeValueAsString(body));
        JsonNode response = perform(request, what + " " + ids.size() + " ids in " + index);
        if (response == null) {
            return out;
        }
        for (JsonNode doc : response.path("docs")) {
            if (doc.path("found").asBoolean(false)
                    && !doc.path("_source").path(META_FIELD).path("deleted").asBoolean(false)) {
                out.add(doc);
            }
        }
        return out;
    }

    /**
     * Lists live ids in the order of the keyword field {@value #ID_FIELD} (UTF-8 byte order, which
     * equals {@link String#compareTo} for ids without characters above U+FFFF). Searches see writes
     * once the index has refreshed.
     */
    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
        Args.atLeast(limit, 1, "limit");
        ObjectNode body = json.createObjectNode();
        body.put("size", limit);
        body.put("_source", false);
        body.put("track_total_hits", false);
        body.set("query", json.readTree(LIVE_FILTER_JSON));
        body.putArray("sort").addObject().put(ID_FIELD, "asc");
        if (afterExclusive != null) {
            body.putArray("search_after").add(afterExclusive);
        }
        Request request = new Request("POST", "/" + index + "/_search");
        request.setJsonEntity(json.writeValueAsString(body));
        JsonNode response = perform(request, "idsAfter in " + index);
        List<String> ids = new ArrayList<>(limit);
        if (response != null) {
            for (JsonNode hit : response.path("hits").path("hits")) {
                ids.add(hit.path("_id").asText());
            }
        }
        return ids;
    }

    /**
     * Creates the index if it does not exist (with the builder's settings, the mapping of
     * {@value #META_FIELD} and the live alias), or adds that mapping and alias to an existing index.
     * Idempotent; the sink calls it before its first write unless {@link Builder#createIndex(boolean)}
     * turned that off.
     *
     * @throws SinkException if the engine refuses (for example a conflicting mapping of {@value #META_FIELD})
     */
    public void ensureIndex() {
        if (indexReady) {
            return;
        }
        synchronized (indexLock) {
            if (indexReady) {
                return;
            }
            ObjectNode metaProperties = json.createObjectNode();
            ObjectNode meta = metaProperties.putObject(META_FIELD).putObject("properties");
            meta.putObject("id").put("type", "keyword");
            meta.putObject("deleted").put("type", "boolean");
            ObjectNode properties = indexProperties.deepCopy();
            properties.setAll(metaProperties);
            ObjectNode aliasBody = json.createObjectNode();
            try {
                aliasBody.set("filter", json.readTree(LIVE_FILTER_JSON));
                ObjectNode create = json.createObjectNode();
                create.set("settings", indexSettings);
                create.putObject("mappings").set("properties", properties);
                create.putObject("aliases").set(liveAlias(), aliasBody);
                Request put = new Request("PUT", "/" + index);
                put.setJsonEntity(json.writeValueAsString(create));
                try {
                    client.performRequest(put);
                    LOG.info("created index {} with alias {}", index, liveAlias());
                } catch (ResponseException e) {
                    String type = errorType(e);
                    if (!"resource_already_exists_exception".equals(type) && !"invalid_index_name_exception".equals(type)) {
                        throw e;
                    }
                    // it exists (or is an alias): make sure the fields and the live alias do too
                    Request mapping = new Request("PUT", "/" + index + "/_mapping");
                    mapping.setJsonEntity(json.writeValueAsString(json.createObjectNode().set("properties", metaProperties)));
                    client.performRequest(mapping);
                    Request alias = new Request("PUT", "/" + index + "/_alias/" + liveAlias());
                    alias.setJsonEntity(json.writeValueAsString(aliasBody));
                    client.performRequest(alias);
                }
            } catch (IOException e) {
                throw OpenSearchErrors.toSinkException("preparing index " + index, e);
            }
            indexReady = true;
        }
    }

    /** Closes the REST client if the sink created it from URLs; a client passed in stays open. */
    @Override
    public void close() throws IOException {
        if (ownsClient) {
            client.close();
        }
    }

    // ------------------------------------------------------------------ internals

    private List<BatchItem> bulk(List<Mapped<T, String>> mapped, String body) {
        String what = "bulk of " + mapped.size() + " changes to " + index;
        JsonNode response;
        try {
            if (createIndex) {
                ensureIndex();
            }
            Request request = new Request("POST", "/_bulk");
            if (refresh.parameter() != null) {
                request.addParameter("refresh", refresh.parameter());
            }
            if (shardTimeout != null) {
                request.addParameter("timeout", shardTimeout.toMillis() + "ms");
            }
            request.addParameter("filter_path", "items.*._id,items.*.status,items.*.error.type");
            request.setEntity(new NStringEntity(body, NDJSON));
            response = read(client.performRequest(request), what);
        } catch (Exception e) {
            SinkException failure = OpenSearchErrors.toSinkException(what, e);
            LOG.debug("{} failed as {}", what, failure.kind());
            int status = e instanceof ResponseException
                    ? ((ResponseException) e).getResponse().getStatusLine().getStatusCode() : 0;
            if (failure.kind() == ErrorKind.PERMANENT && (status == 400 || status == 413)) {
                // a request refused as a whole as invalid (an id the engine does not take) or too large may be one
                // change's fault: thrown, it has the coordinator send each change alone, so that such a change fails
                // alone (a refusal that is no change's fault, such as a denied access, stays every change's)
                throw failure;
            }
            return Collections.nCopies(mapped.size(), BatchItem.failed(failure)); // the engine's state, every item's
        }
        JsonNode items = response.path("items");
        BatchItem[] out = new BatchItem[mapped.size()];
        int applied = 0;
        int current = 0;
        int failed = 0;
        for (int i = 0; i < mapped.size(); i++) {
            Change<T> c = mapped.get(i).change();
            JsonNode item = items.path(i).path("index");
            int status = item.path("status").asInt(0);
            if (status == 200 || status == 201) {
                out[i] = BatchItem.of(ApplyResult.APPLIED);
                applied++;
            } else if (status == 409) {
                out[i] = BatchItem.of(ApplyResult.ALREADY_CURRENT); // the index holds this version or a newer one
                current++;
            } else if (status == 0) {
                out[i] = BatchItem.failed(new SinkException(what + ": no result for " + c.idempotencyKey(),
                        ErrorKind.UNKNOWN_OUTCOME, null));
                failed++;
            } else {
                String type = item.path("error").path("type").asText("unknown");
                out[i] = BatchItem.failed(new SinkException("index " + index + " refused " + c.idempotencyKey()
                        + ": HTTP " + status + " " + type, OpenSearchErrors.kindOf(status, type), null));
                failed++;
            }
        }
        LOG.debug("{}: {} applied, {} already current, {} failed", what, applied, current, failed);
        return Arrays.asList(out);
    }

    private JsonNode perform(Request request, String what) throws SinkException {
        try {
            return read(client.performRequest(request), what);
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() == 404 && "index_not_found_exception".equals(errorType(e))) {
                return null; // nothing written yet: the sink holds nothing
            }
            throw OpenSearchErrors.toSinkException(what, e);
        } catch (IOException e) {
            throw OpenSearchErrors.toSinkException(what, e);
        }
    }

    private JsonNode read(Response response, String what) throws SinkException {
        try (InputStream in = response.getEntity().getContent()) {
            return json.readTree(in);
        } catch (IOException e) {
            // the request was answered, but the answer is unreadable: it may or may not have been applied
            throw new SinkException(what + ": unreadable response", ErrorKind.UNKNOWN_OUTCOME, e);
        }
    }

    private static String errorType(ResponseException e) {
        return OpenSearchErrors.errorType(e);
    }

    private static ObjectMapper defaultObjectMapper() {
        return JsonMapper.builder().addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
    }

    /**
     * Builds an {@link OpenSearchSink}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private RestClient client;
        private String[] urls;
        private String index;
        private DocumentMapper<T> mapper;
        private Json json;
        private RefreshPolicy refresh = DEFAULT_REFRESH;
        private boolean createIndex = DEFAULT_CREATE_INDEX;
        private Duration shardTimeout;
        private String indexSettings = DEFAULT_INDEX_SETTINGS;
        private String indexProperties = "{}";

        private final String entityType;

        private Builder(String entityType) {
            this.entityType = Args.notBlank(entityType, "entityType");
        }

        /**
         * @param client a low-level REST client the application owns and closes; required unless
         *               {@link #urls(String...)} is given
         * @return this
         */
        public Builder<T> client(RestClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * @param urls the engine's HTTP URLs (for example {@code http://localhost:9200}); the sink
         *             creates a client and closes it in {@link OpenSearchSink#close()}
         * @return this
         */
        public Builder<T> urls(String... urls) {
            Objects.requireNonNull(urls, "urls");
            if (urls.length == 0) {
                throw new IllegalArgumentException("at least one URL is needed");
            }
            for (String u : urls) {
                Objects.requireNonNull(u, "url");
            }
            this.urls = urls.clone();
            return this;
        }

        /**
         * @param index the index (or write alias) of this entity type, required, lowercase, not
         *              blank, without {@code /}, {@code ,}, {@code *} or spaces
         * @return this
         */
        public Builder<T> index(String index) {
            Objects.requireNonNull(index, "index");
            if (index.isBlank() || !index.equals(index.toLowerCase(Locale.ROOT)) || index.startsWith("_")
                    || index.chars().anyMatch(ch -> "/\\*?\"<>| ,#".indexOf(ch) >= 0)) {
                throw new IllegalArgumentException("not a valid index name: '" + index + "'");
            }
            this.index = index;
            return this;
        }

        /**
         * @param mapper entity to document; default {@link DocumentMapper#json(Json)} with {@link #json(Json)}
         * @return this
         */
        public Builder<T> documentMapper(DocumentMapper<T> mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /**
         * @param objectMapper the Jackson 2 mapper for documents and requests; the same as
         *                     {@code json(Jackson2Json.of(objectMapper))}
         * @return this
         */
        public Builder<T> objectMapper(ObjectMapper objectMapper) {
            return json(Jackson2Json.of(Objects.requireNonNull(objectMapper, "objectMapper")));
        }

        /**
         * @param json the JSON mapping that writes the entity's document: the application's Jackson 2 or Jackson 3
         *             mapper ({@link Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of}). A Jackson 2
         *             mapper also writes the sink's requests; with a Jackson 3 one the sink writes them with its
         *             own. Default a Jackson 2 mapper with Java time support writing ISO-8601 dates
         * @return this
         */
        public Builder<T> json(Json json) {
            this.json = Objects.requireNonNull(json, "json");
            return this;
        }

        /** The mapper of the sink's requests and responses, which hold no entity of their own. */
        private ObjectMapper requestMapper() {
            return json instanceof Jackson2Json jackson2 ? jackson2.mapper() : defaultObjectMapper();
        }

        /**
         * @param refresh when writes become visible to searches; default {@link RefreshPolicy#NONE}
         * @return this
         */
        public Builder<T> refresh(RefreshPolicy refresh) {
            this.refresh = Objects.requireNonNull(refresh, "refresh");
            return this;
        }

        /**
         * @param createIndex whether the sink prepares its index before the first write (see
         *                    {@link OpenSearchSink#ensureIndex()}); default {@value #DEFAULT_CREATE_INDEX}.
         *                    Turn it off when an index template or a migration owns the index; it must
         *                    then map {@value OpenSearchSink#ID_FIELD} as keyword and
         *                    {@value OpenSearchSink#DELETED_FIELD} as boolean
         * @return this
         */
        public Builder<T> createIndex(boolean createIndex) {
            this.createIndex = createIndex;
            return this;
        }

        /**
         * @param shardTimeout how long a bulk item waits for an unavailable primary shard before the
         *                     engine answers 503 for it (a {@link ErrorKind#TRANSIENT} failure), the
         *                     bulk {@code timeout} parameter; default the engine's own (one minute).
         *                     Keep it below the sink's attempt timeout, so an unavailable shard is
         *                     reported as transient rather than as an unknown outcome
         * @return this
         */
        public Builder<T> shardTimeout(Duration shardTimeout) {
            Objects.requireNonNull(shardTimeout, "shardTimeout");
            Args.positive(shardTimeout, "shardTimeout");
            this.shardTimeout = shardTimeout;
            return this;
        }

        /**
         * @param settingsJson the index settings used when the sink creates the index, a JSON object
         *                     (for example {@code {"number_of_shards":1,"number_of_replicas":0}});
         *                     default {@value OpenSearchSink#DEFAULT_INDEX_SETTINGS}
         * @return this
         */
        public Builder<T> indexSettings(String settingsJson) {
            this.indexSettings = Objects.requireNonNull(settingsJson, "settingsJson");
            return this;
        }

        /**
         * @param propertiesJson the field mappings of the entity's fields used when the sink creates the
         *                       index, a JSON object as under {@code mappings.properties}; default none
         *                       (dynamic mapping)
         * @return this
         */
        public Builder<T> indexProperties(String propertiesJson) {
            this.indexProperties = Objects.requireNonNull(propertiesJson, "propertiesJson");
            return this;
        }

        /**
         * @return the sink
         * @throws IllegalStateException    if neither a client nor URLs, or no index, were given, or both a client and URLs
         * @throws IllegalArgumentException if the settings or properties are not JSON objects
         */
        public OpenSearchSink<T> build() {
            if (client == null && urls == null) {
                throw new IllegalStateException("a RestClient or URLs are required");
            }
            if (client != null && urls != null) {
                throw new IllegalStateException("give either a RestClient or URLs, not both");
            }
            if (index == null) {
                throw new IllegalStateException("an index name is required");
            }
            ObjectMapper parser = requestMapper();
            return new OpenSearchSink<>(this, jsonObject(parser, indexSettings, "indexSettings"),
                    jsonObject(parser, indexProperties, "indexProperties"));
        }

        private static ObjectNode jsonObject(ObjectMapper parser, String text, String what) {
            try {
                JsonNode node = parser.readTree(text);
                if (!(node instanceof ObjectNode)) {
                    throw new IllegalArgumentException(what + " must be a JSON object");
                }
                return (ObjectNode) node;
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
    }
}
