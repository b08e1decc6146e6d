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
package io.dualwrite.mongo.relay;

import io.dualwrite.Redelivery;
import io.dualwrite.SinkOutcome;

import java.time.Instant;
import java.util.Objects;

/**
 * A change a {@link ChangeStreamRelay} read but could not deliver to one sink yet (a transient
 * failure): it is kept with the relay's checkpoint and tried again at {@code due}, with backoff,
 * until it is delivered or its attempts are spent and it is dead-lettered. Immutable and
 * thread-safe.
 *
 * @param sink       the sink it waits for
 * @param redelivery the last attempt: entity id, version, failed attempts so far, kind, first and
 *                   last error; its outcome is {@link SinkOutcome#DEFERRED}
 * @param due        when the relay tries it again
 */
public record DeferredChange(String sink, Redelivery redelivery, Instant due) {
    /**
     * Checks the fields.
     *
     * @param sink the {@code sink} component
     * @param redelivery the {@code redelivery} component
     * @param due the {@code due} component
     * @throws NullPointerException     if a field is null
     * @throws IllegalArgumentException if the redelivery was not deferred
     */
    public DeferredChange {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(redelivery, "redelivery");
        Objects.requireNonNull(due, "due");
        if (redelivery.outcome() != SinkOutcome.DEFERRED) {
            throw new IllegalArgumentException("a deferred change needs a deferred redelivery, not "
                    + redelivery.outcome());
        }
    }

    /** @return the entity id */
    public String id() {
        return redelivery.id();
    }
}
