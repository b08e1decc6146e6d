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

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Collation;
import com.mongodb.client.model.CollationStrength;
import com.mongodb.client.model.CountOptions;
import com.mongodb.client.model.DeleteOptions;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.bson.BsonBinarySubType;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the same operations against the in-JVM server ({@link IdIndexedMemoryBackend}) and against a stock
 * mongo-java-server {@link MemoryBackend}, and compares what each returns and what each leaves in the collection.
 */
class IdIndexedMemoryBackendDifferentialTest {
    private static final ObjectId OID = new ObjectId("5f1d7a9b2c3e4f5a6b7c8d9e");
    private static final Binary UUID_BIN = new Binary(BsonBinarySubType.UUID_STANDARD,
            new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    private static final Binary BIN = new Binary(new byte[] {9, 8, 7});
    private static final long BIG = 9007199254740993L; // 2^53 + 1, not a double

    private static InJvmMongo indexed;
    private static MongoServer stockServer;
    private static MongoClient indexedClient;
    private static MongoClient stockClient;
    private MongoCollection<Document> newDocs;
    private MongoCollection<Document> oldDocs;

    @BeforeAll
    static void start() {
        indexed = InJvmMongo.start();
        stockServer = new MongoServer(new MemoryBackend());
        stockServer.enableOplog();
        stockServer.bind("127.0.0.1", 0);
        indexedClient = MongoClients.create(indexed.connectionString());
        stockClient = MongoClients.create("mongodb://127.0.0.1:" + stockServer.getLocalAddress().getPort());
    }

    @AfterAll
    static void stop() {
        indexedClient.close();
        stockClient.close();
        indexed.close();
        stockServer.shutdownNow();
    }

    private static List<Document> fixtures() {
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            out.add(new Document("_id", "d" + i).append("version", (long) i).append("tag", i % 2 == 0 ? "even" : "odd"));
        }
        out.add(new Document("_id", 7).append("version", 1L).append("tag", "int"));
        out.add(new Document("_id", 8L).append("version", 1L).append("tag", "long"));
        out.add(new Document("_id", 2.5).append("version", 1L).append("tag", "double"));
        out.add(new Document("_id", BIG).append("version", 1L).append("tag", "big"));
        out.add(new Document("_id", new Decimal128(new BigDecimal("12"))).append("version", 1L).append("tag", "dec"));
        out.add(new Document("_id", 0.0).append("version", 1L).append("tag", "zero"));
        out.add(new Document("_id", new Document("region", "eu").append("n", 1)).append("version", 2L).append("tag", "emb"));
        out.add(new Document("_id", OID).append("version", 1L).append("tag", "oid"));
        out.add(new Document("_id", UUID_BIN).append("version", 1L).append("tag", "uuid"));
        out.add(new Document("_id", BIN).append("version", 1L).append("tag", "bin"));
        out.add(new Document("_id", true).append("version", 1L).append("tag", "bool"));
        return out;
    }

    @BeforeEach
    void fill() {
        newDocs = fresh(indexedClient);
        oldDocs = fresh(stockClient);
    }

    private static MongoCollection<Document> fresh(MongoClient client) {
        MongoDatabase db = client.getDatabase("differential");
        MongoCollection<Document> c = db.getCollection("docs");
        c.drop();
        c.insertMany(fixtures());
        return c;
    }

    /** What an operation returned (or the class and code of what it threw) and what it left in the collection. */
    private static String outcome(MongoCollection<Document> c, Function<MongoCollection<Document>, Object> op) {
        Object result;
        try {
            result = op.apply(c);
        } catch (RuntimeException e) {
            String code = e instanceof com.mongodb.MongoServerException m ? " code " + m.getCode() : "";
            result = "THREW " + e.getClass().getSimpleName() + code + ": "
                    + String.valueOf(e.getMessage()).replaceAll("127\\.0\\.0\\.1:\\d+", "<server>");
        }
        List<Document> state = c.find().into(new ArrayList<>());
        return "result=" + Objects.toString(result) + "\nstate=" + state;
    }

    private void same(String what, Function<MongoCollection<Document>, Object> op) {
        String stock = outcome(oldDocs, op);
        String mine = outcome(newDocs, op);
        assertEquals(stock, mine, what + " (expected = stock MemoryBackend, actual = IdIndexedMemoryBackend)");
    }

    private void sameFind(Document filter) {
        same("find " + filter.toJson(), c -> c.find(filter).into(new ArrayList<>()));
    }

    // ---------------------------------------------------------------- divergences

    /*
     * Divergences 1 and 2: the stock matcher, given a document as the value of _id and a document whose _id is not a
     * document, treats the query document as a sub-query against the scalar: {} matches every scalar _id, and so do
     * {a: null} and {a: {$exists: false}} (a is missing from a scalar). Real MongoDB compares _id with the literal
     * document and matches nothing here, which is what IdIndexedMemoryBackend now answers (the index has no such key).
     * So these fail against the stock backend but the new answer is MongoDB's; they show that the change is not
     * behaviour-preserving for such queries, including for writes.
     */

    @Test
    void divergence1FindWithEmptyDocumentAsId() {
        sameFind(new Document("_id", new Document()).append("version", 4L));
    }

    @Test
    void divergence1UpdateWithEmptyDocumentAsId() {
        same("updateOne {_id: {}, version: 4}", c -> c.updateOne(new Document("_id", new Document()).append("version", 4L),
                Updates.set("touched", true)).getModifiedCount());
    }

    @Test
    void divergence1UpsertWithEmptyDocumentAsId() {
        same("upsert {_id: {}, version: 4}", c -> Objects.toString(c.updateOne(new Document("_id", new Document())
                .append("version", 4L), Updates.set("touched", true), new UpdateOptions().upsert(true))));
    }

    @Test
    void divergence1DeleteManyAndCountWithEmptyDocumentAsId() {
        same("deleteMany {_id: {}, tag: even}", c -> c.deleteMany(new Document("_id", new Document()).append("tag", "even"))
                .getDeletedCount());
    }

    @Test
    void divergence1CountCommandWithEmptyDocumentAsId() {
        same("count {_id: {}, tag: odd}", c -> stripped(c, new Document("count", "docs")
                .append("query", new Document("_id", new Document()).append("tag", "odd"))));
    }

    @Test
    void divergence2FindWithNullFieldInDocumentAsId() {
        sameFind(new Document("_id", new Document("a", null)).append("tag", "even"));
    }

    @Test
    void divergence2FindWithExistsFalseFieldInDocumentAsId() {
        sameFind(new Document("_id", new Document("a", new Document("$exists", false))).append("tag", "odd"));
    }

    @Test
    void divergence2FindWithNestedEmptyDocumentInDocumentAsId() {
        sameFind(new Document("_id", new Document("a", new Document())).append("tag", "odd"));
    }

    /*
     * Divergence 3 (the new backend is wrong): a literal embedded-document id with two or more fields, one of which holds
     * a document with a $-prefixed key. isPlainValue only looks at the top-level keys, so the query goes to the index;
     * AbstractUniqueIndex.getPositions sees a "query expression" somewhere inside and, the document having more than
     * one key, throws UnsupportedOperationException("illegal query key"). The client gets error -1. The stock backend
     * scans and returns no document (as MongoDB does for this literal equality).
     */

    @Test
    void divergence3FindWithOperatorDocumentNestedInTwoFieldId() {
        sameFind(new Document("_id", new Document("a", new Document("$gt", 1)).append("b", 2)).append("version", 1L));
    }

    @Test
    void divergence3UpdateWithOperatorDocumentNestedInTwoFieldId() {
        same("updateOne", c -> c.updateOne(new Document("_id", new Document("a", new Document("$gt", 1)).append("b", 2))
                .append("version", 1L), Updates.set("x", 1)).getMatchedCount());
    }

    @Test
    void divergence3UpdateWithOperatorNestedInsideAnAndId() {
        same("deleteOne", c -> c.deleteOne(new Document("$and", List.of(new Document("tag", "emb"),
                new Document("_id", new Document("region", "eu").append("n", new Document("$eq", 1)))))).getDeletedCount());
    }

    // ---------------------------------------------------------------- cases that held

    @Test
    void numericIds() {
        for (Object id : List.of(7, 7L, 7.0, new Decimal128(7), 8, 8L, 8.0, new Decimal128(8), 2.5,
                new Decimal128(new BigDecimal("2.5")), 12, 12L, 12.0, new Decimal128(12),
                BIG, (double) BIG, BIG - 1, new Decimal128(BIG), new Decimal128(new BigDecimal(BIG)),
                0, 0L, -0.0, 0.0, new Decimal128(0), Decimal128.NEGATIVE_ZERO, Double.NaN, "7")) {
            sameFind(new Document("_id", id).append("version", 1L));
            sameFind(new Document("version", 1L).append("_id", id));
            sameFind(new Document("$and", List.of(new Document("_id", id), new Document("version", 1L))));
        }
    }

    @Test
    void otherIdTypes() {
        for (Object id : List.of(OID, new ObjectId(), UUID_BIN, BIN, new Binary(new byte[] {9, 8, 7}),
                new Binary(BsonBinarySubType.UUID_LEGACY, UUID_BIN.getData()), true, false, "d3", "D3", "",
                new Document("region", "eu").append("n", 1), new Document("n", 1).append("region", "eu"),
                new Document("region", "eu").append("n", 1L), new Document("region", "eu").append("n", 1.0),
                new Document("region", "eu"), new Document("region", "eu").append("n", 1).append("x", null),
                List.of("d3"), List.of("d3", "d4"), List.of(), List.of(List.of("d3")))) {
            sameFind(new Document("_id", id).append("version", 1L));
            sameFind(new Document("_id", id).append("version", 3L));
            sameFind(new Document("_id", id).append("version", 2L));
            sameFind(new Document("tag", new Document("$exists", true)).append("_id", id));
        }
    }

    @Test
    void idCombinations() {
        sameFind(new Document("_id", "d3").append("$and", List.of(new Document("_id", "d4"))));
        sameFind(new Document("_id", "d3").append("$and", List.of(new Document("_id", "d3"))));
        sameFind(new Document("$and", List.of(new Document("$and", List.of(new Document("$and",
                List.of(new Document("_id", "d5"), new Document("tag", "odd"))))))));
        sameFind(new Document("$and", List.of(new Document("_id", "d5"), new Document("_id", "d6"))));
        sameFind(new Document("$and", List.of(new Document("tag", "odd"), new Document("_id", new Document("$in", List.of("d5", "d7"))),
                new Document("_id", "d5"))));
        sameFind(new Document("_id", "d3").append("$or", List.of(new Document("_id", "d4"), new Document("tag", "odd"))));
        sameFind(new Document("_id", "d3").append("$or", List.of(new Document("_id", "d4"), new Document("tag", "even"))));
        sameFind(new Document("_id", "d3").append("$nor", List.of(new Document("tag", "odd"))));
        sameFind(new Document("_id", "d3").append("$nor", List.of(new Document("tag", "even"))));
        sameFind(new Document("_id", "d3").append("$expr", new Document("$eq", List.of("$version", 3L))));
        sameFind(new Document("_id", "d3").append("$expr", new Document("$eq", List.of("$version", 4L))));
        sameFind(new Document("_id", "d3").append("$comment", "hello"));
        sameFind(new Document("_id", "d3").append("_id.x", new Document("$exists", false)));
        sameFind(new Document("_id", Pattern.compile("^d[34]$")).append("tag", "odd"));
        sameFind(new Document("_id", new Document("$regex", "^d[34]$")).append("tag", "odd"));
        sameFind(new Document("_id", null).append("tag", "odd"));
        sameFind(new Document("_id", new Document("$eq", "d3")).append("tag", "odd"));
        sameFind(new Document("_id", new Document("$ref", "docs").append("$id", "d3")).append("tag", "odd"));
        sameFind(new Document("_id", new Document("$in", List.of("d3"))).append("tag", "odd"));
        sameFind(new Document("_id", new Document("a", Pattern.compile("x"))).append("tag", "odd"));
        sameFind(new Document("_id", new Document("a", new Document("$gt", 1))).append("tag", "odd"));
        sameFind(new Document("_id", new Document("region", new Document("$exists", true))).append("tag", "emb"));
    }

    @Test
    void sortSkipLimitProjectionCollationHint() {
        Document f = new Document("_id", "d3").append("tag", "odd");
        same("sort", c -> c.find(f).sort(new Document("version", -1)).into(new ArrayList<>()));
        same("natural desc", c -> c.find(f).sort(new Document("$natural", -1)).into(new ArrayList<>()));
        same("natural asc", c -> c.find(f).sort(new Document("$natural", 1)).into(new ArrayList<>()));
        same("skip 1", c -> c.find(f).skip(1).into(new ArrayList<>()));
        same("skip 0 limit 1", c -> c.find(f).limit(1).into(new ArrayList<>()));
        same("limit -1", c -> c.find(f).limit(-1).into(new ArrayList<>()));
        same("projection", c -> c.find(f).projection(new Document("version", 1).append("_id", 0)).into(new ArrayList<>()));
        same("collation", c -> c.find(new Document("_id", "D3").append("tag", "odd"))
                .collation(Collation.builder().locale("en").collationStrength(CollationStrength.SECONDARY).build())
                .into(new ArrayList<>()));
        same("hint", c -> c.find(f).hint(new Document("_id", 1)).into(new ArrayList<>()));
        same("batch", c -> c.find(f).batchSize(1).into(new ArrayList<>()));
    }

    @Test
    void writes() {
        same("updateMany multi", c -> c.updateMany(new Document("_id", "d3").append("tag", "odd"), Updates.inc("version", 1L))
                .getModifiedCount());
        same("updateMany miss", c -> c.updateMany(new Document("_id", "d3").append("tag", "even"), Updates.inc("version", 1L))
                .getModifiedCount());
        same("upsert new id", c -> Objects.toString(c.updateOne(new Document("_id", "new").append("version", 5L).append("tag", "x"),
                Updates.set("y", 1), new UpdateOptions().upsert(true)).getUpsertedId()));
        same("upsert new id in $and", c -> Objects.toString(c.updateOne(new Document("$and", List.of(new Document("_id", "n2"),
                new Document("version", 5L))), Updates.set("y", 1), new UpdateOptions().upsert(true)).getUpsertedId()));
        same("upsert existing id stale", c -> c.updateOne(new Document("_id", "d2").append("version", 5L),
                Updates.set("y", 1), new UpdateOptions().upsert(true)).getMatchedCount());
        same("upsert int id as long", c -> Objects.toString(c.updateOne(new Document("_id", 7L).append("version", 1L),
                Updates.set("y", 1), new UpdateOptions().upsert(true)).getModifiedCount()));
        same("upsert embedded id", c -> Objects.toString(c.updateOne(new Document("_id", new Document("n", 1).append("region", "eu"))
                .append("version", 2L), Updates.set("y", 1), new UpdateOptions().upsert(true))));
        same("replace upsert", c -> Objects.toString(c.replaceOne(new Document("_id", "r1").append("version", 1L),
                new Document("version", 2L), new ReplaceOptions().upsert(true))));
        same("replace", c -> Objects.toString(c.replaceOne(new Document("_id", "d1").append("version", 1L),
                new Document("version", 2L))));
        same("deleteOne", c -> c.deleteOne(new Document("_id", "d4").append("version", 4L)).getDeletedCount());
        same("deleteMany", c -> c.deleteMany(new Document("_id", 8).append("version", 1L)).getDeletedCount());
        same("deleteMany collation", c -> c.deleteMany(new Document("_id", "D5").append("version", 5L),
                new DeleteOptions().collation(Collation.builder().locale("en").collationStrength(CollationStrength.SECONDARY)
                        .build())).getDeletedCount());
        same("findOneAndUpdate", c -> c.findOneAndUpdate(new Document("_id", "d6").append("version", 6L), Updates.inc("version", 1L),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER).sort(new Document("version", 1))));
        same("findOneAndUpdate upsert", c -> c.findOneAndUpdate(new Document("_id", "fu").append("version", 6L),
                Updates.inc("n", 1L), new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER)));
        same("findOneAndReplace", c -> c.findOneAndReplace(new Document("_id", "d7").append("version", 7L),
                new Document("v", 1), new FindOneAndReplaceOptions().returnDocument(ReturnDocument.AFTER)));
        same("findOneAndDelete", c -> c.findOneAndDelete(new Document("_id", "d8").append("tag", "even"),
                new FindOneAndDeleteOptions().sort(new Document("$natural", -1))));
        same("positional update", c -> {
            c.updateOne(new Document("_id", "d9"), Updates.set("arr", List.of(1, 2, 3)));
            return c.updateOne(new Document("_id", "d9").append("arr", 2), Updates.set("arr.$", 20)).getModifiedCount();
        });
        same("update changes the condition field", c -> c.updateMany(new Document("_id", "d1").append("version", 1L),
                Updates.set("version", 2L)).getModifiedCount() + "/" + c.updateMany(new Document("_id", "d1").append("version", 1L),
                Updates.set("version", 2L)).getModifiedCount());
    }

    @Test
    void countsAndAggregations() {
        Document f = new Document("_id", "d3").append("tag", "odd");
        same("countDocuments", c -> c.countDocuments(f));
        same("countDocuments skip", c -> c.countDocuments(f, new CountOptions().skip(1)));
        same("count command", c -> stripped(c, new Document("count", "docs").append("query", f)));
        same("count command miss", c -> stripped(c, new Document("count", "docs")
                .append("query", new Document("_id", "d3").append("tag", "even"))));
        same("distinct", c -> c.distinct("tag", f, String.class).into(new ArrayList<>()));
        same("aggregate $match", c -> c.aggregate(List.of(new Document("$match", f))).into(new ArrayList<>()));
        same("aggregate $match $and", c -> c.aggregate(List.of(new Document("$match", new Document("$and",
                List.of(new Document("_id", 7L), new Document("version", 1L)))))).into(new ArrayList<>()));
        same("aggregate $lookup", c -> c.aggregate(List.of(new Document("$match", f), new Document("$lookup",
                new Document("from", "docs").append("localField", "_id").append("foreignField", "_id").append("as", "self"))))
                .into(new ArrayList<>()));
        same("$where", c -> c.find(new Document("_id", "d3").append("$where", "this.version == 3")).into(new ArrayList<>()));
    }

    @Test
    void arrayIdsIfTheServerAcceptsThem() {
        same("insert array id", c -> {
            c.insertOne(new Document("_id", List.of(100, 200)).append("version", 1L));
            return "inserted";
        });
        same("insert nested array id", c -> {
            c.insertOne(new Document("_id", List.of(List.of(300, 400), 500)).append("version", 1L));
            return "inserted";
        });
        for (Object id : List.of(100, 200, List.of(100, 200), List.of(200, 100), List.of(300, 400), 500, List.of(List.of(300, 400), 500))) {
            sameFind(new Document("_id", id).append("version", 1L));
        }
    }

    private Document stripped(MongoCollection<Document> c, Document command) {
        MongoClient client = c == newDocs ? indexedClient : stockClient;
        Document r = client.getDatabase("differential").runCommand(command);
        r.remove("$clusterTime");
        r.remove("operationTime");
        return r;
    }

    /**
     * The count command is not run under the collection's lock; with the id lookup, a document deleted between the
     * index lookup and the read of its slot could be read as null. Run the same race against both servers.
     */
    @Test
    void countCommandRacingWithDeletes() throws Exception {
        assertEquals(raceErrors(oldDocs, stockClient), raceErrors(newDocs, indexedClient),
                "errors from the count command while another client inserts and deletes the counted id");
    }

    private static String raceErrors(MongoCollection<Document> c, MongoClient client) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            while (!stop.get()) {
                c.insertOne(new Document("_id", "race").append("tag", "r"));
                c.deleteOne(new Document("_id", "race"));
            }
        });
        writer.start();
        java.util.Set<String> errors = new java.util.TreeSet<>();
        long end = System.nanoTime() + 1_500_000_000L;
        MongoDatabase db = client.getDatabase("differential");
        try {
            while (System.nanoTime() < end) {
                try {
                    db.runCommand(new Document("count", "docs").append("query", new Document("_id", "race").append("tag", "r")));
                } catch (RuntimeException e) {
                    errors.add(e.getClass().getSimpleName() + ": "
                            + String.valueOf(e.getMessage()).replaceAll("127\\.0\\.0\\.1:\\d+", "<server>"));
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        return errors.toString();
    }
}
