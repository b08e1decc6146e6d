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
package io.dualwrite.redis;

import java.util.Objects;
import java.util.Optional;

/**
 * Where an entity lives in Redis: a key template with the placeholders {@code {type}} (the entity
 * type, optional) and {@code {id}} (the entity id, exactly once), for example
 * {@code cache:{type}:{id}} or {@code shop:product:{id}:v1}. Each sink, and so each entity type,
 * has its own layout. The part of the key before and after {@code {id}} is fixed per entity type,
 * which lets the sink find its keys with one SCAN pattern and read the id back from a key.
 *
 * <p>Immutable and thread-safe.
 */
public final class RedisKeyLayout {
    /** The template used when none is given. */
    public static final String DEFAULT_TEMPLATE = "dualwrite:{type}:{id}";

    private static final String ID = "{id}";
    private static final String TYPE = "{type}";

    private final String template;

    private RedisKeyLayout(String template) {
        this.template = template;
    }

    /**
     * @param template the key template; must contain {@code {id}} exactly once and may contain {@code {type}}
     * @return the layout
     * @throws IllegalArgumentException if the template does not contain {@code {id}} exactly once, or puts
     *                                  {@code {type}} right beside it
     */
    public static RedisKeyLayout of(String template) {
        Objects.requireNonNull(template, "template");
        int first = template.indexOf(ID);
        if (first < 0 || template.indexOf(ID, first + 1) >= 0) {
            throw new IllegalArgumentException("a key template must contain {id} exactly once: " + template);
        }
        if (template.contains(TYPE + ID) || template.contains(ID + TYPE)) {
            throw new IllegalArgumentException("a key template must separate {type} from {id} (as in"
                    + " dualwrite:{type}:{id}): without a separator, the keys of two entity types can be the same: "
                    + template);
        }
        return new RedisKeyLayout(template);
    }

    /**
     * Checks that an entity type's keys can never be another type's: the text that separates {@code {type}} from
     * {@code {id}} in the template must not start (or, after {@code {id}}, end) inside the type (with
     * {@code dualwrite:{type}:{id}}, types {@code order} and {@code order:line} would give id {@code line:7} of the
     * one and id {@code 7} of the other the same key).
     *
     * @param entityType an entity type
     * @return the entity type
     * @throws IllegalArgumentException when it contains that separator
     */
    public String checkEntityType(String entityType) {
        Objects.requireNonNull(entityType, "entityType");
        int id = template.indexOf(ID);
        int type = template.indexOf(TYPE);
        while (type >= 0) {
            String between = type < id ? template.substring(type + TYPE.length(), id)
                    : template.substring(id + ID.length(), type);
            // another type's keys can reach into this one's when the separator can start inside the type (before
            // {id}: "a/v1" + "/v1/" also reads as "a" + "/v1/" + "v1/..."), or end inside it (after {id})
            boolean overlaps = type < id ? (entityType + between).indexOf(between) < entityType.length()
                    : (between + entityType).lastIndexOf(between) > 0;
            if (!between.isEmpty() && overlaps) {
                throw new IllegalArgumentException("entity type '" + entityType + "' contains '" + between
                        + "', which separates {type} from {id} in the key template " + template + ": its keys could"
                        + " be another entity type's; choose a type without it, or another template");
            }
            type = template.indexOf(TYPE, type + 1);
        }
        return entityType;
    }

    /** @return the layout of {@link #DEFAULT_TEMPLATE} */
    public static RedisKeyLayout defaults() {
        return of(DEFAULT_TEMPLATE);
    }

    /** @return the template */
    public String template() {
        return template;
    }

    /**
     * @param entityType the entity type
     * @param id         the entity id
     * @return the key of that entity
     */
    public String key(String entityType, String id) {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(id, "id");
        return prefix(entityType) + id + suffix(entityType);
    }

    /**
     * @param entityType the entity type
     * @return a SCAN {@code MATCH} pattern that matches every key of that entity type (glob
     *         characters of the fixed parts are escaped)
     */
    public String scanPattern(String entityType) {
        return escapeGlob(prefix(entityType)) + "*" + escapeGlob(suffix(entityType));
    }

    /**
     * @param entityType the entity type
     * @param key        a key found in Redis
     * @return the entity id the key holds, empty if the key does not belong to this layout
     */
    public Optional<String> idOf(String entityType, String key) {
        String prefix = prefix(entityType);
        String suffix = suffix(entityType);
        if (key.length() < prefix.length() + suffix.length() || !key.startsWith(prefix) || !key.endsWith(suffix)) {
            return Optional.empty();
        }
        return Optional.of(key.substring(prefix.length(), key.length() - suffix.length()));
    }

    private String prefix(String entityType) {
        return template.substring(0, template.indexOf(ID)).replace(TYPE, entityType);
    }

    private String suffix(String entityType) {
        return template.substring(template.indexOf(ID) + ID.length()).replace(TYPE, entityType);
    }

    private static String escapeGlob(String s) {
        StringBuilder out = new StringBuilder(s.length() + 4);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RedisKeyLayout && ((RedisKeyLayout) o).template.equals(template);
    }

    @Override
    public int hashCode() {
        return template.hashCode();
    }

    @Override
    public String toString() {
        return "RedisKeyLayout{" + template + "}";
    }
}
