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
package io.dualwrite.testkit.explore;

import java.util.Objects;

/**
 * How the explorer makes entities of a type and tells them apart. Each write the explorer makes
 * carries a unique <em>tag</em> in its entity's content, so the checks can tell which write a
 * version of the primary, or a sink, holds. Implementations must be thread-safe (stateless).
 *
 * @param <T> the entity type
 */
public interface EntityModel<T> {

    /**
     * Makes the state one write saves.
     *
     * @param id      the entity id
     * @param tag     the write's unique tag, to be recoverable by {@link #tagOf}
     * @param variant 0 or 1: two shapes of the same content, for types whose stored form may differ
     *                from the object saved (a field the codec leaves out when empty, a default
     *                value); a model without such fields ignores it
     * @return the state
     */
    T create(String id, String tag, int variant);

    /**
     * @param state a state made by {@link #create}, as saved or as read back from a store or a sink
     * @return its tag
     */
    String tagOf(T state);

    /**
     * @param a a state
     * @param b another state
     * @return true when they hold the same content (default {@link Objects#equals})
     */
    default boolean sameContent(T a, T b) {
        return Objects.equals(a, b);
    }
}
