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

import org.bson.BsonDocument;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a change-stream relay stands, as kept in its checkpoint collection: the resume token after
 * the last batch it finished (each change delivered, dead-lettered, or kept waiting with the
 * checkpoint; see {@link ChangeStreamRelay#deferred()}), or a point in time to start at (a replay,
 * or the present after a gap).
 * Pass one to {@link ChangeStreamRelayBuilder#replayFrom(Checkpoint)} to start again from it.
 * Immutable and thread-safe.
 *
 * @param relay       the relay's name (the checkpoint document's {@code _id})
 * @param resumeToken the resume token after the last finished batch, if any
 * @param startAt     when there is no token: the operation time to start at, if any
 * @param updatedAt   when the checkpoint was last written
 * @param delivered   entities the relay finished with since the checkpoint was created: delivered to
 *                    every sink, or dead-lettered where they could not be
 * @param gaps        lost resume points recorded so far
 */
public record Checkpoint(String relay, Optional<BsonDocument> resumeToken, Optional<Instant> startAt, Instant updatedAt,
                         long delivered, int gaps) {
    /**
     * Checks the fields.
     *
     * @param relay see the record's {@code relay}
     * @param resumeToken see the record's {@code resumeToken}
     * @param startAt see the record's {@code startAt}
     * @param updatedAt see the record's {@code updatedAt}
     * @param delivered see the record's {@code delivered}
     * @param gaps see the record's {@code gaps}
     */
    public Checkpoint {
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(resumeToken, "resumeToken");
        Objects.requireNonNull(startAt, "startAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
