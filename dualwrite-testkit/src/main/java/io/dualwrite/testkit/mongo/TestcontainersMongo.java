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

import org.testcontainers.DockerClientFactory;
import org.testcontainers.mongodb.MongoDBContainer;

import java.util.EnumSet;

/** Starts a Testcontainers MongoDB; kept apart so {@link TestMongo} loads Testcontainers only when asked. */
final class TestcontainersMongo {
    private TestcontainersMongo() {
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @SuppressWarnings("resource") // stopped by Testcontainers' own reaper when the JVM exits
    static TestMongoServer start(String image) {
        MongoDBContainer container = new MongoDBContainer(image);
        container.start();
        return new TestMongoServer(TestMongoServer.Kind.TESTCONTAINERS, container.getReplicaSetUrl(),
                EnumSet.allOf(MongoCapability.class),
                "Testcontainers MongoDB " + image + " (single-node replica set) at " + container.getHost() + ":"
                        + container.getFirstMappedPort());
    }
}
