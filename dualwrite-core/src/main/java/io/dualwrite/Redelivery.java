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
import java.util.Optional;

/**
 * What became of one entity in a counted redelivery
 * ({@link WriterOperations#redeliver(String, java.util.Collection, java.util.Map, int)}), and what the
 * next one needs to go on counting: the caller keeps the {@link SinkOutcome#DEFERRED} ones and
 * passes them back with its next attempt. Immutable and thread-safe.
 *
 * @param id         the entity id
 * @param outcome    {@link SinkOutcome#APPLIED}, {@link SinkOutcome#DEFERRED},
 *                   {@link SinkOutcome#DEAD_LETTERED} or {@link SinkOutcome#SKIPPED}
 * @param version    the version that was sent, the primary's current one; 0 when nothing was sent
 *                   because the primary does not hold the id
 * @param attempts   the failed attempts of that version at the sink so far, this one included when the
 *                   sink received it (an open circuit or a full bulkhead counts none); 0 when applied or
 *                   skipped
 * @param kind       the last failure's kind, when it failed
 * @param firstError the first failure of that version, when it failed
 * @param lastError  the last failure, when it failed
 */
public record Redelivery(String id, SinkOutcome outcome, long version, int attempts, Optional<ErrorKind> kind,
                         Optional<String> firstError, Optional<String> lastError) {
    /**
     * Checks the fields.
     *
     * @param id the {@code id} component
     * @param outcome the {@code outcome} component
     * @param version the {@code version} component
     * @param attempts the {@code attempts} component
     * @param kind the {@code kind} component
     * @param firstError the {@code firstError} component
     * @param lastError the {@code lastError} component
     * @throws NullPointerException     if a field is null
     * @throws IllegalArgumentException if attempts is negative
     */
    public Redelivery {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(firstError, "firstError");
        Objects.requireNonNull(lastError, "lastError");
        Args.atLeast(attempts, 0, "attempts");
    }

    /**
     * @param id      the entity id
     * @param outcome APPLIED or SKIPPED
     * @param version the version sent, or 0
     * @return a redelivery without a failure
     */
    public static Redelivery withoutFailure(String id, SinkOutcome outcome, long version) {
        return new Redelivery(id, outcome, version, 0, Optional.empty(), Optional.empty(), Optional.empty());
    }
}
