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

import java.time.Instant;
import java.util.Objects;

/**
 * An intent to record with a write: sink {@code sink} must reach the write's version, and
 * recovery may deliver it from {@code dueAt} on. Immutable.
 */
public final class IntentSpec {
    private final String sink;
    private final Instant dueAt;

    /**
     * @param sink  the sink name
     * @param dueAt when recovery may deliver it (write time plus the grace period; the write time for ASYNC sinks)
     */
    public IntentSpec(String sink, Instant dueAt) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.dueAt = Objects.requireNonNull(dueAt, "dueAt");
    }

    /** @return the sink name */
    public String sink() {
        return sink;
    }

    /** @return when recovery may deliver it */
    public Instant dueAt() {
        return dueAt;
    }

    @Override
    public String toString() {
        return sink + " due " + dueAt;
    }
}
