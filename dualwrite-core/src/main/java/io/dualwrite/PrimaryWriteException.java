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
 * The primary store could not commit (it is down, it refused the document, the write timed
 * out). No sink was touched. When {@link #kind()} is {@link ErrorKind#UNKNOWN_OUTCOME} the
 * coordinator could not tell whether the write landed; if it did, its intents are durable
 * and recovery delivers it, so no sink ever misses a committed write.
 */
public class PrimaryWriteException extends DualWriteException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code kind}. */
    private final ErrorKind kind;

    /**
     * @param message    what failed
     * @param entityType the entity type
     * @param entityId   the entity id
     * @param kind       how the store's classifier judged the failure
     * @param cause      the store's exception
     */
    public PrimaryWriteException(String message, String entityType, String entityId, ErrorKind kind, Throwable cause) {
        super(message, entityType, entityId, cause);
        this.kind = kind;
    }

    /** @return TRANSIENT (safe to retry the call), PERMANENT (the same call fails again) or UNKNOWN_OUTCOME */
    public ErrorKind kind() {
        return kind;
    }
}
