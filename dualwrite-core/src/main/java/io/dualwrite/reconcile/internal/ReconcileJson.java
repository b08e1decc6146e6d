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
package io.dualwrite.reconcile.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one JSON mapping of plans, reports and checkpoints: properties in declaration order, map
 * entries sorted, instants as ISO-8601 text, so equal values give equal bytes. Thread-safe.
 */
public final class ReconcileJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.AUTO_DETECT_IS_GETTERS)
            .build();

    private ReconcileJson() {
    }

    /**
     * @param value a plan, report or checkpoint
     * @return its JSON
     */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /**
     * @param json JSON written by {@link #write}
     * @param type the type to read
     * @param <V>  the type
     * @return the value
     * @throws IllegalArgumentException if the JSON does not describe a value of that type
     */
    public static <V> V read(String json, Class<V> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not the JSON of a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param counts counts by sink and enum key, may be null
     * @param type   the enum type
     * @param <E>    the enum
     * @return an unmodifiable copy, sinks sorted, enum keys in declaration order
     */
    public static <E extends Enum<E>> Map<String, Map<E, Long>> copyCounts(Map<String, Map<E, Long>> counts,
                                                                           Class<E> type) {
        Map<String, Map<E, Long>> out = new TreeMap<>();
        if (counts != null) {
            counts.forEach((sink, byKey) -> {
                Map<E, Long> m = new EnumMap<>(type);
                if (byKey != null) {
                    m.putAll(byKey);
                }
                out.put(sink, Collections.unmodifiableMap(m));
            });
        }
        return Collections.unmodifiableMap(out);
    }
}
