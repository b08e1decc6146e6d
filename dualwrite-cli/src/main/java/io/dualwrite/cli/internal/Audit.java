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

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.dualwrite.DeadLetter;
import org.bson.Document;
import org.bson.types.ObjectId;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * The audit trail of what operators did to dead letters, in the primary (collection {@value #COLLECTION}): one
 * document per act, written before the act ({@code outcome: "started"}) and completed after it, so a tool that dies
 * midway still leaves a trace of who started what. Fields: {@code action}, {@code deadLetterId}, {@code deadLetter}
 * (every field as it was), {@code by}, {@code reason}, {@code host}, {@code at}, {@code outcome}, {@code endedAt}.
 * Not thread-safe.
 */
final class Audit {
    /** The collection of the audit records. */
    static final String COLLECTION = "dualwrite_dead_letter_audit";
    static final String STARTED = "started";

    private final MongoCollection<Document> records;
    private final Actor actor;
    private final String host;

    Audit(Primary primary, Actor actor) {
        this.records = primary.collection(COLLECTION);
        this.actor = actor;
        this.host = hostName();
    }

    /**
     * @param action what is done ({@code replay}, {@code discard})
     * @param d      the dead letter it is done to
     * @param at     when
     * @return the record's id, to {@link #end} it
     */
    ObjectId begin(String action, DeadLetter d, Instant at) {
        ObjectId id = new ObjectId();
        Document fields = new Document();
        for (Map.Entry<String, Object> e : DeadLetterFields.record(d).entrySet()) {
            Object v = e.getValue();
            fields.append(e.getKey(), v instanceof Instant i ? Date.from(i) : v);
        }
        records.insertOne(new Document("_id", id).append("action", action).append("deadLetterId", d.id())
                .append("deadLetter", fields).append("by", actor.by).append("reason", actor.reason)
                .append("host", host).append("at", Date.from(at)).append("outcome", STARTED));
        return id;
    }

    /**
     * @param id      the record
     * @param outcome how the act ended
     * @param at      when
     */
    void end(ObjectId id, String outcome, Instant at) {
        records.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("outcome", outcome),
                Updates.set("endedAt", Date.from(at))));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
