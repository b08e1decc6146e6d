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
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.ErrorKind;
import io.dualwrite.cli.DualWriteCli;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which dead letters a command acts on: the ids named, or those a filter matches. Every name is checked before any
 * command changes anything: a malformed id or an unknown type is bad input, an id that names no dead letter is not
 * found. Not thread-safe.
 */
final class Selection {
    @Parameters(paramLabel = "ID", arity = "0..*", description = "dead letter ids, TYPE/ENTITY-ID#SINK")
    List<String> ids = new ArrayList<>();

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "entity type")
    String type;

    @Option(names = {"-s", "--sink"}, paramLabel = "SINK", description = "sink name")
    String sink;

    @Option(names = {"-k", "--kind"}, paramLabel = "KIND",
            description = "error kind of the last failure: ${COMPLETION-CANDIDATES}")
    ErrorKind kind;

    @Option(names = "--entity-id", paramLabel = "ID", description = "entity id")
    String entityId;

    @Option(names = "--since", paramLabel = "TIME", converter = Times.InstantConverter.class,
            description = "first dead-lettered at or after: 2026-12-06T15:00:00Z, or a duration ago (30m, 2h, 7d)")
    Instant since;

    @Option(names = "--until", paramLabel = "TIME", converter = Times.InstantConverter.class,
            description = "first dead-lettered before: a time or a duration ago")
    Instant until;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DeadLetterQuery.DEFAULT_LIMIT,
            description = "the most dead letters to take; default ${DEFAULT-VALUE}")
    int limit;

    /** @return whether a filter option was given */
    boolean filtered() {
        return type != null || sink != null || kind != null || entityId != null || since != null || until != null;
    }

    /**
     * @param verb what is about to be done to the dead letters
     * @throws CliException (bad input) when neither an id nor a filter names them: an act never applies to every
     *                      dead letter by default
     */
    void requireChosen(String verb) {
        if (ids.isEmpty() && !filtered()) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "name the dead letters to " + verb + ": by id, or by"
                    + " filter (--type, --sink, --kind, --entity-id, --since, --until)");
        }
    }

    /**
     * @param primary the primary
     * @return the dead letters named or matched, oldest first
     * @throws CliException bad input or not found, before anything is changed
     */
    List<DeadLetter> resolve(Primary primary) {
        if (limit < 1) {
            throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "--limit must be at least 1, not " + limit);
        }
        if (!ids.isEmpty()) {
            if (filtered()) {
                throw new CliException(DualWriteCli.EXIT_BAD_INPUT, "name dead letters by id or by filter, not both");
            }
            List<DeadLetter> out = new ArrayList<>();
            for (String id : ids) {
                out.add(one(primary, id));
            }
            return out;
        }
        return primary.ops().deadLetters(query());
    }

    /**
     * @param primary the primary
     * @param id      a dead letter id
     * @return the dead letter
     * @throws io.dualwrite.mongo.operations.OperationRejectedException bad input (malformed, unknown type) or not found
     */
    static DeadLetter one(Primary primary, String id) {
        return primary.ops().deadLetter(id);
    }

    private DeadLetterQuery query() {
        DeadLetterQuery.Builder q = DeadLetterQuery.builder().limit(limit);
        if (type != null) {
            q.entityType(type);
        }
        if (sink != null) {
            q.sink(sink);
        }
        if (kind != null) {
            q.kind(kind);
        }
        if (entityId != null) {
            q.entityId(entityId);
        }
        if (since != null) {
            q.createdFrom(since);
        }
        if (until != null) {
            q.createdBefore(until);
        }
        return q.build();
    }
}
