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
package io.dualwrite;

import io.dualwrite.spi.Sink;

import java.util.Objects;

/**
 * A sink registered with a writer: its name, the sink and how it is delivered to. Immutable.
 *
 * @param name     the sink's name, unique per writer
 * @param sink     the sink
 * @param settings its delivery settings
 * @param <T>      the entity type
 */
public record SinkRegistration<T>(String name, Sink<T> sink, SinkSettings settings) {
    /**
     * Checks that no part is null.
     *
     * @param name     the sink's name
     * @param sink     the sink
     * @param settings its delivery settings
     */
    public SinkRegistration {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(settings, "settings");
    }
}
