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
package io.dualwrite.examples.demo;

import io.dualwrite.testkit.kafka.EmbeddedKafka;
import io.dualwrite.testkit.mongo.InJvmMongo;
import io.dualwrite.testkit.opensearch.EmbeddedOpenSearch;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The servers of one demo run: the ones given on the command line, and in-process ones for the
 * rest (an in-JVM MongoDB-wire server, an OpenSearch node, a Kafka broker), all on loopback so a
 * child JVM reaches them too. {@link #close()} stops what it started. Thread-safe after start.
 */
final class DemoServers implements AutoCloseable {
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private String mongoUri;
    private String openSearchUrl;
    private String kafkaBootstrap;
    private String redisUri;

    private DemoServers() {
    }

    /**
     * @param options the command line
     * @param progress where to say what starts and what runs where
     * @return the servers, running
     */
    static DemoServers start(DemoOptions options, ProgressLine progress) {
        DemoServers s = new DemoServers();
        try {
            long t0 = System.nanoTime();
            if (options.mongoUri().isPresent()) {
                s.mongoUri = options.mongoUri().get();
                progress.say("  MongoDB     " + redact(s.mongoUri) + " (given)");
            } else {
                progress.phase("starting MongoDB (in-JVM MongoDB-wire server)");
                InJvmMongo mongo = s.track(InJvmMongo.start());
                s.mongoUri = mongo.connectionString();
                progress.say("  MongoDB     " + s.mongoUri + " (in-JVM MongoDB-wire server, " + since(t0) + ")");
            }
            // the two slow starters run side by side
            CompletableFuture<EmbeddedOpenSearch> os = options.openSearchUrl().isPresent() ? null
                    : CompletableFuture.supplyAsync(EmbeddedOpenSearch::start);
            CompletableFuture<EmbeddedKafka> kafka = options.kafkaBootstrap().isPresent() ? null
                    : CompletableFuture.supplyAsync(EmbeddedKafka::start);
            t0 = System.nanoTime();
            progress.phase(os != null && kafka != null ? "starting an OpenSearch node and a Kafka broker side by side"
                    : os != null ? "starting an OpenSearch node" : kafka != null ? "starting a Kafka broker" : "connecting");
            if (os == null) {
                s.openSearchUrl = options.openSearchUrl().get();
                progress.say("  OpenSearch  " + s.openSearchUrl + " (given)");
            } else {
                EmbeddedOpenSearch node = s.track(os.join());
                s.openSearchUrl = node.httpUrl();
                progress.say("  OpenSearch  " + s.openSearchUrl + " (node " + EmbeddedOpenSearch.VERSION
                        + " in-process, " + since(t0) + ")");
            }
            if (kafka == null) {
                s.kafkaBootstrap = options.kafkaBootstrap().get();
                progress.say("  Kafka       " + s.kafkaBootstrap + " (given)");
            } else {
                progress.phase("starting a Kafka broker");
                EmbeddedKafka broker = s.track(kafka.join());
                s.kafkaBootstrap = broker.bootstrapServers();
                progress.say("  Kafka       " + s.kafkaBootstrap + " (broker in-process, " + since(t0) + ")");
            }
            s.redisUri = options.redisUri().orElse(null);
            progress.say("  cache       " + (s.redisUri == null ? "in memory (give --redis-uri for Redis)"
                    : "Redis " + redact(s.redisUri) + " (given)"));
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private synchronized <C extends AutoCloseable> C track(C server) {
        started.push(server);
        return server;
    }

    String mongoUri() {
        return mongoUri;
    }

    String openSearchUrl() {
        return openSearchUrl;
    }

    String kafkaBootstrap() {
        return kafkaBootstrap;
    }

    Optional<String> redisUri() {
        return Optional.ofNullable(redisUri);
    }

    /**
     * Creates a topic (three partitions, one replica) unless it exists.
     *
     * @param topic the name
     */
    void createTopic(String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafkaBootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic + " at " + kafkaBootstrap, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + kafkaBootstrap + " did not create topic " + topic + " in 30 s", e);
        }
    }

    /**
     * Deletes a topic.
     *
     * @param topic the name
     */
    void deleteTopic(String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafkaBootstrap))) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot delete topic " + topic, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting topic " + topic, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not delete topic " + topic + " in 30 s", e);
        }
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                // stopping an in-process server at exit: nothing is left to protect
            }
        }
    }

    private static String since(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms";
    }

    /** Hides a password in a URI before it is printed. */
    static String redact(String uri) {
        return uri.replaceAll("//([^:/@]+):([^@]+)@", "//$1:***@");
    }
}
