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

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A MongoDB chosen for tests: where it is, what kind it is and what it can do. Immutable and
 * thread-safe.
 */
public final class TestMongoServer {

    /** Where the server comes from, in the order {@link TestMongo} prefers them. */
    public enum Kind {
        /** The MongoDB at {@value TestMongo#URI_VARIABLE}. */
        EXTERNAL,
        /** A Testcontainers MongoDB (single-node replica set) in Docker. */
        TESTCONTAINERS,
        /** The in-JVM MongoDB-wire server (mongo-java-server, memory backend, oplog enabled). */
        IN_JVM
    }

    private final Kind kind;
    private final String connectionString;
    private final Set<MongoCapability> capabilities;
    private final String description;

    /**
     * @param kind             where the server comes from
     * @param connectionString its connection string
     * @param capabilities     what it can do
     * @param description      a short human-readable description, without credentials
     */
    public TestMongoServer(Kind kind, String connectionString, Set<MongoCapability> capabilities, String description) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.connectionString = Objects.requireNonNull(connectionString, "connectionString");
        this.capabilities = Collections.unmodifiableSet(capabilities.isEmpty()
                ? EnumSet.noneOf(MongoCapability.class) : EnumSet.copyOf(capabilities));
        this.description = Objects.requireNonNull(description, "description");
    }

    /** @return where the server comes from */
    public Kind kind() {
        return kind;
    }

    /** @return the connection string (may hold credentials when it came from the environment: do not log it) */
    public String connectionString() {
        return connectionString;
    }

    /** @return what the server can do; unmodifiable */
    public Set<MongoCapability> capabilities() {
        return capabilities;
    }

    /**
     * @param capability a capability
     * @return true when the server has it
     */
    public boolean has(MongoCapability capability) {
        return capabilities.contains(Objects.requireNonNull(capability, "capability"));
    }

    /** @return a short description for test reports and logs, without credentials */
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }
}
