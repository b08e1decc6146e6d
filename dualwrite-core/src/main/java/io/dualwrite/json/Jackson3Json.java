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

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.OutputStream;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * {@link Json} on a Jackson 3 ({@code tools.jackson}) {@link ObjectMapper}, such as the {@code JsonMapper} bean of a
 * Spring Boot 4 application. Needs {@code tools.jackson.core:jackson-databind} on the classpath, which dualwrite
 * does not bring. Failures are Jackson 3's unchecked {@code JacksonException}. Thread-safe, as the mapper is.
 */
public final class Jackson3Json implements Json {
    private final ObjectMapper mapper;

    private Jackson3Json(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /**
     * @param mapper the application's Jackson 3 mapper, not null
     * @return JSON through it
     */
    public static Jackson3Json of(ObjectMapper mapper) {
        return new Jackson3Json(mapper);
    }

    /**
     * @return JSON through a default {@link JsonMapper} (Jackson 3 reads and writes java.time types itself), which,
     *         as Jackson 2 does by default, refuses a bean with nothing to write (Jackson 3 writes {@code {}} by
     *         default): an entity the mapper cannot see into fails before anything is written, on either flavour
     */
    public static Jackson3Json defaults() {
        return new Jackson3Json(JsonMapper.builder().enable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build());
    }

    /** @return the mapper */
    public ObjectMapper mapper() {
        return mapper;
    }

    @Override
    public String write(Object value) {
        return mapper.writeValueAsString(value);
    }

    @Override
    public void check(Object value) {
        mapper.writeValue(OutputStream.nullOutputStream(), value);
    }

    @Override
    public <T> T read(String json, Type type) {
        return mapper.readValue(json, mapper.getTypeFactory().constructType(type));
    }

    @Override
    public String flavour() {
        return "jackson3";
    }

    @Override
    public String toString() {
        return "Jackson3Json{" + mapper.getClass().getName() + "}";
    }
}
