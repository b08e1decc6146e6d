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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy for tests, to put between an application and a real server and break the
 * connection on purpose: add latency, cut every connection and reset new ones, black-hole the
 * traffic (connections stay open, nothing is forwarded), close slowly, or lose the next reply
 * (the server did the work, the client never hears of it). It listens on the loopback interface
 * only.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("127.0.0.1", 6379)) {
 *     RedisClient client = RedisClient.create("redis://127.0.0.1:" + proxy.port());
 *     proxy.cut();       // in-flight calls fail, new connections are reset
 *     ...
 *     proxy.restore();   // healthy again
 * }
 * }</pre>
 *
 * <p>Thread-safe: faults may be switched from any thread while traffic flows.
 */
public final class FaultProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);

    /** How long the proxy waits for the upstream server to accept a connection. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int BUFFER = 16 * 1024;

    private final InetSocketAddress upstream;
    private final int port;
    private final ExecutorService threads;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ServerSocket server;
    private volatile boolean refusing;
    private volatile boolean blackHole;
    private volatile long latencyNanos;
    private volatile long slowCloseNanos;
    /** The marker of the next reply to lose ("" for any), or null when none is to be lost. */
    private final java.util.concurrent.atomic.AtomicReference<String> loseReply =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final AtomicLong repliesLost = new AtomicLong();

    private FaultProxy(InetSocketAddress upstream, int listenPort) throws IOException {
        this.upstream = upstream;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-proxy-" + upstream.getPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = bind(listenPort);
        this.port = server.getLocalPort();
        acceptOn(server);
    }

    /**
     * Starts a proxy on a free loopback port.
     *
     * @param upstreamHost the real server's host, not null
     * @param upstreamPort the real server's port
     * @return the running proxy
     * @throws IOException if no port can be bound
     */
    public static FaultProxy start(String upstreamHost, int upstreamPort) throws IOException {
        return start(new InetSocketAddress(Objects.requireNonNull(upstreamHost, "upstreamHost"), upstreamPort), 0);
    }

    /**
     * Starts a proxy on a chosen loopback port.
     *
     * @param upstream   the real server, not null
     * @param listenPort the loopback port to listen on, 0 for a free one
     * @return the running proxy
     * @throws IOException if the port cannot be bound
     */
    public static FaultProxy start(InetSocketAddress upstream, int listenPort) throws IOException {
        Objects.requireNonNull(upstream, "upstream");
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listenPort must be within 0..65535, was " + listenPort);
        }
        return new FaultProxy(upstream, listenPort);
    }

    /** @return the loopback port clients connect to */
    public int port() {
        return port;
    }

    /** @return {@code 127.0.0.1}-style host clients connect to */
    public String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /** @return the real server behind the proxy */
    public InetSocketAddress upstream() {
        return upstream;
    }

    /**
     * Delays every chunk of data, both ways.
     *
     * @param latency the delay, not negative; zero for none
     * @return this
     */
    public FaultProxy latency(Duration latency) {
        this.latencyNanos = notNegative(latency, "latency").toNanos();
        return this;
    }

    /**
     * Keeps every connection open but forwards nothing (data is read and dropped), old and new
     * connections alike, until {@link #restore()}: clients see a server that stopped answering.
     *
     * @return this
     */
    public FaultProxy blackHole() {
        this.blackHole = true;
        return this;
    }

    /**
     * Delays the closing of connections (by {@link #cut()} or by either peer) by this much, so a
     * client sees a connection that hangs before it drops.
     *
     * @param delay the delay, not negative; zero for none
     * @return this
     */
    public FaultProxy slowClose(Duration delay) {
        this.slowCloseNanos = notNegative(delay, "delay").toNanos();
        return this;
    }

    /**
     * Loses the next reply: the next chunk the server sends back, on any connection, is dropped and
     * its connection cut (reset), so the request reached the server and did its work, but the client
     * never learns it: the lost reply an idempotent retry must survive. One reply only; then the proxy
     * forwards again. With a pool of connections, or a client that talks before the request under
     * test (a handshake), prefer {@link #loseNextReplyContaining} to pick the reply.
     *
     * @return this
     */
    public FaultProxy loseNextReply() {
        return loseNextReplyContaining("");
    }

    /**
     * Loses the next reply that holds {@code marker} (as ISO-8859-1 text of up to 64 characters: a
     * command tag the server sends back, a status), as {@link #loseNextReply()} does; replies without it
     * pass. The text is looked for anywhere in what the server sends, so pick one that only the reply
     * under test holds.
     *
     * @param marker the text to look for in the server's bytes
     * @return this
     */
    public FaultProxy loseNextReplyContaining(String marker) {
        Objects.requireNonNull(marker, "marker");
        if (marker.length() > 64) {
            throw new IllegalArgumentException("a marker of at most 64 characters, was " + marker.length());
        }
        loseReply.set(marker);
        return this;
    }

    /** @return replies lost by {@link #loseNextReply()} and {@link #loseNextReplyContaining} since start */
    public long repliesLost() {
        return repliesLost.get();
    }

    /**
     * Closes every open connection (after the slow-close delay, if one is set) and refuses new
     * ones until {@link #restore()}: they are reset as soon as they connect. The proxy keeps its
     * port meanwhile, so no other process can take it and {@link #restore()} cannot fail.
     *
     * @return this
     */
    public FaultProxy cut() {
        refusing = true;
        for (Link link : links) {
            link.close();
        }
        LOG.info("proxy :{} -> {} cut ({} connection(s) closed)", port, upstream, links.size());
        return this;
    }

    /**
     * Turns every fault off: no latency, no black hole, no slow close, and after a cut new
     * connections are forwarded again.
     *
     * @return this
     * @throws IllegalStateException if the proxy is closed
     */
    public FaultProxy restore() {
        if (closed.get()) {
            throw new IllegalStateException("the proxy is closed");
        }
        latencyNanos = 0;
        slowCloseNanos = 0;
        blackHole = false;
        refusing = false;
        loseReply.set(null);
        return this;
    }

    /** @return connections open right now */
    public int connections() {
        return links.size();
    }

    /** @return connections accepted since start */
    public long accepted() {
        return accepted.get();
    }

    /** @return bytes forwarded since start, both ways */
    public long bytesForwarded() {
        return forwarded.get();
    }

    /** Closes every connection and the listening socket, and stops every thread. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        refusing = true;
        slowCloseNanos = 0;
        closeQuietly(server);
        for (Link link : links) {
            link.closeNow();
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FaultProxy{127.0.0.1:" + port + " -> " + upstream + (refusing ? ", cut" : "")
                + (blackHole ? ", black hole" : "") + (latencyNanos > 0 ? ", latency=" + latencyNanos / 1_000_000 + "ms" : "")
                + (slowCloseNanos > 0 ? ", slowClose=" + slowCloseNanos / 1_000_000 + "ms" : "")
                + ", connections=" + links.size() + "}";
    }

    // ------------------------------------------------------------------ internals

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        return s;
    }

    private void acceptOn(ServerSocket s) {
        threads.execute(() -> {
            while (!s.isClosed()) {
                Socket client;
                try {
                    client = s.accept();
                } catch (IOException e) {
                    return; // closed by cut() or close()
                }
                accepted.incrementAndGet();
                if (refusing) {
                    reset(client);
                    continue;
                }
                threads.execute(() -> connect(client));
            }
        });
    }

    private void connect(Socket client) {
        Socket up = new Socket();
        try {
            client.setTcpNoDelay(true);
            up.setTcpNoDelay(true);
            up.connect(upstream, (int) CONNECT_TIMEOUT.toMillis());
        } catch (IOException e) {
            LOG.debug("proxy :{} could not reach {}: {}", port, upstream, e.toString());
            closeQuietly(client);
            closeQuietly(up);
            return;
        }
        Link link = new Link(client, up);
        links.add(link);
        if (refusing) {
            link.closeNow();
            return;
        }
        threads.execute(() -> link.pump(client, up, false));
        threads.execute(() -> link.pump(up, client, true));
    }

    /** Closes with SO_LINGER 0, so the peer gets a reset rather than an orderly end of stream. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static Duration notNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + d);
        }
        return d;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort: the socket may be gone already
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One client connection and its upstream connection. */
    private final class Link {
        private final Socket client;
        private final Socket up;
        private final AtomicBoolean closing = new AtomicBoolean();

        Link(Socket client, Socket up) {
            this.client = client;
            this.up = up;
        }

        /** @param replies whether {@code from} is the server, whose replies {@link #loseNextReply()} may drop */
        void pump(Socket from, Socket to, boolean replies) {
            byte[] buf = new byte[BUFFER];
            String tail = ""; // the end of the last chunk, so that a marker split across two chunks is still seen
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (blackHole) {
                        continue;
                    }
                    String marker = replies ? loseReply.get() : null;
                    String seen = replies ? tail + new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
                    tail = seen.length() > 64 ? seen.substring(seen.length() - 64) : seen;
                    if (marker != null && seen.contains(marker) && loseReply.compareAndSet(marker, null)) {
                        repliesLost.incrementAndGet();
                        LOG.info("proxy :{} lost a reply of {} byte(s) and cut its connection", port, n);
                        reset(client);
                        closeNow();
                        return;
                    }
                    long latency = latencyNanos;
                    if (latency > 0) {
                        sleepNanos(latency);
                    }
                    if (blackHole || closing.get()) {
                        continue;
                    }
                    forwarded.addAndGet(n); // counted before the peer can see it, so a reader never sees a stale count
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (SocketException e) {
                LOG.debug("proxy :{} connection ended: {}", port, e.toString());
            } catch (IOException e) {
                LOG.debug("proxy :{} connection failed: {}", port, e.toString());
            }
            close();
        }

        void close() {
            if (!closing.compareAndSet(false, true)) {
                return;
            }
            long delay = slowCloseNanos;
            if (delay > 0 && !closed.get()) {
                try {
                    threads.execute(() -> {
                        sleepNanos(delay);
                        closeNow();
                    });
                    return;
                } catch (RuntimeException rejected) {
                    // the pool is shutting down: close at once
                }
            }
            closeNow();
        }

        void closeNow() {
            closing.set(true);
            closeQuietly(client);
            closeQuietly(up);
            links.remove(this);
        }
    }
}
