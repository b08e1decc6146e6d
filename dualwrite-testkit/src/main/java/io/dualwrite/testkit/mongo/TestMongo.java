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

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The one place that chooses the MongoDB tests run against, once per JVM, in this order:
 * <ol>
 *   <li>the MongoDB at the environment variable (or system property) {@value #URI_VARIABLE};</li>
 *   <li>a Testcontainers MongoDB (single-node replica set, image {@value #DEFAULT_IMAGE}) when
 *       Docker is available;</li>
 *   <li>otherwise an {@link InJvmMongo in-JVM MongoDB-wire server}: no transactions, no update
 *       pipelines, TTL indexes that never expire anything, change streams that report inserts
 *       and deletes only.</li>
 * </ol>
 * The server and one shared {@link MongoClient} live until the JVM exits. JUnit tests use
 * {@link MongoExtension}; anything else calls {@link #server()} and {@link #client()}.
 * Thread-safe.
 */
public final class TestMongo {
    /** The environment variable or system property naming an external MongoDB. */
    public static final String URI_VARIABLE = "DUALWRITE_MONGO_URI";
    /** The Docker image used when Testcontainers starts a MongoDB. */
    public static final String DEFAULT_IMAGE = "mongo:7.0";

    private static final Logger LOG = LoggerFactory.getLogger(TestMongo.class);
    private static final Object LOCK = new Object();
    private static volatile TestMongoServer server;
    private static volatile MongoClient client;

    private TestMongo() {
    }

    /**
     * Chooses and, if needed, starts the server on first use.
     *
     * @return the server tests use in this JVM
     */
    public static TestMongoServer server() {
        TestMongoServer s = server;
        if (s == null) {
            synchronized (LOCK) {
                s = server;
                if (s == null) {
                    s = choose();
                    server = s;
                    LOG.info("MongoDB for tests: {}", s.description());
                }
            }
        }
        return s;
    }

    /** @return a client of {@link #server()}, shared by every test in this JVM; do not close it */
    public static MongoClient client() {
        MongoClient c = client;
        if (c == null) {
            synchronized (LOCK) {
                c = client;
                if (c == null) {
                    c = MongoClients.create(settings(server().connectionString()));
                    client = c;
                    MongoClient toClose = c;
                    Runtime.getRuntime().addShutdownHook(new Thread(toClose::close, "dualwrite-test-mongo-client"));
                }
            }
        }
        return c;
    }

    /**
     * @param connectionString a connection string
     * @return client settings with short timeouts suited to tests
     */
    public static MongoClientSettings settings(String connectionString) {
        return MongoClientSettings.builder().applyConnectionString(new ConnectionString(connectionString))
                .applyToClusterSettings(b -> b.serverSelectionTimeout(10, TimeUnit.SECONDS))
                .applyToSocketSettings(b -> b.connectTimeout(5, TimeUnit.SECONDS))
                .build();
    }

    private static TestMongoServer choose() {
        String uri = System.getenv(URI_VARIABLE);
        if (uri == null || uri.isBlank()) {
            uri = System.getProperty(URI_VARIABLE);
        }
        if (uri != null && !uri.isBlank()) {
            return external(uri);
        }
        if (dockerAvailable()) {
            return TestcontainersMongo.start(DEFAULT_IMAGE);
        }
        InJvmMongo mongo = InJvmMongo.start();
        Runtime.getRuntime().addShutdownHook(new Thread(mongo::close, "dualwrite-test-mongo"));
        return new TestMongoServer(TestMongoServer.Kind.IN_JVM, mongo.connectionString(),
                EnumSet.of(MongoCapability.CHANGE_STREAMS), mongo.toString());
    }

    /**
     * Describes the server at a connection string by asking it: {@code hello} on a real MongoDB (a
     * replica set or a sharded cluster has transactions and full change streams); a server that does
     * not know {@code hello} (the in-JVM server another process started) gets the in-JVM server's
     * capabilities.
     */
    static TestMongoServer external(String uri) {
        ConnectionString cs = new ConnectionString(uri);
        Set<MongoCapability> caps = EnumSet.noneOf(MongoCapability.class);
        String what;
        try (MongoClient probe = MongoClients.create(settings(uri))) {
            Document hello;
            try {
                hello = probe.getDatabase("admin").runCommand(new Document("hello", 1));
                caps.add(MongoCapability.UPDATE_PIPELINES);
                caps.add(MongoCapability.TTL_EXPIRY);
                what = "external MongoDB";
            } catch (MongoCommandException e) {
                hello = probe.getDatabase("admin").runCommand(new Document("isMaster", 1));
                caps.add(MongoCapability.CHANGE_STREAMS);
                what = "external MongoDB-wire server without 'hello' (limited like the in-JVM server)";
            }
            boolean replicated = hello.containsKey("setName") || "isdbgrid".equals(hello.getString("msg"));
            if (replicated) {
                caps.add(MongoCapability.TRANSACTIONS);
                caps.add(MongoCapability.CHANGE_STREAMS);
                caps.add(MongoCapability.FULL_CHANGE_STREAMS);
            }
        }
        return new TestMongoServer(TestMongoServer.Kind.EXTERNAL, uri, caps,
                what + " from " + URI_VARIABLE + " at " + cs.getHosts());
    }

    /** Asks Testcontainers whether Docker runs, without failing (or loading it) when it is absent. */
    private static boolean dockerAvailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory");
            return TestcontainersMongo.dockerAvailable();
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
