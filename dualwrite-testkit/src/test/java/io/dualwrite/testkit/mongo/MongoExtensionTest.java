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

import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(MongoExtension.class)
class MongoExtensionTest {

    private static final java.util.List<String> USED = new java.util.concurrent.CopyOnWriteArrayList<>();
    private MongoDatabase beforeEachDb;

    @org.junit.jupiter.api.BeforeEach
    void remember(MongoDatabase db) {
        this.beforeEachDb = db;
        USED.add(db.getName());
    }

    @org.junit.jupiter.api.AfterAll
    static void everyTestDatabaseIsDropped(MongoClient client) {
        java.util.List<String> left = client.listDatabaseNames().into(new java.util.ArrayList<>());
        assertTrue(USED.size() >= 3, "the tests used their own databases: " + USED);
        for (String name : USED) {
            assertTrue(!left.contains(name), "database " + name + " was dropped when its test ended; left: " + left);
        }
    }

    @Test
    void injectsAFreshWorkingDatabasePerTest(MongoDatabase db, MongoClient client, TestMongoServer server,
                                             TestReporter reporter) {
        reporter.publishEntry("server", server.description());
        assertEquals(beforeEachDb.getName(), db.getName(), "@BeforeEach and the test share the test's database");
        assertTrue(db.getName().startsWith("dw_mongoextensiontest_"), "database named after the test: " + db.getName());
        db.getCollection("things").insertOne(new Document("_id", "a").append("n", 1));
        assertEquals(1, db.getCollection("things").countDocuments(), "the inserted document is visible");
        assertNotNull(client.getDatabase(db.getName()).getCollection("things").find().first(),
                "the shared client sees the same server");
    }

    @Test
    void anotherTestGetsAnotherDatabase(MongoDatabase db) {
        assertEquals(0, db.getCollection("things").countDocuments(), "a fresh database holds nothing");
    }

    @Test
    @RequiresMongo(MongoCapability.CHANGE_STREAMS)
    void runsWhenTheServerHasTheCapability(TestMongoServer server) {
        assertTrue(server.has(MongoCapability.CHANGE_STREAMS), "only runs where change streams exist");
    }

    @Test
    @RequiresMongo(MongoCapability.TRANSACTIONS)
    void skippedOnlyWhereTransactionsAreMissing(TestMongoServer server) {
        assertTrue(server.has(MongoCapability.TRANSACTIONS), "only runs where transactions exist");
    }

    @Test
    void inJvmServerCanBeStartedAndStoppedOnItsOwn() {
        InJvmMongo mongo = InJvmMongo.start();
        try (MongoClient c = MongoClients.create(mongo.connectionString())) {
            c.getDatabase("x").getCollection("y").insertOne(new Document("_id", 1));
            assertEquals(1, c.getDatabase("x").getCollection("y").countDocuments(), "the own server stores documents");
        } finally {
            mongo.close();
        }
        assertTrue(mongo.isClosed(), "closed after close()");
        try (MongoClient c = MongoClients.create(com.mongodb.MongoClientSettings.builder()
                .applyConnectionString(new com.mongodb.ConnectionString(mongo.connectionString()))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(300, TimeUnit.MILLISECONDS)).build())) {
            assertThrows(MongoTimeoutException.class,
                    () -> c.getDatabase("x").getCollection("y").countDocuments(), "a stopped server cannot be reached");
        }
    }

    @Test
    void anExternalUriIsProbedForWhatTheServerCanDo() {
        try (InJvmMongo mongo = InJvmMongo.start()) {
            TestMongoServer s = TestMongo.external(mongo.connectionString());
            assertEquals(TestMongoServer.Kind.EXTERNAL, s.kind(), "a URI makes an external server");
            assertEquals(mongo.connectionString(), s.connectionString(), "at that URI");
            assertTrue(s.has(MongoCapability.CHANGE_STREAMS), "a wire server without 'hello' keeps partial change streams");
            assertTrue(!s.has(MongoCapability.TRANSACTIONS) && !s.has(MongoCapability.UPDATE_PIPELINES),
                    "and is not credited with transactions or pipelines: " + s.capabilities());
        }
    }
}
