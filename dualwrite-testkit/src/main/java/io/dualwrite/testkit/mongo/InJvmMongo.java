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

import de.bwaldvogel.mongo.MongoServer;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-JVM MongoDB-wire server (mongo-java-server with its memory backend and the oplog
 * enabled, so collection change streams partly work) on a free loopback port. For tests, demos
 * and child JVMs that need a MongoDB where none runs; see {@link TestMongo} for its limits. A
 * query that names one {@code _id} value beside other conditions, such as a write conditional on a
 * revision, is looked up by {@code _id} as MongoDB does, instead of by the scan of the whole
 * collection that the memory backend alone would make.
 * Thread-safe.
 *
 * <pre>{@code
 * try (InJvmMongo mongo = InJvmMongo.start()) {
 *     MongoClient client = MongoClients.create(mongo.connectionString());
 *     ...
 * }
 * }</pre>
 */
public final class InJvmMongo implements AutoCloseable {
    private final MongoServer server;
    private final String connectionString;
    private final AtomicBoolean closed = new AtomicBoolean();

    private InJvmMongo(MongoServer server, String connectionString) {
        this.server = server;
        this.connectionString = connectionString;
    }

    /**
     * Starts a new server on 127.0.0.1 and a free port.
     *
     * @return the running server
     */
    public static InJvmMongo start() {
        MongoServer server = new MongoServer(new IdIndexedMemoryBackend());
        server.enableOplog();
        server.bind("127.0.0.1", 0);
        String uri = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
        return new InJvmMongo(server, uri);
    }

    /** @return {@code mongodb://127.0.0.1:<port>} */
    public String connectionString() {
        return connectionString;
    }

    /** @return the port it listens on */
    public int port() {
        return server.getLocalAddress().getPort();
    }

    /** @return true once {@link #close()} ran */
    public boolean isClosed() {
        return closed.get();
    }

    /** Stops the server at once, closing every client connection (a primary going down). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "in-JVM MongoDB-wire server (mongo-java-server, memory backend) at " + connectionString;
    }
}
