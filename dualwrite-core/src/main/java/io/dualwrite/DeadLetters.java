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

import java.util.List;
import java.util.Optional;

/**
 * The operator's view of one coordinator's dead letters: list, inspect, replay and discard.
 * A replay reads the entity's current state from the primary and delivers it through the
 * normal delivery path of the dead letter's sink (policy, retries, circuit breaker); on
 * success the dead letter is removed, on failure it stays with the new error. Thread-safe.
 */
public interface DeadLetters {

    /**
     * @param query the filter
     * @return the matching dead letters of this coordinator's entity type, oldest first
     */
    List<DeadLetter> list(DeadLetterQuery query);

    /**
     * @param id a dead letter id ({@link DeadLetter#idOf})
     * @return the dead letter, if present
     */
    Optional<DeadLetter> inspect(String id);

    /** @return how many dead letters the store holds (all entity types) */
    long count();

    /**
     * Replays one dead letter.
     *
     * @param id a dead letter id
     * @return APPLIED (and removed), DEFERRED (transient failure, kept), or DEAD_LETTERED (failed again, or the primary still cannot read the entity: kept)
     * @throws java.util.NoSuchElementException when no such dead letter exists
     * @throws IllegalArgumentException         when it belongs to another entity type or to a sink that is not registered
     */
    SinkOutcome replay(String id);

    /**
     * Replays every dead letter the query matches, oldest first.
     *
     * @param query the filter
     * @return how many were applied and removed
     */
    int replayAll(DeadLetterQuery query);

    /**
     * @param id a dead letter id
     * @return true if it existed and is now discarded
     */
    boolean discard(String id);

    /**
     * @param query the filter
     * @return how many were discarded
     */
    int discardAll(DeadLetterQuery query);
}
