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
