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
package io.dualwrite.testkit;

import java.util.List;
import java.util.Objects;

/**
 * A small entity for tests of sinks and wiring: an id, a name, a price and some tags. Jackson
 * reads and writes it as a plain JSON object ({@code {"id":…,"name":…,"price":…,"tags":[…]}}).
 * Immutable and thread-safe.
 *
 * @param id    the entity id, not null
 * @param name  a name, not null
 * @param price a price in minor units
 * @param tags  tags, not null (copied; null becomes empty)
 */
public record TestItem(String id, String name, long price, List<String> tags) {

    /**
     * @param id the {@code id} component
     * @param name the {@code name} component
     * @param price the {@code price} component
     * @param tags the {@code tags} component
     * @throws NullPointerException if id or name is null
     */
    public TestItem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /**
     * A deterministic item whose content depends only on the id and the variant, so a test can
     * tell which write a destination holds.
     *
     * @param id      the entity id, not null
     * @param variant any number; different variants give different content
     * @return the item
     */
    public static TestItem variant(String id, int variant) {
        Objects.requireNonNull(id, "id");
        return new TestItem(id, "item " + id + " v" + variant, 100L + variant, List.of("v" + variant, "t" + (variant % 3)));
    }

    /**
     * @param newName the new name, not null
     * @return a copy with another name
     */
    public TestItem withName(String newName) {
        return new TestItem(id, newName, price, tags);
    }
}
