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
import io.dualwrite.Change;
import io.dualwrite.json.Jackson2Json;
import io.dualwrite.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a change into the request body the third-party API expects. The default, {@link #json(Json)}, sends the
 * entity as JSON (written by the application's Jackson 2 or Jackson 3 mapper) for an upsert and no body for a delete.
 * It runs while the sink maps a change, before any I/O: a mapper that throws, whatever it throws,
 * fails that change as a mapping failure, {@link io.dualwrite.ErrorKind#PERMANENT} (dead-lettered at
 * once, never retried, never counted against the sink's circuit breaker). Implementations must be
 * thread-safe and must not do I/O.
 *
 * @param <T> the entity type
 */
@FunctionalInterface
public interface HttpBodyMapper<T> {
    /** The content type of the default mapper's bodies. */
    String JSON = "application/json";

    /**
     * @param change the change
     * @return the body, or empty to send none
     * @throws Exception if the change cannot be mapped
     */
    Optional<byte[]> body(Change<T> change) throws Exception;

    /** @return the {@code Content-Type} of the bodies; default {@value #JSON} */
    default String contentType() {
        return JSON;
    }

    /**
     * @param mapper the Jackson 2 mapper
     * @param <T>    the entity type
     * @return the entity as JSON for an upsert, no body for a delete; the same as {@code json(Jackson2Json.of(mapper))}
     */
    static <T> HttpBodyMapper<T> json(ObjectMapper mapper) {
        return json(Jackson2Json.of(mapper));
    }

    /**
     * @param json the application's JSON mapping, Jackson 2 or Jackson 3 ({@link Jackson2Json#of},
     *             {@link io.dualwrite.json.Jackson3Json#of}), not null
     * @param <T>  the entity type
     * @return the entity as the mapping writes it, in UTF-8, for an upsert; no body for a delete
     */
    static <T> HttpBodyMapper<T> json(Json json) {
        Objects.requireNonNull(json, "json");
        return change -> change.isDelete() ? Optional.empty()
                : Optional.of(json.write(change.requireState()).getBytes(StandardCharsets.UTF_8));
    }
}
