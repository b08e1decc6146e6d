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

/**
 * The caller passed the version it read ({@link WriteOptions.Builder#expectedVersion(long)})
 * and the entity has moved on since: nothing was written.
 */
public class VersionConflictException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code expectedVersion}. */
    private final long expectedVersion;
    /** Serialized with the exception: its {@code actualVersion}. */
    private final long actualVersion;

    /**
     * @param entityType      the entity type
     * @param entityId        the entity id
     * @param expectedVersion the version the caller expected (0: must not exist)
     * @param actualVersion   the version the primary holds (0: no such entity)
     */
    public VersionConflictException(String entityType, String entityId, long expectedVersion, long actualVersion) {
        super("version conflict on " + entityType + "/" + entityId + ": expected version " + expectedVersion
                + " but the primary holds " + actualVersion + "; nothing was written", entityType, entityId, null);
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    /** @return the version the caller expected */
    public long expectedVersion() {
        return expectedVersion;
    }

    /** @return the version the primary holds, 0 when the entity does not exist */
    public long actualVersion() {
        return actualVersion;
    }
}
