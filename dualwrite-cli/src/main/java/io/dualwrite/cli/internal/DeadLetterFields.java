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
package io.dualwrite.cli.internal;

import io.dualwrite.DeadLetter;
import io.dualwrite.cli.DualWriteCli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A dead letter as every command shows and records it, and its id read from the command line. Stateless. */
final class DeadLetterFields {
    private DeadLetterFields() {
    }

    /**
     * A dead letter's id, taken apart.
     *
     * @param type     the entity type
     * @param entityId the entity id
     * @param sink     the sink
     */
    record Id(String type, String entityId, String sink) {
        /**
         * @param text {@code TYPE/ENTITY-ID#SINK}
         * @return its parts
         * @throws CliException (bad input) when it is not of that form
         */
        static Id parse(String text) {
            int slash = text.indexOf('/');
            int hash = text.lastIndexOf('#');
            if (slash <= 0 || hash <= slash + 1 || hash == text.length() - 1) {
                throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "'" + text + "' is not a dead letter id:"
                        + " TYPE/ENTITY-ID#SINK, for example product/p-17#search");
            }
            return new Id(text.substring(0, slash), text.substring(slash + 1, hash), text.substring(hash + 1));
        }
    }

    /** The fields of {@link #record} a listing shows, in order. */
    private static final List<String> LISTED = List.of("id", "version", "kind", "attempts", "created", "last_error");

    /** @return the fields a listing shows, one row per dead letter */
    static Map<String, Object> row(DeadLetter d) {
        Map<String, Object> all = record(d);
        Map<String, Object> row = new LinkedHashMap<>();
        LISTED.forEach(k -> row.put(k, all.get(k)));
        return row;
    }

    /** @return every field of the dead letter */
    static Map<String, Object> record(DeadLetter d) {
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
