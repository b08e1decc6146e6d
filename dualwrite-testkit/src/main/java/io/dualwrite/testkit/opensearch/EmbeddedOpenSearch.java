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
package io.dualwrite.testkit.opensearch;

import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;
import io.dualwrite.testkit.internal.EmbeddedServers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A single-node OpenSearch server running inside the current JVM, for tests and demos: HTTP on
 * 127.0.0.1 at a free port, data in a temporary directory that {@link #close()} removes. Speaks
 * the same REST API as a standalone OpenSearch {@value #VERSION} (and the part of it that
 * Elasticsearch shares). Starting takes about five seconds and some 300 MB; start one per test
 * class or use the JVM-wide {@link #shared()} instance.
 *
 * <p>The server classes are an optional dependency of the testkit: a project that uses this class
 * adds {@code org.opensearch:opensearch}, {@code org.opensearch.plugin:transport-netty4-client}
 * and {@code org.apache.logging.log4j:log4j-core} to its test classpath. The server needs Java 17
 * and keeps no painless or analysis-common module (create indexes with explicit, simple mappings).
 *
 * <pre>{@code
 * try (EmbeddedOpenSearch os = EmbeddedOpenSearch.start()) {
 *     RestClient client = RestClient.builder(HttpHost.create(os.httpUrl())).build();
 *     ...
 * }
 * }</pre>
 *
 * Thread-safe.
 */
public final class EmbeddedOpenSearch implements AutoCloseable {
    /** The server version this starter is built and tested with. */
    public static final String VERSION = "2.19.6";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedOpenSearch.class);
    private static final String NETTY_PROCESSORS_PROPERTY = "opensearch.set.netty.runtime.available.processors";
    private static final EmbeddedServers.Shared<EmbeddedOpenSearch> SHARED =
            new EmbeddedServers.Shared<>(EmbeddedOpenSearch::start, "dualwrite-opensearch-stop");

    private final Path home;
    private final Node node;
    private final InetSocketAddress httpAddress;
    private boolean closed;

    private EmbeddedOpenSearch(Path home, Node node, InetSocketAddress httpAddress) {
        this.home = home;
        this.node = node;
        this.httpAddress = httpAddress;
    }

    /**
     * Starts a new node with default settings.
     *
     * @return the running node
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedOpenSearch start() {
        return start(Map.of());
    }

    /**
     * Starts a new node with extra node settings (for example {@code "action.auto_create_index"}).
     *
     * @param extraSettings node settings added to (and overriding) the defaults, not null
     * @return the running node
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedOpenSearch start(Map<String, String> extraSettings) {
        long t0 = System.nanoTime();
        // other Netty users in the same JVM (the in-JVM MongoDB, Redis clients) may have fixed Netty's
        // processor count already; OpenSearch would then refuse to start when it tries to set it again
        if (System.getProperty(NETTY_PROCESSORS_PROPERTY) == null) {
            System.setProperty(NETTY_PROCESSORS_PROPERTY, "false");
        }
        Path home = EmbeddedServers.scratchDirectory("opensearch");
        Settings.Builder settings = Settings.builder()
                .put("cluster.name", "dualwrite-test")
                .put("node.name", "dualwrite-test-node")
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", "0")
                .put("transport.port", "0")
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("http.type", "netty4")
                .put("transport.type", "netty4");
        extraSettings.forEach(settings::put);
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings.build(), Map.of(), null,
                () -> "dualwrite-test-node");
        Node node = new PluginNode(env, List.of(Netty4Plugin.class));
        try {
            node.start();
        } catch (Exception e) {
            closeQuietly(node);
            EmbeddedServers.deleteTree(home);
            throw new IllegalStateException("OpenSearch " + VERSION + " did not start in this JVM", e);
        }
        TransportAddress bound = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        EmbeddedOpenSearch os = new EmbeddedOpenSearch(home, node, bound.address());
        LOG.info("OpenSearch {} started at {} in {} ms", VERSION, os.httpUrl(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return os;
    }

    /**
     * A node shared by every test of this JVM: started on the first call, stopped when the JVM exits.
     * Tests that share it must use their own index names.
     *
     * @return the shared node
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedOpenSearch shared() {
        return SHARED.get();
    }

    /** @return the HTTP base URL, for example {@code http://127.0.0.1:43817} */
    public String httpUrl() {
        return URI.create("http://" + httpAddress.getHostString() + ":" + httpAddress.getPort()).toString();
    }

    /** @return the HTTP host */
    public String host() {
        return httpAddress.getHostString();
    }

    /** @return the HTTP port */
    public int port() {
        return httpAddress.getPort();
    }

    /** Stops the node and deletes its data. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            node.close();
            node.awaitClose(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.warn("OpenSearch did not stop cleanly: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        EmbeddedServers.deleteTree(home);
    }

    private static void closeQuietly(Node node) {
        try {
            node.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a node that failed to start: {}", e.toString());
        }
    }


    /** The node class with a protected constructor that accepts classpath plugins. */
    private static final class PluginNode extends Node {
        PluginNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }
}
