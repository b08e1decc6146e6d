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
package io.dualwrite.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers of {@link RedisSinkFaultsTest}: a private redis-server process, and a proxy that loses one reply. */
final class RedisFaultSupport {
    private RedisFaultSupport() {
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A redis-server started by the test on a free loopback port, in a directory of its own, and
     * stopped (its own process only) on close. Used where a test must change server-wide settings
     * (maxmemory, persistence, replication) that would disturb the shared server.
     */
    static final class PrivateRedis implements AutoCloseable {
        final Process process;
        final int port;
        final Path dir;
        final RedisClient client;
        final StatefulRedisConnection<String, String> admin;

        private PrivateRedis(Process process, int port, Path dir) {
            this.process = process;
            this.port = port;
            this.dir = dir;
            RedisURI uri = RedisURI.create("redis://127.0.0.1:" + port);
            uri.setTimeout(Duration.ofSeconds(5));
            this.client = RedisClient.create(uri);
            this.admin = client.connect();
        }

        static PrivateRedis start(String... extra) throws Exception {
            int port = freePort();
            Path dir = Files.createTempDirectory("dw-private-redis-");
            List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                    "127.0.0.1", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
            if (!List.of(extra).contains("--save")) {
                cmd.addAll(List.of("--save", ""));
            }
            cmd.addAll(List.of(extra));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(new File(System.getProperty("java.io.tmpdir"), "dw-private-redis-" + port + ".log"))
                    .start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] b = new byte[7];
                    int n = s.getInputStream().read(b);
                    if (n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                        return new PrivateRedis(p, port, dir);
                    }
                } catch (IOException notYet) {
                    Thread.sleep(20);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("private redis-server did not start on " + port);
        }

        String uri() {
            return "redis://127.0.0.1:" + port;
        }

        String info(String section, String field) {
            for (String line : admin.sync().info(section).split("\r?\n")) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).strip();
                }
            }
            return null;
        }

        /** Stops this server's own process (by its handle, nothing else). */
        void kill() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                admin.sync().configSet("save", ""); // a save on SIGTERM that fails would keep the server up
            } catch (RuntimeException ignored) {
                // the server may be gone already
            }
            try {
                admin.close();
            } catch (RuntimeException ignored) {
                // the server may be gone already
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            kill();
            deleteRecursively(dir);
        }
    }


    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
