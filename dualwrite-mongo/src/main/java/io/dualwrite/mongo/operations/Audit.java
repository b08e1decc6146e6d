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

/**
 * The audit trail of what operators did to dead letters: one document per act, written before the act
 * ({@code outcome: "started"}) and completed after it, so that an act that dies midway still leaves a trace of who
 * started what. Thread-safe.
 */
final class Audit {
    static final String STARTED = "started";

    private final MongoCollection<Document> records;
    private final String host;

    Audit(MongoCollection<Document> records) {
        this.records = records;
        this.host = hostName();
    }

    /** @return the record's id, to {@link #end} it */
    ObjectId begin(String action, DeadLetter d, String by, String reason, Instant at) {
        ObjectId id = new ObjectId();
        Document fields = new Document();
        DeadLetters.fields(d).forEach((k, v) -> fields.append(k, v instanceof Instant i ? Date.from(i) : v));
        records.insertOne(new Document("_id", id).append("action", action).append("deadLetterId", d.id())
                .append("deadLetter", fields).append("by", by).append("reason", reason)
                .append("host", host).append("at", Date.from(at)).append("outcome", STARTED));
        return id;
    }

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
