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
package io.dualwrite.testkit.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import io.dualwrite.internal.Args;
import io.dualwrite.testkit.internal.EmbeddedServers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A single Kafka broker in KRaft mode (broker and controller in one process) running inside the
 * current JVM, for tests and demos: PLAINTEXT on 127.0.0.1 at a free port, logs in a temporary
 * directory that {@link #close()} removes, internal topics with one replica. Starting takes about
 * three seconds and some 300 MB; start one per test class or use the JVM-wide {@link #shared()}.
 *
 * <p>The broker classes are an optional dependency of the testkit: a project that uses this class
 * adds {@code org.apache.kafka:kafka_2.13} (same version as its {@code kafka-clients}) to its test
 * classpath.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     kafka.createTopic("items", 3);
 *     Map<String, Object> producerConfig = Map.of("bootstrap.servers", kafka.bootstrapServers(), ...);
 * }
 * }</pre>
 *
 * Thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final EmbeddedServers.Shared<EmbeddedKafka> SHARED =
            new EmbeddedServers.Shared<>(EmbeddedKafka::start, "dualwrite-kafka-stop");

    private final Path logDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafka(Path logDir, KafkaRaftServer server, String bootstrapServers) {
        this.logDir = logDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a new broker with default settings.
     *
     * @return the running broker
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a new broker with extra broker settings (for example {@code "message.max.bytes"}).
     *
     * @param extraConfig broker settings added to (and overriding) the defaults, not null
     * @return the running broker
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedKafka start(Map<String, String> extraConfig) {
        Objects.requireNonNull(extraConfig, "extraConfig");
        long t0 = System.nanoTime();
        Path dir = EmbeddedServers.scratchDirectory("kafka");
        int brokerPort = freePort();
        int controllerPort = freePort();
        Map<String, String> config = new HashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", dir.toString());
        config.put("num.partitions", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "5");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "5");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        // the cleaner's default dedupe buffer alone takes 128 MB of heap
        config.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        config.put("auto.create.topics.enable", "true");
        config.putAll(extraConfig);

        KafkaConfig kafkaConfig = new KafkaConfig(config, false);
        ByteArrayOutputStream formatOutput = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(formatOutput, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(out)
                    .setNodeId(1)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (Exception e) {
            EmbeddedServers.deleteTree(dir);
            throw new IllegalStateException("cannot format a Kafka log directory: " + formatOutput, e);
        }
        KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
        String bootstrap = "127.0.0.1:" + brokerPort;
        EmbeddedKafka kafka = new EmbeddedKafka(dir, server, bootstrap);
        try {
            server.startup();
            kafka.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            kafka.close();
            throw new IllegalStateException("Kafka did not start in this JVM", e);
        }
        LOG.info("Kafka started at {} in {} ms", bootstrap, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return kafka;
    }

    /**
     * A broker shared by every test of this JVM: started on the first call, stopped when the JVM
     * exits. Tests that share it must use their own topic names.
     *
     * @return the shared broker
     * @throws IllegalStateException if it cannot start
     */
    public static EmbeddedKafka shared() {
        return SHARED.get();
    }

    /** @return the {@code bootstrap.servers} value, for example {@code 127.0.0.1:40123} */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Creates a topic with one replica and waits until it exists.
     *
     * @param name       the topic name, not null
     * @param partitions the number of partitions, at least 1
     * @param configs    topic settings (for example {@code cleanup.policy=compact}), not null
     * @throws IllegalArgumentException if partitions is below 1
     * @throws IllegalStateException    if the topic cannot be created
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(configs, "configs");
        Args.atLeast(partitions, 1, "partitions");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    /**
     * @param name       the topic name, not null
     * @param partitions the number of partitions, at least 1
     * @see #createTopic(String, int, Map)
     */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** @return a new admin client on this broker; the caller closes it */
    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(p);
    }

    /** Stops the broker and deletes its logs. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Kafka did not stop cleanly: {}", e.toString());
        }
        EmbeddedServers.deleteTree(logDir);
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Kafka", e);
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                last = new IllegalStateException("Kafka is not ready yet", e);
            }
        }
        throw last != null ? last : new IllegalStateException("Kafka was not ready within " + timeout);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

}
