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
package io.dualwrite.internal;

import io.dualwrite.ErrorKind;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.SinkException;

/**
 * The outcome of one delivery to a sink, on whatever road it took: its result, or the kind of its failure, the
 * failure itself and whether the sink was called at all. Immutable.
 */
final class Delivery {
    private static final SinkException NOT_SENT = new SinkException("not sent: the time left could not hold the call",
            ErrorKind.TRANSIENT, null);

    final ApplyResult result;
    final ErrorKind kind;
    final Throwable error;
    final int attempts;
    final boolean notCalled;

    Delivery(ApplyResult result, ErrorKind kind, Throwable error, int attempts, boolean notCalled) {
        this.result = result;
        this.kind = kind;
        this.error = error;
        this.attempts = attempts;
        this.notCalled = notCalled;
    }

    static Delivery ok(ApplyResult result, int attempts) {
        return new Delivery(result, null, null, attempts, false);
    }

    /** @return a change that was not sent because no call could have ended within the time left (a lease) */
    static Delivery notSent() {
        return new Delivery(null, ErrorKind.TRANSIENT, NOT_SENT, 0, true);
    }

    /** @return true for {@link #notSent()} */
    boolean wasNotSent() {
        return error == NOT_SENT;
    }

    boolean succeeded() {
        return error == null;
    }
}
