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

import java.util.Objects;

/**
 * Turns an entity's state into a record value. The default, {@link #jackson(ObjectMapper)}, writes
 * it as JSON. Implementations must be thread-safe and side-effect free; a failure is a
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
     * @param mapper the Jackson mapper, not null
     * @param <T>    the entity type
     * @return a serializer writing {@code mapper.writeValueAsBytes(state)}
     */
    static <T> ValueSerializer<T> jackson(ObjectMapper mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return mapper::writeValueAsBytes;
    }
}
