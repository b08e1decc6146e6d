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
package io.dualwrite.mongo;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of a MongoDB that forwards everything, except that it can be
 * armed to swallow the reply to the next request of a given command ("insert", "update"): the
 * write reaches the server, the client never hears back, as when a network drops a reply.
 * Only understands uncompressed OP_MSG, which is what the driver sends by default. Thread-safe.
 */
final class ReplyDroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile String dropCommand;
    private final AtomicInteger dropped = new AtomicInteger();

    ReplyDroppingProxy(String upstreamHost, int upstreamPort) throws IOException {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "reply-dropping-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** @param command the command whose next reply is swallowed (once) */
    void dropNextReplyTo(String command) {
        this.dropCommand = command;
    }

    int dropped() {
        return dropped.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(upstreamHost, upstreamPort);
                sockets.add(client);
                sockets.add(upstream);
                Deque<Boolean> swallow = new ArrayDeque<>();
                pump("c2s", client, upstream, swallow, true);
                pump("s2c", upstream, client, swallow, false);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(String name, Socket from, Socket to, Deque<Boolean> swallow, boolean requests) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                DataInputStream din = new DataInputStream(in);
                while (true) {
                    byte[] len = new byte[4];
                    din.readFully(len);
                    int size = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    byte[] msg = new byte[size];
                    System.arraycopy(len, 0, msg, 0, 4);
                    din.readFully(msg, 4, size - 4);
                    if (requests) {
                        String cmd = commandOf(msg);
                        boolean drop = cmd != null && cmd.equals(dropCommand);
                        if (drop) {
                            dropCommand = null;
                        }
                        synchronized (swallow) {
                            swallow.addLast(drop);
                        }
                        out.write(msg);
                        out.flush();
                    } else {
                        Boolean drop;
                        synchronized (swallow) {
                            drop = swallow.pollFirst();
                        }
                        if (Boolean.TRUE.equals(drop)) {
                            dropped.incrementAndGet();
                            continue; // the server did the work; the client never learns it
                        }
                        out.write(msg);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "reply-dropping-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** @return the command name of an OP_MSG request (the first key of its body section), or null */
    static String commandOf(byte[] msg) {
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
        if (msg.length < 26 || b.getInt(12) != 2013 || msg[20] != 0) {
            return null;
        }
        int nameStart = 16 + 4 + 1 + 4 + 1; // header, flagBits, section kind, document size, element type
        int end = nameStart;
        while (end < msg.length && msg[end] != 0) {
            end++;
        }
        return new String(msg, nameStart, end - nameStart, StandardCharsets.UTF_8);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
