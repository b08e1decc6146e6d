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
package io.dualwrite.testkit.fault;

import io.dualwrite.ErrorKind;
import io.dualwrite.spi.SinkException;

import java.util.Objects;

/**
 * A failure a {@link FaultySink} made up. It is a {@link SinkException}, so every classifier that
 * honours {@link SinkException#kind()} (the default one does) treats it as the kind it was injected
 * with. Immutable.
 */
public final class InjectedFaultException extends SinkException {
    /** The version of the serialized form. */
    private static final long serialVersionUID = 1L;

    /** Serialized with the exception: its {@code fault}. */
    private final Fault fault;

    /**
     * @param fault   which fault made it
     * @param kind    how the coordinator must treat it
     * @param message what happened (ids and versions only)
     */
    public InjectedFaultException(Fault fault, ErrorKind kind, String message) {
        super(message, kind, null);
        this.fault = Objects.requireNonNull(fault, "fault");
    }

    /** @return the fault that made this failure */
    public Fault fault() {
        return fault;
    }
}
