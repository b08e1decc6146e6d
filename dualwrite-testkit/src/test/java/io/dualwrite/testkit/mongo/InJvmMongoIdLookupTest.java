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
package io.dualwrite.testkit.mongo;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The in-JVM server answers a query that names an {@code _id} value among other conditions from the
 * {@code _id} index; what such a query matches must be what MongoDB matches: the document with that id,
 * only when every other condition holds too.
 */
class InJvmMongoIdLookupTest {
    private static InJvmMongo mongo;
    private static MongoClient client;
    private MongoCollection<Document> docs;

    @BeforeAll
    static void start() {
        mongo = InJvmMongo.start();
        client = MongoClients.create(mongo.connectionString());
    }

    @AfterAll
    static void stop() {
        client.close();
        mongo.close();
    }

    @BeforeEach
    void fill() {
        docs = client.getDatabase("idlookup").getCollection("docs");
        docs.deleteMany(new Document());
        for (int i = 0; i < 50; i++) {
            docs.insertOne(new Document("_id", "d" + i).append("version", (long) i).append("tag", i % 2 == 0 ? "even" : "odd"));
        }
        docs.insertOne(new Document("_id", 7).append("version", 1L));
        docs.insertOne(new Document("_id", new Document("region", "eu").append("n", 1)).append("version", 2L));
    }

    private List<Object> ids(Bson filter) {
        List<Object> out = new ArrayList<>();
        docs.find(filter).forEach(d -> out.add(d.get("_id")));
        return out;
    }

    @Test
    void aQueryByIdAndAnotherConditionMatchesOnlyWhenBothHold() {
        assertEquals(List.of("d4"), ids(Filters.and(Filters.eq("_id", "d4"), Filters.eq("version", 4L))));
        assertEquals(List.of(), ids(Filters.and(Filters.eq("_id", "d4"), Filters.eq("version", 5L))));
        assertEquals(List.of(), ids(Filters.and(Filters.eq("_id", "d4"), Filters.eq("tag", "odd"))));
        assertEquals(List.of("d5"), ids(Filters.and(Filters.eq("_id", "d5"), Filters.gt("version", 4L),
                Filters.exists("tag"))));
        assertEquals(List.of(), ids(Filters.and(Filters.eq("_id", "missing"), Filters.eq("version", 4L))));
        assertEquals(List.of("d4"), ids(new Document("_id", "d4").append("version", 4L)), "a flat query");
        assertEquals(List.of(), ids(new Document("_id", "d4").append("version", 3L)), "a flat query");
        assertEquals(List.of("d6"), ids(Filters.and(Filters.and(Filters.eq("tag", "even"), Filters.eq("_id", "d6")),
                Filters.lt("version", 7L))), "an $and inside an $and");
        assertEquals(List.of("d1", "d3"), ids(Filters.and(Filters.or(Filters.eq("_id", "d1"), Filters.eq("_id", "d2"),
                Filters.eq("_id", "d3")), Filters.eq("tag", "odd"))), "ids under $or name no single id");
        assertEquals(List.of(), ids(Filters.and(Filters.eq("_id", "d1"), Filters.or(Filters.eq("_id", "d2"),
                Filters.eq("_id", "d3")))), "a second condition on _id still applies");
        assertEquals(List.of("d11", "d13"), ids(Filters.and(Filters.not(Filters.eq("_id", "d15")),
                Filters.in("version", 11L, 13L, 15L))), "a negated id names no single id");
    }

    @Test
    void aConditionalUpdateByIdChangesTheDocumentOnlyWhenTheConditionHolds() {
        assertEquals(0, docs.updateOne(Filters.and(Filters.eq("_id", "d3"), Filters.eq("version", 2L)),
                Updates.set("version", 100L)).getMatchedCount(), "a stale version matches nothing");
        assertEquals(3L, docs.find(Filters.eq("_id", "d3")).first().getLong("version"));
        assertEquals(1, docs.updateOne(Filters.and(Filters.eq("_id", "d3"), Filters.eq("version", 3L)),
                Updates.set("version", 100L)).getModifiedCount(), "the current version matches");
        assertEquals(100L, docs.find(Filters.eq("_id", "d3")).first().getLong("version"));
        assertEquals(1, docs.countDocuments(Filters.eq("version", 100L)), "no other document changed");

        Document after = docs.findOneAndUpdate(Filters.and(Filters.eq("_id", "d8"), Filters.eq("tag", "even")),
                Updates.inc("version", 1L), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        assertEquals(9L, after.getLong("version"));
        assertNull(docs.findOneAndUpdate(Filters.and(Filters.eq("_id", "d8"), Filters.eq("tag", "odd")),
                Updates.inc("version", 1L)));
        assertEquals(0, docs.deleteOne(Filters.and(Filters.eq("_id", "d9"), Filters.eq("version", 1L)))
                .getDeletedCount());
        assertEquals(1, docs.deleteOne(Filters.and(Filters.eq("_id", "d9"), Filters.eq("version", 9L)))
                .getDeletedCount());
        assertEquals(51, docs.countDocuments());
    }

    @Test
    void anUpsertWhoseConditionFailsOnAnExistingIdIsADuplicateKey() {
        MongoWriteException e = assertThrows(MongoWriteException.class, () -> docs.updateOne(
                Filters.and(Filters.eq("_id", "d1"), Filters.eq("version", 0L)), Updates.set("version", 5L),
                new com.mongodb.client.model.UpdateOptions().upsert(true)));
        assertEquals(11000, e.getError().getCode(), "the upsert's insert collides with the existing id");
        assertEquals(1L, docs.find(Filters.eq("_id", "d1")).first().getLong("version"));
    }

    @Test
    void numericEmbeddedAndOperatorIdsMatchAsTheyDoAlone() {
        assertEquals(ids(Filters.eq("_id", 7L)), ids(Filters.and(Filters.eq("_id", 7L), Filters.eq("version", 1L))),
                "a long matches an int id with or without another condition");
        assertEquals(List.of(7), ids(Filters.and(Filters.eq("_id", 7L), Filters.eq("version", 1L))));
        Document embedded = new Document("region", "eu").append("n", 1);
        assertEquals(List.of(embedded), ids(Filters.and(Filters.eq("_id", embedded), Filters.eq("version", 2L))));
        assertEquals(List.of("d2", "d4"), ids(Filters.and(Filters.in("_id", "d2", "d3", "d4"),
                Filters.eq("tag", "even"))), "an $in on _id matches every id it names that meets the rest");
        assertEquals(List.of("d2", "d4"), ids(Filters.and(Filters.in("_id", "d4", "missing", "d3", "d2", "d4"),
                Filters.eq("tag", "even"))), "in the collection's order, each once, whatever the order of the $in");
        assertEquals(List.of(), ids(Filters.and(Filters.in("_id"), Filters.eq("tag", "even"))), "an empty $in");
        assertEquals(List.of(7), ids(Filters.and(Filters.in("_id", 7L, 8L), Filters.exists("version"))),
                "numbers in an $in match as they do alone");
        assertEquals(2, docs.updateMany(Filters.and(Filters.in("_id", "d20", "d21", "d22"),
                Filters.gte("version", 21L)), Updates.set("tag", "late")).getModifiedCount(), "updateMany by $in");
        assertEquals(List.of("d21", "d22"), ids(Filters.eq("tag", "late")));
        assertEquals(List.of("d10", "d12", "d14", "d16", "d18"), ids(Filters.and(
                Filters.regex("_id", Pattern.compile("^d1\\d$")), Filters.eq("tag", "even"))),
                "a regular expression on _id still matches by pattern");
    }
}
