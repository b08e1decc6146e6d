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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dualwrite.Change;
import io.dualwrite.EntitySerializationException;
import io.dualwrite.Operation;
import io.dualwrite.internal.Args;
import io.dualwrite.internal.JsonTrees;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;

/**
 * Wraps changes in {@link EventEnvelope}s: the identity fields come from the change, the data is
 * the entity's state (or what a payload mapper makes of it) as JSON through the builder's {@link Json} mapping, the
 * application's Jackson 2 or Jackson 3 mapper.
 *
 * <pre>{@code
 * EventEnvelopes<Product> envelopes = EventEnvelopes.<Product>builder()
 *         .source("/shop/catalog")                 // default /dualwrite/<entity type>
 *         .typePrefix("com.example")               // type = com.example.product.upserted
 *         .payload(p -> new ProductView(p))        // default: the entity itself
 *         .json(Jackson3Json.of(jsonMapper))       // the application's mapper writes the data
 *         .build();
 * String json = envelopes.envelope(change).toJson();
 * }</pre>
 *
 * Immutable and thread-safe when the payload mapper and the JSON mapper are.
 *
 * @param <T> the entity type
 */
public final class EventEnvelopes<T> {
    /** Default type prefix: types read {@code io.dualwrite.<entity type>.upserted}. */
    public static final String DEFAULT_TYPE_PREFIX = "io.dualwrite";
    /** Default source prefix, followed by the entity type. */
    public static final String DEFAULT_SOURCE_PREFIX = "/dualwrite/";

    private final String source;
    private final String typePrefix;
    private final Json json;
    private final Function<? super T, ?> payload;

    private EventEnvelopes(Builder<T> b) {
        this.source = b.source;
        this.typePrefix = b.typePrefix;
        this.json = b.json;
        this.payload = b.payload;
    }

    /**
     * @param <T> the entity type
     * @return a builder with every default
     */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /**
     * @param change a committed change, not null
     * @return its envelope: id = idempotency key, subject = entity id, entity and schema version of the change
     * @throws EntitySerializationException if the payload cannot be written as JSON
     */
    public EventEnvelope envelope(Change<T> change) {
        Objects.requireNonNull(change, "change");
        JsonNode data = null;
        if (change.operation() == Operation.UPSERT) {
            Object value = payload.apply(change.requireState());
            try {
                data = JsonTrees.toTree(json, value);
            } catch (IOException | RuntimeException e) {
                // Jackson 2 reports a value it cannot write with IllegalArgumentException, Jackson 3 with its own
                // unchecked exception
                throw new EntitySerializationException(change.entityType(), change.id(), e);
            }
        }
        String type = typePrefix + "." + change.entityType() + "."
                + (change.isDelete() ? EventEnvelope.DELETED : EventEnvelope.UPSERTED);
        return new EventEnvelope(change.idempotencyKey(), source != null ? source
                : DEFAULT_SOURCE_PREFIX + change.entityType(), type, change.time(), change.id(), change.version(),
                change.schemaVersion(), change.correlationId(), change.operation(), data);
    }

    /**
     * Builds {@link EventEnvelopes}. Not thread-safe.
     *
     * @param <T> the entity type
     */
    public static final class Builder<T> {
        private String source;
        private String typePrefix = DEFAULT_TYPE_PREFIX;
        private Json json = Jackson2Json.of(new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS));
        private Function<? super T, ?> payload = Function.identity();

        private Builder() {
        }

        /**
         * @param source the source attribute, a non-empty URI reference; default
         *               {@value EventEnvelopes#DEFAULT_SOURCE_PREFIX}{@code <entity type>}
         * @return this
         */
        public Builder<T> source(String source) {
            Objects.requireNonNull(source, "source");
            Args.notBlank(source, "source");
            try {
                java.net.URI.create(source);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("source must be a URI reference: " + source, e);
            }
            this.source = source;
            return this;
        }

        /**
         * @param prefix the reverse-DNS prefix of the type; default {@value EventEnvelopes#DEFAULT_TYPE_PREFIX}
         * @return this
         */
        public Builder<T> typePrefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isBlank() || prefix.endsWith(".")) {
                throw new IllegalArgumentException("type prefix must be non-blank and not end with a dot: " + prefix);
            }
            this.typePrefix = prefix;
            return this;
        }

        /**
         * @param mapper the Jackson 2 mapper that writes the data; the same as {@code json(Jackson2Json.of(mapper))}
         * @return this
         */
        public Builder<T> objectMapper(ObjectMapper mapper) {
            return json(Jackson2Json.of(mapper));
        }

        /**
         * @param json the JSON mapping that writes the data: the application's Jackson 2 or Jackson 3 mapper
         *             ({@link Jackson2Json#of}, {@link io.dualwrite.json.Jackson3Json#of}); default a plain Jackson 2
         *             mapper with Java time written as ISO-8601 text
         * @return this
         */
        public Builder<T> json(Json json) {
            this.json = Objects.requireNonNull(json, "json");
            return this;
        }

        /**
         * @param mapper turns the entity into the event's payload (it can never touch the envelope's
         *               identity fields); default the entity itself
         * @return this
         */
        public Builder<T> payload(Function<? super T, ?> mapper) {
            this.payload = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /** @return the envelope factory */
        public EventEnvelopes<T> build() {
            return new EventEnvelopes<>(this);
        }
    }
}
