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
package io.dualwrite.mongo.operations;

import io.dualwrite.DualWriteException;

import java.util.Objects;

/**
 * An operator's act refused before it changed anything: the input was wrong (an unknown entity type, a malformed id, a
 * missing reason) or what it names does not exist. The message says which, for people; {@link #rejection()} says
 * which kind, for programs (the command line maps it to its exit code, an HTTP endpoint to its status). Immutable.
 */
public class OperationRejectedException extends DualWriteException {
    private static final long serialVersionUID = 1L;

    /** Why an act was refused. Thread-safe (an enum). */
    public enum Rejection {
        /** The input was wrong: an unknown entity type, a malformed id or range, a missing value. */
        BAD_INPUT,
        /** What the input names does not exist: a dead letter, the entity of one, a request. */
        NOT_FOUND
    }

    /** Serialized with the exception: why it was refused. */
    private final Rejection rejection;

    /**
     * @param rejection why, not null
     * @param message   what was wrong, for people
     * @param cause     the underlying failure, may be null
     */
    public OperationRejectedException(Rejection rejection, String message, Throwable cause) {
        super(message, null, null, cause);
        this.rejection = Objects.requireNonNull(rejection, "rejection");
    }

    /** @return why the act was refused */
    public Rejection rejection() {
        return rejection;
    }

    static OperationRejectedException badInput(String message) {
        return new OperationRejectedException(Rejection.BAD_INPUT, message, null);
    }

    static OperationRejectedException notFound(String message) {
        return new OperationRejectedException(Rejection.NOT_FOUND, message, null);
    }
}
