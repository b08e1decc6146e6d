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

import java.util.Objects;
import java.util.Optional;

/**
 * Turns a change into the request body the third-party API expects. The default,
 * {@link #json(ObjectMapper)}, sends the entity as JSON for an upsert and no body for a delete.
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
     * @param mapper the Jackson mapper
     * @param <T>    the entity type
     * @return the entity as JSON for an upsert, no body for a delete
     */
    static <T> HttpBodyMapper<T> json(ObjectMapper mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return change -> change.isDelete() ? Optional.empty() : Optional.of(mapper.writeValueAsBytes(change.requireState()));
    }
}
