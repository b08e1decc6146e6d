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

import java.util.Optional;

/**
 * Root of every exception dualwrite throws; unchecked. Carries the entity it concerns when
 * there is one. Instances are immutable once thrown.
 */
public class DualWriteException extends RuntimeException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code entityType}. */
    private final String entityType;
    /** Serialized with the exception: its {@code entityId}. */
    private final String entityId;

    /**
     * @param message    what went wrong, naming the entity
     * @param entityType the entity type, may be null
     * @param entityId   the entity id, may be null
     * @param cause      the underlying failure, may be null
     */
    public DualWriteException(String message, String entityType, String entityId, Throwable cause) {
        super(message, cause);
        this.entityType = entityType;
        this.entityId = entityId;
    }

    /** @return the entity type concerned, if any */
    public Optional<String> entityType() {
        return Optional.ofNullable(entityType);
    }

    /** @return the entity id concerned, if any */
    public Optional<String> entityId() {
        return Optional.ofNullable(entityId);
    }
}
