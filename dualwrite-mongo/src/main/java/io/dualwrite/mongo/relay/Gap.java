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
 * A lost resume point: the change stream could not resume where the relay stopped (the oplog
 * rolled over, or the server cannot resume), so the changes in between are unknown. Immutable and
 * thread-safe.
 *
 * @param relay      the relay's name
 * @param namespace  the watched collection, {@code database.collection}
 * @param lostToken  the resume token that could not be resumed, if there was one
 * @param detectedAt when the relay saw it
 * @param errorCode  the server's error code (286 for ChangeStreamHistoryLost)
 * @param message    the server's message (no document content)
 */
public record Gap(String relay, String namespace, Optional<BsonDocument> lostToken, Instant detectedAt, int errorCode,
                  String message) {
    /**
     * Checks the fields.
     *
     * @param relay see the record's {@code relay}
     * @param namespace see the record's {@code namespace}
     * @param lostToken see the record's {@code lostToken}
     * @param detectedAt see the record's {@code detectedAt}
     * @param errorCode see the record's {@code errorCode}
     * @param message see the record's {@code message}
     */
    public Gap {
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(lostToken, "lostToken");
        Objects.requireNonNull(detectedAt, "detectedAt");
        Objects.requireNonNull(message, "message");
    }
}
