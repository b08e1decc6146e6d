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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dualwrite.internal.JsonTrees;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.util.Objects;

/**
 * Turns an entity into the JSON document the search index holds. The default, {@link #json(Json)}, writes the
 * entity as the application's Jackson 2 or Jackson 3 mapper would; supply your own to index a
 * projection (only the searchable fields, a flattened shape, a computed field). Implementations
 * must be thread-safe and side-effect free; a failure is a {@link io.dualwrite.ErrorKind#PERMANENT}
 * error of that change (it would fail the same way every time).
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface DocumentMapper<T> {

    /**
     * @param entity the entity's state, never null
     * @return the document, a JSON object; it must not use the field {@link OpenSearchSink#META_FIELD},
     *         which the sink fills
     * @throws Exception when the entity cannot be mapped
     */
    ObjectNode toDocument(T entity) throws Exception;

    /**
     * @param mapper the Jackson 2 mapper, not null
     * @param <T>    the entity type
     * @return a mapper that writes the entity as {@code mapper.valueToTree(entity)}, the same as
     *         {@code json(Jackson2Json.of(mapper))}
     */
    static <T> DocumentMapper<T> jackson(ObjectMapper mapper) {
        return json(Jackson2Json.of(mapper));
    }

    /**
     * @param json the application's JSON mapping, Jackson 2 or Jackson 3 ({@link Jackson2Json#of},
     *             {@link io.dualwrite.json.Jackson3Json#of}), not null
     * @param <T>  the entity type
     * @return a mapper that writes the entity as the mapping does (its naming, modules and features); an entity
     *         that does not serialise to a JSON object is rejected with an {@link IllegalArgumentException}
     */
    static <T> DocumentMapper<T> json(Json json) {
        Objects.requireNonNull(json, "json");
        return entity -> {
            JsonNode node = JsonTrees.toTree(json, entity);
            if (!(node instanceof ObjectNode)) {
                throw new IllegalArgumentException("an indexed document must be a JSON object, the entity of type "
                        + entity.getClass().getName() + " maps to a " + node.getNodeType());
            }
            return (ObjectNode) node;
        };
    }
}
