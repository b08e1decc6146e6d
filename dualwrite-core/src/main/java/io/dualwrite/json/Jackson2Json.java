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
package io.dualwrite.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.util.Objects;

/** {@link Json} on a Jackson 2 {@link ObjectMapper}. Thread-safe, as the mapper is once configured. */
public final class Jackson2Json implements Json {
    private final ObjectMapper mapper;

    private Jackson2Json(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /**
     * @param mapper the application's Jackson 2 mapper, not null
     * @return JSON through it
     */
    public static Jackson2Json of(ObjectMapper mapper) {
        return new Jackson2Json(mapper);
    }

    /** @return JSON through a {@link JsonMapper} with the Java time module */
    public static Jackson2Json defaults() {
        return new Jackson2Json(JsonMapper.builder().addModule(new JavaTimeModule()).build());
    }

    /** @return the mapper */
    public ObjectMapper mapper() {
        return mapper;
    }

    @Override
    public String write(Object value) throws IOException {
        return mapper.writeValueAsString(value);
    }

    @Override
    public void check(Object value) throws IOException {
        mapper.writeValue(OutputStream.nullOutputStream(), value);
    }

    @Override
    public <T> T read(String json, Type type) throws IOException {
        return mapper.readValue(json, mapper.constructType(type));
    }

    @Override
    public String flavour() {
        return "jackson2";
    }

    @Override
    public String toString() {
        return "Jackson2Json{" + mapper.getClass().getName() + "}";
    }
}
