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
package io.dualwrite.mongo.operations;

import io.dualwrite.DeadLetter;

import java.util.LinkedHashMap;
import java.util.Map;

/** A dead letter's fields as operators see them and audit records keep them. Stateless. */
public final class DeadLetters {
    private DeadLetters() {
    }

    /**
     * @param d a dead letter, not null
     * @return every field, in the order people read them, with snake-case names: id, type, entity_id, sink, version,
     *         kind, attempts, created, last_failed, first_error, last_error, correlation_id, idempotency_key (the
     *         last two may be null)
     */
    public static Map<String, Object> fields(DeadLetter d) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", d.id());
        r.put("type", d.entityType());
        r.put("entity_id", d.entityId());
        r.put("sink", d.sink());
        r.put("version", d.version());
        r.put("kind", d.kind().name());
        r.put("attempts", d.attempts());
        r.put("created", d.createdAt());
        r.put("last_failed", d.lastFailedAt());
        r.put("first_error", d.firstError());
        r.put("last_error", d.lastError());
        r.put("correlation_id", d.correlationId().orElse(null));
        r.put("idempotency_key", d.idempotencyKey().orElse(null));
        return r;
    }
}
