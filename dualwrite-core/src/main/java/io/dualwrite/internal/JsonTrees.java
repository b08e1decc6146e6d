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
package io.dualwrite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.io.IOException;
import java.util.Objects;

/**
 * Turns a value into a Jackson 2 tree through a {@link Json} mapping, for the parts of dualwrite that edit or embed
 * the JSON of an entity (an OpenSearch document, an event's data). The application's mapper decides the JSON, on
 * Jackson 2 or Jackson 3; only the tree that carries it is Jackson 2. Thread-safe.
 */
public final class JsonTrees {
    /** Parses what another mapper wrote; plain, so it keeps the text as written. */
    private static final ObjectMapper PARSER = JsonMapper.builder().build();

    private JsonTrees() {
    }

    /**
     * @param json  the mapping that writes the value, not null
     * @param value the value, not null
     * @return the value's JSON as a tree: a Jackson 2 mapper's {@code valueToTree}, else the text the mapping
     *         wrote, parsed
     * @throws IOException              when the mapping cannot write the value (Jackson 3 throws its unchecked
     *                                  exception instead)
     * @throws IllegalArgumentException when a Jackson 2 mapper cannot convert the value
     */
    public static JsonNode toTree(Json json, Object value) throws IOException {
        Objects.requireNonNull(json, "json");
        if (json instanceof Jackson2Json jackson2) {
            return jackson2.mapper().valueToTree(value);
        }
        return PARSER.readTree(json.write(value));
    }
}
