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
package io.dualwrite.kafka;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The headers the Kafka sink puts on every record, in the CloudEvents Kafka binding's binary mode
 * (attributes as {@code ce_}-prefixed headers, values UTF-8 text), plus readers for consumers.
 * Thread-safe (stateless).
 *
 * <table>
 *   <caption>headers</caption>
 *   <tr><th>header</th><th>value</th></tr>
 *   <tr><td>{@value #SPEC_VERSION}</td><td>{@code 1.0}</td></tr>
 *   <tr><td>{@value #ID}</td><td>the change's idempotency key ({@code <type>/<id>@<version>} by default): the same for every redelivery</td></tr>
 *   <tr><td>{@value #SOURCE}</td><td>the sink's source URI reference (default {@code /dualwrite/<entity type>})</td></tr>
 *   <tr><td>{@value #TYPE}</td><td>{@code <prefix>.<entity type>.upserted} or {@code .deleted}</td></tr>
 *   <tr><td>{@value #TIME}</td><td>the primary's commit time, RFC 3339</td></tr>
 *   <tr><td>{@value #SUBJECT}</td><td>the entity id (also the record key)</td></tr>
 *   <tr><td>{@value #ENTITY_VERSION}</td><td>the entity version, decimal: what consumers order by</td></tr>
 *   <tr><td>{@value #CORRELATION_ID}</td><td>the write's correlation id</td></tr>
 *   <tr><td>{@value #SCHEMA_VERSION}</td><td>the schema version of the value's representation</td></tr>
 *   <tr><td>{@value #CONTENT_TYPE}</td><td>{@code application/json} (upserts only; a delete has a null value)</td></tr>
 * </table>
 */
public final class KafkaHeaders {
    /** CloudEvents spec version attribute. */
    public static final String SPEC_VERSION = "ce_specversion";
    /** CloudEvents id: the idempotency key. */
    public static final String ID = "ce_id";
    /** CloudEvents source. */
    public static final String SOURCE = "ce_source";
    /** CloudEvents type. */
    public static final String TYPE = "ce_type";
    /** CloudEvents time: the commit time. */
    public static final String TIME = "ce_time";
    /** CloudEvents subject: the entity id. */
    public static final String SUBJECT = "ce_subject";
    /** Extension attribute: the entity version. */
    public static final String ENTITY_VERSION = "ce_entityversion";
    /** Extension attribute: the correlation id. */
    public static final String CORRELATION_ID = "ce_correlationid";
    /** Extension attribute: the schema version of the value. */
    public static final String SCHEMA_VERSION = "ce_schemaversion";
    /** The data content type (binary mode carries it as {@code content-type}). */
    public static final String CONTENT_TYPE = "content-type";
    /** The CloudEvents spec version written. */
    public static final String CLOUDEVENTS_SPEC_VERSION = "1.0";

    private KafkaHeaders() {
    }

    /**
     * @param headers a record's headers, not null
     * @param name    a header name, not null
     * @return the last value of that header as UTF-8 text, empty if absent or null
     */
    public static Optional<String> text(Headers headers, String name) {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(name, "name");
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? Optional.empty()
                : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
    }

    /**
     * @param headers a record's headers, not null
     * @return the entity version of {@value #ENTITY_VERSION}, empty if absent
     * @throws IllegalArgumentException if the header is present but not a decimal number
     */
    public static OptionalLong entityVersion(Headers headers) {
        Optional<String> v = text(headers, ENTITY_VERSION);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.get().trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("header " + ENTITY_VERSION + " is not a number", e);
        }
    }

    /**
     * @param headers a record's headers, not null
     * @return the idempotency key ({@value #ID}), empty if absent
     */
    public static Optional<String> idempotencyKey(Headers headers) {
        return text(headers, ID);
    }

    /**
     * @param headers a record's headers, not null
     * @return the correlation id ({@value #CORRELATION_ID}), empty if absent
     */
    public static Optional<String> correlationId(Headers headers) {
        return text(headers, CORRELATION_ID);
    }
}
