package io.dualwrite.testkit.servers;

import java.util.Objects;

/**
 * A server tests run against: where it listens and how it was found. Immutable and thread-safe.
 *
 * @param host        the host name or address
 * @param port        the TCP port
 * @param description how it was found, for logs (for example "local Redis at 127.0.0.1:6379")
 */
public record TestServer(String host, int port, String description) {
    /**
     * @param host        the host name or address
     * @param port        the TCP port
     * @param description how it was found
     * @throws IllegalArgumentException if the port is out of range
     */
    public TestServer {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(description, "description");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }
}
