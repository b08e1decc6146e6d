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

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Turns an entity's state into a record value. The default, {@link #json(Json)}, writes it as JSON with the
 * application's Jackson 2 or Jackson 3 mapper. Implementations must be thread-safe and side-effect free; a failure is a
 * {@link io.dualwrite.ErrorKind#PERMANENT} error of that change.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface ValueSerializer<T> {

    /**
     * @param state the entity's state, never null
     * @return the record value, not null
     * @throws Exception when the state cannot be written
     */
    byte[] serialize(T state) throws Exception;

    /**
     * @param mapper the Jackson 2 mapper, not null
     * @param <T>    the entity type
     * @return a serializer writing the state as the mapper does; the same as {@code json(Jackson2Json.of(mapper))}
     */
    static <T> ValueSerializer<T> jackson(ObjectMapper mapper) {
        return json(Jackson2Json.of(mapper));
    }

    /**
     * @param json the application's JSON mapping, Jackson 2 or Jackson 3 ({@link Jackson2Json#of},
     *             {@link io.dualwrite.json.Jackson3Json#of}), not null
     * @param <T>  the entity type
     * @return a serializer writing the state as the mapping does, in UTF-8
     */
    static <T> ValueSerializer<T> json(Json json) {
        Objects.requireNonNull(json, "json");
        return state -> json.write(state).getBytes(StandardCharsets.UTF_8);
    }
}
