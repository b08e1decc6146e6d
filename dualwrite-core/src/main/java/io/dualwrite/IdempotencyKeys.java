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

import io.dualwrite.internal.Args;
import java.util.Objects;

/**
 * Builds the default idempotency key of a change: {@code <type>/<id>@<version>}.
 * Thread-safe (stateless).
 */
public final class IdempotencyKeys {
    private IdempotencyKeys() {
    }

    /**
     * @param entityType the entity type, not null
     * @param id         the entity id, not null
     * @param version    the committed version, at least 1
     * @return {@code entityType + "/" + id + "@" + version}
     * @throws IllegalArgumentException if version is below 1
     */
    public static String of(String entityType, String id, long version) {
        Objects.requireNonNull(entityType, "entityType");
        Objects.requireNonNull(id, "id");
        Args.atLeast(version, 1, "version");
        return entityType + "/" + id + "@" + version;
    }
}
