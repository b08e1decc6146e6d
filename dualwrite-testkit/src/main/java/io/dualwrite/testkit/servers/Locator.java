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
package io.dualwrite.testkit.servers;

import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

import java.util.function.Predicate;
import java.util.function.Supplier;

/** The search order shared by {@link TestRedis} and {@link TestPostgres}. */
final class Locator {
    private static final Logger LOG = LoggerFactory.getLogger(Locator.class);

    private Locator() {
    }

    /**
     * @param name      the server's name, for messages
     * @param variable  the environment variable or system property naming host:port
     * @param localHost the local service's host
     * @param localPort the local service's port
     * @param probe     true when a server answers at host:port
     * @param container the container to start when Docker runs
     * @param innerPort the server's port inside the container
     * @return the server; skips the calling test (JUnit assumption) when none can be had
     */
    static TestServer locate(String name, String variable, String localHost, int localPort,
                             Predicate<TestServer> probe, Supplier<GenericContainer<?>> container, int innerPort) {
        String configured = System.getenv(variable);
        if (configured == null || configured.isBlank()) {
            configured = System.getProperty(variable);
        }
        if (configured != null && !configured.isBlank()) {
            int colon = configured.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(variable + " must be host:port, was " + configured);
            }
            TestServer s = new TestServer(configured.substring(0, colon),
                    Integer.parseInt(configured.substring(colon + 1)), name + " from " + variable + " at " + configured);
            LOG.info("{} for tests: {}", name, s.description());
            return s;
        }
        TestServer local = new TestServer(localHost, localPort, "local " + name + " at " + localHost + ":" + localPort);
        if (probe.test(local)) {
            LOG.info("{} for tests: {}", name, local.description());
            return local;
        }
        if (dockerAvailable()) {
            GenericContainer<?> c = container.get();
            c.start();
            TestServer s = new TestServer(c.getHost(), c.getMappedPort(innerPort),
                    "Testcontainers " + name + " " + c.getDockerImageName() + " at " + c.getHost() + ":"
                            + c.getMappedPort(innerPort));
            LOG.info("{} for tests: {}", name, s.description());
            return s;
        }
        Assumptions.abort(name + " is needed by this test and was not found: nothing answers at " + localHost + ":"
                + localPort + ", " + variable + " is not set, and Docker is not available for Testcontainers");
        throw new IllegalStateException("unreachable");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
