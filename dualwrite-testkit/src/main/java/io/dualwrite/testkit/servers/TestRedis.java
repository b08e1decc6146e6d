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

import org.testcontainers.containers.GenericContainer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The Redis that tests use, chosen once per JVM: the {@code host:port} in the environment variable
 * (or system property) {@value #ADDRESS_VARIABLE}; else the local service at 127.0.0.1:6379 when it
 * answers PING; else a Testcontainers Redis ({@value #IMAGE}) when Docker runs; else the calling
 * test is skipped with a message naming Redis. Thread-safe.
 */
public final class TestRedis {
    /** The environment variable or system property naming an external Redis as host:port. */
    public static final String ADDRESS_VARIABLE = "DUALWRITE_REDIS_ADDRESS";
    /** The image Testcontainers starts. */
    public static final String IMAGE = "redis:7.0-alpine";

    private static volatile TestServer server;

    private TestRedis() {
    }

    /** @return the Redis for tests; skips the calling test when there is none */
    public static synchronized TestServer server() {
        if (server == null) {
            server = Locator.locate("Redis", ADDRESS_VARIABLE, "127.0.0.1", 6379, TestRedis::answersPing,
                    () -> new GenericContainer<>(IMAGE).withExposedPorts(6379), 6379);
        }
        return server;
    }

    /** @return {@code redis://host:port} of {@link #server()} */
    public static String uri() {
        TestServer s = server();
        return "redis://" + s.host() + ":" + s.port();
    }

    private static boolean answersPing(TestServer s) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(s.host(), s.port()), 1000);
            socket.setSoTimeout(1000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] reply = in.readNBytes(5);
            return "+PONG".equals(new String(reply, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return false;
        }
    }
}
