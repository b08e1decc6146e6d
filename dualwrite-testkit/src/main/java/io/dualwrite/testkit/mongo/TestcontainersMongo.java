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
