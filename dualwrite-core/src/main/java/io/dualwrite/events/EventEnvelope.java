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
package io.dualwrite.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dualwrite.Operation;
import io.dualwrite.internal.Args;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * One change as an event: the CloudEvents 1.0 context attributes plus three extension attributes,
 * and the entity's state as data. Its identity fields ({@link #id()}, {@link #subject()},
 * {@link #entityVersion()}, {@link #type()}, {@link #time()}) come from the committed change and
 * are never changed by a payload mapper: {@link #withData(JsonNode)} replaces the data only.
 *
 * <table>
 *   <caption>attributes of the JSON form (structured mode, {@code application/cloudevents+json})</caption>
 *   <tr><th>attribute</th><th>value</th></tr>
 *   <tr><td>{@code specversion}</td><td>{@value #SPEC_VERSION}</td></tr>
 *   <tr><td>{@code id}</td><td>the change's idempotency key ({@code <type>/<id>@<version>} unless the caller gave one): the same for every redelivery</td></tr>
 *   <tr><td>{@code source}</td><td>a URI reference naming the producer, default {@code /dualwrite/<entity type>}</td></tr>
 *   <tr><td>{@code type}</td><td>{@code <prefix>.<entity type>.upserted} or {@code .deleted}</td></tr>
 *   <tr><td>{@code time}</td><td>the primary's commit time, RFC 3339</td></tr>
 *   <tr><td>{@code subject}</td><td>the entity id</td></tr>
 *   <tr><td>{@code datacontenttype}</td><td>{@code application/json} (upserts; a delete carries no data)</td></tr>
 *   <tr><td>{@value #ENTITY_VERSION}</td><td>the entity version as decimal text (a CloudEvents integer is 32-bit, a version is 64-bit): what consumers order by</td></tr>
 *   <tr><td>{@value #SCHEMA_VERSION}</td><td>the schema version of the data's representation</td></tr>
 *   <tr><td>{@value #CORRELATION_ID}</td><td>the write's correlation id</td></tr>
 *   <tr><td>{@code data}</td><td>the entity's state at that version, as JSON</td></tr>
 * </table>
 *
 * Immutable and thread-safe (the data node is copied in and out).
 */
public final class EventEnvelope {
    /** The CloudEvents specification version written and read. */
    public static final String SPEC_VERSION = "1.0";
    /** The media type of the structured JSON form. */
    public static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
    /** The content type of the data. */
    public static final String DATA_CONTENT_TYPE = "application/json";
    /** Extension attribute: the entity version. */
    public static final String ENTITY_VERSION = "entityversion";
    /** Extension attribute: the schema version of the data. */
    public static final String SCHEMA_VERSION = "schemaversion";
    /** Extension attribute: the correlation id. */
    public static final String CORRELATION_ID = "correlationid";
    /** Suffix of the type of an upsert. */
    public static final String UPSERTED = "upserted";
    /** Suffix of the type of a delete. */
    public static final String DELETED = "deleted";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final String source;
    private final String type;
    private final Instant time;
    private final String subject;
    private final long entityVersion;
    private final int schemaVersion;
    private final String correlationId;
    private final Operation operation;
    private final JsonNode data;

    EventEnvelope(String id, String source, String type, Instant time, String subject, long entityVersion,
                  int schemaVersion, String correlationId, Operation operation, JsonNode data) {
        this.id = requireText(id, "id");
        this.source = requireText(source, "source");
        this.type = requireText(type, "type");
        this.time = Objects.requireNonNull(time, "time");
        this.subject = requireText(subject, "subject");
        Args.atLeast(entityVersion, 1, "entity version");
        Args.atLeast(schemaVersion, 1, "schema version");
        this.entityVersion = entityVersion;
        this.schemaVersion = schemaVersion;
        this.correlationId = correlationId;
        this.operation = Objects.requireNonNull(operation, "operation");
        if (operation == Operation.DELETE && data != null && !data.isNull()) {
            throw new IllegalArgumentException("a delete event carries no data: " + id);
        }
        this.data = data == null || data.isNull() ? null : data.deepCopy();
    }

    private static String requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    /** @return the event id: the change's idempotency key, the same for every redelivery */
    public String id() {
        return id;
    }

    /** @return the source, a URI reference */
    public String source() {
        return source;
    }

    /** @return the type, {@code <prefix>.<entity type>.upserted} or {@code .deleted} */
    public String type() {
        return type;
    }

    /** @return the primary's commit time */
    public Instant time() {
        return time;
    }

    /** @return the entity id */
    public String subject() {
        return subject;
    }

    /** @return the entity version (the order of the events of one subject) */
    public long entityVersion() {
        return entityVersion;
    }

    /** @return the schema version of the data */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** @return the write's correlation id, empty if the event carries none */
    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    /** @return UPSERT or DELETE, as the type says */
    public Operation operation() {
        return operation;
    }

    /** @return a copy of the data (the entity's state), empty for a delete */
    public Optional<JsonNode> data() {
        return data == null ? Optional.empty() : Optional.of(data.deepCopy());
    }

    /**
     * A per-sink payload mapper's way to change the data: every identity field stays.
     *
     * @param newData the new data, not null, not a JSON null
     * @return a copy of this envelope with that data
     * @throws IllegalArgumentException for a delete event, which carries no data
     */
    public EventEnvelope withData(JsonNode newData) {
        Objects.requireNonNull(newData, "newData");
        if (newData.isNull()) {
            throw new IllegalArgumentException("data must not be a JSON null; a delete is its own type");
        }
        return new EventEnvelope(id, source, type, time, subject, entityVersion, schemaVersion, correlationId,
                operation, newData);
    }

    /** @return the structured-mode CloudEvents JSON object */
    public ObjectNode toJsonNode() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("specversion", SPEC_VERSION);
        n.put("id", id);
        n.put("source", source);
        n.put("type", type);
        n.put("time", time.toString());
        n.put("subject", subject);
        // CloudEvents integers are 32-bit and versions are not: the version travels as decimal text
        n.put(ENTITY_VERSION, Long.toString(entityVersion));
        n.put(SCHEMA_VERSION, schemaVersion);
        if (correlationId != null) {
            n.put(CORRELATION_ID, correlationId);
        }
        if (data != null) {
            n.put("datacontenttype", DATA_CONTENT_TYPE);
            n.set("data", data.deepCopy());
        }
        return n;
    }

    /** @return the structured-mode CloudEvents JSON text ({@value #STRUCTURED_CONTENT_TYPE}) */
    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the envelope of " + id, e);
        }
    }

    /**
     * Reads the structured-mode JSON form written by {@link #toJson()}. Extension attributes may be
     * numbers or strings (the CloudEvents JSON format allows either for integers).
     *
     * @param json the JSON text, not null
     * @return the envelope
     * @throws IllegalArgumentException if it is not such an event: not JSON, another spec version, a
     *                                  missing attribute, or a type that ends in neither
     *                                  {@code .upserted} nor {@code .deleted}
     */
    public static EventEnvelope fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("a CloudEvent in JSON is an object");
        }
        String spec = text(n, "specversion");
        if (!SPEC_VERSION.equals(spec)) {
            throw new IllegalArgumentException("unsupported specversion " + spec + ", expected " + SPEC_VERSION);
        }
        String type = text(n, "type");
        Operation op;
        if (type.endsWith("." + UPSERTED)) {
            op = Operation.UPSERT;
        } else if (type.endsWith("." + DELETED)) {
            op = Operation.DELETE;
        } else {
            throw new IllegalArgumentException("type " + type + " ends in neither ." + UPSERTED + " nor ." + DELETED);
        }
        Instant time;
        try {
            time = Instant.parse(text(n, "time"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time is not RFC 3339: " + n.get("time"), e);
        }
        JsonNode corr = n.get(CORRELATION_ID);
        return new EventEnvelope(text(n, "id"), text(n, "source"), type, time, text(n, "subject"),
                number(n, ENTITY_VERSION), (int) number(n, SCHEMA_VERSION),
                corr == null || corr.isNull() ? null : corr.asText(), op, n.get("data"));
    }

    private static String text(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("attribute " + name + " is missing or not a string");
        }
        return v.asText();
    }

    private static long number(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v != null && v.isIntegralNumber()) {
            return v.asLong();
        }
        if (v != null && v.isTextual()) {
            try {
                return Long.parseLong(v.asText());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("attribute " + name + " is not an integer: " + v.asText(), e);
            }
        }
        throw new IllegalArgumentException("attribute " + name + " is missing or not an integer");
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof EventEnvelope)) {
            return false;
        }
        EventEnvelope e = (EventEnvelope) o;
        return entityVersion == e.entityVersion && schemaVersion == e.schemaVersion && id.equals(e.id)
                && source.equals(e.source) && type.equals(e.type) && time.equals(e.time) && subject.equals(e.subject)
                && Objects.equals(correlationId, e.correlationId) && operation == e.operation
                && Objects.equals(data, e.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, source, type, subject, entityVersion);
    }

    /** Ids only: the data may hold personal data and never appears in logs. */
    @Override
    public String toString() {
        return "EventEnvelope{" + type + " " + id + ", subject=" + subject + ", entityversion=" + entityVersion + "}";
    }
}
