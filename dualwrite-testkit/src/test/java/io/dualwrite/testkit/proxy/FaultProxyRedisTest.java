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
package io.dualwrite.testkit.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The proxy in front of the local Redis (127.0.0.1:6379), spoken to in RESP by hand: it forwards,
 * delays, black-holes, cuts (open connections end, new ones are reset), closes slowly, loses a
 * reply, and recovers on restore.
 */
class FaultProxyRedisTest {
    private static final String HOST = "127.0.0.1";
    private static final int REDIS = 6379;

    private FaultProxy proxy;

    @BeforeAll
    static void redisRuns() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, REDIS), 1000);
        } catch (IOException e) {
            assumeTrue(false, "Redis is not listening on 127.0.0.1:6379 (" + e + ")");
        }
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = FaultProxy.start(HOST, REDIS);
    }

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(proxy.host(), proxy.port()), 1000);
        s.setSoTimeout(2000);
        return s;
    }

    private static String ping(Socket s) throws IOException {
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readLine(s.getInputStream());
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString().trim();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed after '" + sb + "'");
    }

    @Test
    void forwardsBothWays() throws IOException {
        try (Socket s = connect()) {
            assertEquals("+PONG", ping(s), "Redis must answer through the proxy");
            assertEquals("+PONG", ping(s), "and again on the same connection");
        }
        assertTrue(proxy.bytesForwarded() >= 2 * ("PING\r\n".length() + "+PONG\r\n".length()),
                "the proxy must count the bytes it forwarded");
    }

    /** The command runs on the server, its reply never arrives, its connection ends; the next reply passes. */
    @Test
    void aLostReplyIsTheServersWorkWithoutTheAnswer() throws IOException {
        String key = "faultproxy:lost:" + System.nanoTime();
        try (Socket s = connect()) {
            proxy.loseNextReplyContaining("+OK");
            s.getOutputStream().write(("SET " + key + " landed\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThrows(IOException.class, () -> readLine(s.getInputStream()), "the reply is lost");
        }
        assertEquals(1, proxy.repliesLost());
        try (Socket s = connect()) {
            s.getOutputStream().write(("GET " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertEquals("$6", readLine(s.getInputStream()), "the command ran");
            assertEquals("landed", readLine(s.getInputStream()));
            assertEquals("+PONG", ping(s), "one reply only is lost");
            s.getOutputStream().write(("DEL " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            readLine(s.getInputStream());
        }
    }

    @Test
    void latencyDelaysEveryAnswer() throws IOException {
        try (Socket s = connect()) {
            ping(s);
            proxy.latency(Duration.ofMillis(150));
            long start = System.nanoTime();
            assertEquals("+PONG", ping(s), "a slow proxy still answers");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs >= 250, "the request and the answer are each delayed 150 ms, took " + tookMs + " ms");
        }
    }

    @Test
    void aBlackHoleSwallowsTrafficUntilRestored() throws IOException {
        proxy.blackHole();
        try (Socket s = connect()) {
            s.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> ping(s), "a black hole never answers");
        }
        proxy.restore();
        try (Socket s = connect()) {
            assertEquals("+PONG", ping(s), "after restore a new connection works");
        }
    }

    @Test
    void aCutClosesOpenConnectionsAndResetsNewOnesUntilRestored() throws IOException {
        Socket s = connect();
        assertEquals("+PONG", ping(s), "healthy before the cut");
        proxy.cut();
        assertThrows(IOException.class, () -> ping(s), "an open connection must fail after a cut");
        s.close();
        assertThrows(IOException.class, () -> {
            try (Socket refused = connect()) {
                ping(refused);
            }
        }, "a new connection must be reset while cut");
        assertEquals(0, proxy.connections(), "no connection stays open");
        proxy.restore();
        try (Socket again = connect()) {
            assertEquals("+PONG", ping(again), "after restore the same port works again");
        }
    }

    @Test
    void aSlowCloseKeepsTheConnectionHangingBeforeItDrops() throws IOException {
        try (Socket s = connect()) {
            ping(s);
            proxy.slowClose(Duration.ofMillis(400));
            long start = System.nanoTime();
            proxy.cut();
            s.setSoTimeout(3000);
            assertEquals(-1, s.getInputStream().read(), "the connection must end");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs >= 300, "the close must be delayed about 400 ms, took " + tookMs + " ms");
        }
    }

    @Test
    void closeFreesThePort() throws IOException {
        Socket s = connect();
        ping(s);
        proxy.close();
        assertThrows(IOException.class, () -> ping(s), "open connections end on close");
        s.close();
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(proxy.host(), proxy.port()));
            assertEquals(proxy.port(), again.getLocalPort(), "the port is free after close");
        }
        assertEquals(0, proxy.connections(), "no connection stays open");
        assertThrows(IllegalStateException.class, proxy::restore, "a closed proxy cannot be restored");
    }
}
