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

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The demo's command line: where the servers are (each one started in-process when not given) and
 * how much traffic to run. Every address may also come from an environment variable. Immutable and
 * thread-safe.
 */
public final class DemoOptions {
    /** Default number of product ids. */
    public static final int DEFAULT_PRODUCTS = 200;
    /** Default number of operations of the main process. */
    public static final int DEFAULT_OPERATIONS = 1000;
    /** Default seed. */
    public static final long DEFAULT_SEED = 42L;
    /** Environment variable of the MongoDB connection string. */
    public static final String ENV_MONGO = "DUALWRITE_MONGO_URI";
    /** Environment variable of the OpenSearch URL. */
    public static final String ENV_OPENSEARCH = "DUALWRITE_OPENSEARCH_URL";
    /** Environment variable of the Kafka bootstrap servers. */
    public static final String ENV_KAFKA = "DUALWRITE_KAFKA_BOOTSTRAP";
    /** Environment variable of the Redis URI. */
    public static final String ENV_REDIS = "DUALWRITE_REDIS_URI";

    /** The help text. */
    public static final String HELP = String.join("\n",
            "usage: ./demo [options]",
            "",
            "Runs a small product-catalog service whose MongoDB primary is kept in sync with a search index",
            "(OpenSearch), a Kafka topic and a cache, injects faults (a search outage, slow calls, a writer",
            "process killed with SIGKILL), lets recovery heal them, and checks that every sink converged.",
            "Exit code 0 only if every sink converged.",
            "",
            "Servers (each one is started inside the demo's JVM when not given):",
            "  --mongo-uri URI          MongoDB connection string          (env " + ENV_MONGO + ")",
            "                           default: an in-JVM MongoDB-wire server",
            "  --opensearch-url URL     OpenSearch or Elasticsearch URL    (env " + ENV_OPENSEARCH + ")",
            "                           default: an OpenSearch node in-process",
            "  --kafka-bootstrap HOSTS  Kafka bootstrap servers            (env " + ENV_KAFKA + ")",
            "                           default: a Kafka broker in-process",
            "  --redis-uri URI          Redis for the cache, e.g. redis://127.0.0.1:6379 (env " + ENV_REDIS + ")",
            "                           default: an in-memory cache in the demo's process",
            "",
            "Traffic:",
            "  --products N             product ids to write to            (default " + DEFAULT_PRODUCTS + ")",
            "  --operations N           writes by the main process         (default " + DEFAULT_OPERATIONS + ")",
            "  --seed N                 seed of the traffic and the faults (default " + DEFAULT_SEED + ")",
            "",
            "Afterwards:",
            "  --keep                   keep the run's data and print the ./dualwrite status command for it;",
            "                           an in-JVM MongoDB then stays up until Enter is pressed",
            "  --help                   this text");

    private final String mongoUri;
    private final String openSearchUrl;
    private final String kafkaBootstrap;
    private final String redisUri;
    private final int products;
    private final int operations;
    private final long seed;
    private final boolean help;
    private final boolean keep;

    private DemoOptions(String mongoUri, String openSearchUrl, String kafkaBootstrap, String redisUri, int products,
                        int operations, long seed, boolean help, boolean keep) {
        this.mongoUri = mongoUri;
        this.openSearchUrl = openSearchUrl;
        this.kafkaBootstrap = kafkaBootstrap;
        this.redisUri = redisUri;
        this.products = products;
        this.operations = operations;
        this.seed = seed;
        this.help = help;
        this.keep = keep;
    }

    /**
     * @param args the command line
     * @param env  the environment (addresses not given on the command line are read from it)
     * @return the options
     * @throws IllegalArgumentException for an unknown option, a missing value or a bad number
     */
    public static DemoOptions parse(String[] args, Map<String, String> env) {
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(env, "env");
        String mongo = blankToNull(env.get(ENV_MONGO));
        String os = blankToNull(env.get(ENV_OPENSEARCH));
        String kafka = blankToNull(env.get(ENV_KAFKA));
        String redis = blankToNull(env.get(ENV_REDIS));
        int products = DEFAULT_PRODUCTS;
        int operations = DEFAULT_OPERATIONS;
        long seed = DEFAULT_SEED;
        boolean help = false;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (name.equals("--help") || name.equals("-h")) {
                help = true;
                continue;
            }
            if (a.equals("--keep")) {
                keep = true;
                continue;
            }
            String value;
            if (a.contains("=")) {
                value = a.substring(a.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(name + " needs a value");
            }
            switch (name) {
                case "--mongo-uri" -> mongo = value;
                case "--opensearch-url" -> os = value;
                case "--kafka-bootstrap" -> kafka = value;
                case "--redis-uri" -> redis = value;
                case "--products" -> products = positive(name, value);
                case "--operations" -> operations = positive(name, value);
                case "--seed" -> seed = number(name, value);
                default -> throw new IllegalArgumentException("unknown option " + name + " (see --help)");
            }
        }
        return new DemoOptions(mongo, os, kafka, redis, products, operations, seed, help, keep);
    }

    /** @return the MongoDB to use, if one was given */
    public Optional<String> mongoUri() {
        return Optional.ofNullable(mongoUri);
    }

    /** @return the OpenSearch URL to use, if one was given */
    public Optional<String> openSearchUrl() {
        return Optional.ofNullable(openSearchUrl);
    }

    /** @return the Kafka bootstrap servers to use, if given */
    public Optional<String> kafkaBootstrap() {
        return Optional.ofNullable(kafkaBootstrap);
    }

    /** @return the Redis URI of the cache, if given (else the cache is in memory) */
    public Optional<String> redisUri() {
        return Optional.ofNullable(redisUri);
    }

    /** @return how many product ids the traffic uses */
    public int products() {
        return products;
    }

    /** @return how many writes the main process makes */
    public int operations() {
        return operations;
    }

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /**
     * Prints the help text. The launcher runs this file as a single-file source program for {@code ./demo --help}, so
     * the options are listed without building anything; keep this class free of imports outside the JDK.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.println(HELP);
    }

    /** @return true to keep the run's data (and an in-JVM MongoDB until Enter) for the operator's command line */
    public boolean keep() {
        return keep;
    }

    /** @return true when only the help text was asked for */
    public boolean help() {
        return help;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number, got '" + value + "'");
        }
    }

    private static int positive(String name, String value) {
        long n = number(name, value);
        if (n < 1 || n > 10_000_000) {
            throw new IllegalArgumentException(name + " must be between 1 and 10000000, got " + n);
        }
        return (int) n;
    }
}
