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
package io.dualwrite.mongo.events;

import io.dualwrite.spi.PrimaryWrite;
import org.bson.BsonDocument;

/**
 * The hook through which {@link io.dualwrite.mongo.MongoPrimaryStore} records each committed write's
 * event inside the same single-document write as the state, version and intents (no
 * transaction): the store calls {@link #afterCommit} while it builds the new document and stores
 * the result under {@code _dw.}{@value #FIELD}. {@link EmbeddedEvents} is the implementation;
 * {@link EmbeddedEventRelay} publishes and removes what it records. Implementations must be
 * thread-safe and must not write anything themselves.
 */
public interface EventRecorder {
    /** The sub-field of {@code _dw} that holds the recorded events. */
    String FIELD = "ev";

    /**
     * Computes the events the document holds once this write commits: those it held plus this
     * write's. Called once per commit attempt, before the conditional write (a lost race calls it
     * again with the newer document).
     *
     * @param collection  the entity collection's name, for messages
     * @param currentMeta the {@code _dw} field of the stored document, or null for a new entity
     * @param write       the write being committed
     * @param version     the version the write commits
     * @param state       the entity's encoded state after the write, or null for a delete
     * @return the value of {@code _dw.}{@value #FIELD} after the write, or null for none
     * @throws EventBacklogFullException when the document would hold more events than its bound;
     *                                   nothing is written
     */
    BsonDocument afterCommit(String collection, BsonDocument currentMeta, PrimaryWrite<?> write, long version, BsonDocument state);
}
