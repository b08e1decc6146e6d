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

import java.io.IOException;
import java.lang.reflect.Type;

/**
 * Turns entities into JSON and back, for the writer's serialization check and for the sinks that store JSON. One
 * interface whichever Jackson the application uses: {@link Jackson2Json#of} wraps a Jackson 2 {@code ObjectMapper},
 * {@link Jackson3Json#of} a Jackson 3 one, and {@link #defaults()} picks by the classpath. A failure to map is a
 * Jackson exception ({@code JsonProcessingException} in Jackson 2, the unchecked {@code JacksonException} in
 * Jackson 3), which {@link io.dualwrite.ErrorClassifier#defaults()} classifies as permanent either way.
 * Implementations are thread-safe.
 */
public interface Json {

    /**
     * @param value an object, not null
     * @return its JSON
     * @throws IOException when the mapper cannot write it (Jackson 3 throws its unchecked exception instead)
     */
    String write(Object value) throws IOException;

    /**
     * Writes a value to nowhere: checks that it serializes without keeping the text.
     *
     * @param value an object, not null
     * @throws IOException when the mapper cannot write it (Jackson 3 throws its unchecked exception instead)
     */
    void check(Object value) throws IOException;

    /**
     * @param json JSON text, not null
     * @param type the type to read, a class or a parameterized type
     * @param <T>  the type
     * @return the value
     * @throws IOException when the mapper cannot read it (Jackson 3 throws its unchecked exception instead)
     */
    <T> T read(String json, Type type) throws IOException;

    /** @return which Jackson backs it: {@code "jackson2"} or {@code "jackson3"} */
    String flavour();

    /**
     * The default when the application gives no mapper: Jackson 3 when {@code tools.jackson.databind} is on the
     * classpath (Spring Boot 4 applications), else Jackson 2 with the Java time module.
     *
     * @return a new default instance
     */
    static Json defaults() {
        return JsonFlavours.jackson3Available() ? JsonFlavours.jackson3() : Jackson2Json.defaults();
    }
}
