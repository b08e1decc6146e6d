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
package io.dualwrite.spi;

import java.util.Objects;

/**
 * Thrown by a write-ahead {@link PrimaryStore} when the caller's own write
 * ({@link PrimaryWrite#callerWrite()}) failed after the intent was recorded. The coordinator
 * rethrows {@link #callerException()} to the caller unchanged; the recorded intent makes
 * recovery deliver whatever the primary holds, which is harmless.
 */
public class CallerWriteException extends RuntimeException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code callerException}. */
    private final RuntimeException callerException;

    /** @param callerException what the caller's write threw */
    public CallerWriteException(RuntimeException callerException) {
        super(Objects.requireNonNull(callerException, "callerException"));
        this.callerException = callerException;
    }

    /** @return what the caller's write threw */
    public RuntimeException callerException() {
        return callerException;
    }
}
