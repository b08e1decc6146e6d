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
package io.dualwrite.testkit.http;

import io.dualwrite.internal.Args;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on 127.0.0.1, written on a raw socket, that answers every request in one
 * misbehaving way ({@link Misbehaviour}) and keeps the connection open for a while: a reply with
 * no headers, a body that stops short of its declared length, a body that trickles or never
 * ends. For proving that an HTTP sink (or any HTTP client) bounds each call by its time limit
 * whatever the server does, and drops a stalled connection rather than keeping it:
 *
 * <pre>{@code
 * try (MisbehavingHttpServer server = MisbehavingHttpServer.start(Misbehaviour.STALLED_BODY)) {
 *     HttpSink<Item> sink = HttpSink.builder("item", Item.class).upsert("PUT", server.uri() + "/items/{id}")
 *             .requestTimeout(Duration.ofSeconds(1)).build();
 *     // sink.apply(change) must fail within about a second, although the server holds on for 30 s
 *     assertTrue(server.awaitClosedByClient(Duration.ofSeconds(5)), "the stalled connection is dropped");
 * }
 * }</pre>
 *
 * It reads each request in full (headers and a {@code Content-Length} body) before misbehaving,
 * so a client has always sent everything. A client that sends a further request on a connection
 * after the misbehaving reply (a stalled connection kept in a pool and used again) is counted by
 * {@link #reusedConnections()}. Thread-safe.
 */
public final class MisbehavingHttpServer implements AutoCloseable {
    /** How long a connection is held open unless another time is given. */
    public static final Duration DEFAULT_HOLD = Duration.ofSeconds(30);
    /** The {@code Content-Length} declared by {@link Misbehaviour#STALLED_BODY} and {@link Misbehaviour#CUT_BODY}. */
    public static final int DECLARED_LENGTH = 500;
    /** The bytes of the body sent by {@link Misbehaviour#STALLED_BODY} and {@link Misbehaviour#CUT_BODY}. */
    public static final int SENT_LENGTH = 5;
    /** The pause between two bytes of {@link Misbehaviour#TRICKLING_BODY}. */
    public static final Duration TRICKLE_INTERVAL = Duration.ofSeconds(1);

    private static final int MAX_HEAD = 64 * 1024;
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** How the server answers every request. */
    public enum Misbehaviour {
        /** Reads the request and never answers: no status line, no headers. */
        SILENT,
        /** Sends the status and {@code Content-Length: 500}, then 5 bytes of the body, then nothing. */
        STALLED_BODY,
        /** Sends the status and a chunked body of one byte a second ({@link MisbehavingHttpServer#TRICKLE_INTERVAL}) that never ends. */
        TRICKLING_BODY,
        /** Sends the status and a chunked body as fast as the client reads it, never ending. */
        ENDLESS_BODY,
        /** Sends the status and {@code Content-Length: 500}, then 5 bytes of the body, then closes the connection. */
        CUT_BODY
    }

    private final Misbehaviour how;
    private final int status;
    private final Duration hold;
    private final ServerSocket server;
    private final ExecutorService threads;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean closed;

    private MisbehavingHttpServer(Misbehaviour how, int status, Duration hold) throws IOException {
        this.how = how;
        this.status = status;
        this.hold = hold;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "misbehaving-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /**
     * Starts a server that answers with status 200 and holds each connection for {@link #DEFAULT_HOLD}.
     *
     * @param how how it answers every request
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public static MisbehavingHttpServer start(Misbehaviour how) throws IOException {
        return start(how, 200, DEFAULT_HOLD);
    }

    /**
     * @param how    how it answers every request
     * @param status the status it sends (ignored by {@link Misbehaviour#SILENT}), 100 to 599
     * @param hold   how long it keeps each connection open after reading the request, unless the
     *               client closes it first; positive
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public static MisbehavingHttpServer start(Misbehaviour how, int status, Duration hold) throws IOException {
        Objects.requireNonNull(how, "how");
        Objects.requireNonNull(hold, "hold");
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("an HTTP status is between 100 and 599, was " + status);
        }
        Args.positive(hold, "hold");
        return new MisbehavingHttpServer(how, status, hold);
    }

    /** @return {@code http://127.0.0.1:<port>} */
    public URI uri() {
        return URI.create("http://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort());
    }

    /** @return requests read in full so far */
    public int requests() {
        return requests.get();
    }

    /** @return connections accepted so far */
    public int connections() {
        return links.size();
    }

    /**
     * @return connections on which the client sent more bytes after the misbehaving reply: a
     *         stalled connection kept and used again (0 for a client that drops it)
     */
    public int reusedConnections() {
        return (int) links.stream().filter(l -> l.reused).count();
    }

    /**
     * Waits until the client has closed every connection accepted so far.
     *
     * @param timeout the longest wait
     * @return true when the client closed them all; false when one is still open, or was closed
     *         by this server first (the hold ran out, or {@link Misbehaviour#CUT_BODY}), when the
     *         timeout passes
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitClosedByClient(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Link link : links) {
            if (!link.closedByClient.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** Stops accepting and closes every connection. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Link link : links) {
            link.closedByServer = true;
            closeQuietly(link.socket);
        }
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Link link = new Link(server.accept());
                links.add(link);
                threads.execute(() -> serve(link));
            } catch (IOException e) {
                if (!closed) {
                    closeQuietly(server);
                }
                return;
            }
        }
    }

    private void serve(Link link) {
        long until = System.nanoTime() + hold.toNanos();
        try {
            InputStream in = link.socket.getInputStream();
            OutputStream out = link.socket.getOutputStream();
            readRequest(in);
            requests.incrementAndGet();
            threads.execute(() -> watch(link, in));
            misbehave(out, link, until);
            if (how != Misbehaviour.CUT_BODY) {
                link.closedByClient.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (IOException e) {
            // a read or write failed: the client closed or reset the connection, unless we closed it
            if (!link.closedByServer) {
                link.closedByClient.countDown();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (link.closedByClient.getCount() > 0) {
                link.closedByServer = true;
            }
            closeQuietly(link.socket);
        }
    }

    private void misbehave(OutputStream out, Link link, long until) throws IOException, InterruptedException {
        String statusLine = "HTTP/1.1 " + status + " " + (status == 200 ? "OK" : "Misbehaving") + "\r\n"
                + "Content-Type: application/json\r\n";
        switch (how) {
            case SILENT:
                return;
            case STALLED_BODY:
            case CUT_BODY:
                out.write((statusLine + "Content-Length: " + DECLARED_LENGTH + "\r\n\r\n{\"id\"")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            case TRICKLING_BODY:
                out.write((statusLine + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                while (System.nanoTime() < until && link.closedByClient.getCount() > 0) {
                    out.write("1\r\n \r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    link.closedByClient.await(TRICKLE_INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
                }
                return;
            case ENDLESS_BODY:
                out.write((statusLine + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[16 * 1024];
                Arrays.fill(chunk, (byte) ' ');
                byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
                while (System.nanoTime() < until && link.closedByClient.getCount() > 0) {
                    out.write(size);
                    out.write(chunk);
                    out.write(crlf);
                }
                return;
            default:
                throw new IllegalStateException("unknown misbehaviour " + how);
        }
    }

    /** Reads until the client closes the connection; any byte on the way is a further request. */
    private static void watch(Link link, InputStream in) {
        try {
            while (in.read() != -1) {
                link.reused = true;
            }
        } catch (IOException e) {
            // reset by the client, or closed by us: told apart below
        }
        if (!link.closedByServer) {
            link.closedByClient.countDown();
        }
    }

    /** Reads the request head and a {@code Content-Length} body. */
    private static void readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < END_OF_HEAD.length) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("the client closed the connection before the end of the request head");
            }
            if (head.size() >= MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
            head.write(b);
            matched = b == END_OF_HEAD[matched] ? matched + 1 : (b == END_OF_HEAD[0] ? 1 : 0);
        }
        long length = 0;
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Long.parseLong(line.substring(colon + 1).strip());
            }
        }
        in.skipNBytes(length);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a socket the other side already dropped
        }
    }

    /** One accepted connection. */
    private static final class Link {
        final Socket socket;
        final CountDownLatch closedByClient = new CountDownLatch(1);
        volatile boolean closedByServer;
        volatile boolean reused;

        Link(Socket socket) {
            this.socket = socket;
        }
    }
}
