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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriteException;
import io.dualwrite.DualWriteMetrics;
import io.dualwrite.DualWriter;
import io.dualwrite.DualWriterBuilder;
import io.dualwrite.ErrorKind;
import io.dualwrite.RecoveryWorker;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.examples.Product;
import io.dualwrite.kafka.KafkaSink;
import io.dualwrite.kafka.VersionedTopicView;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.mongo.MongoDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.opensearch.OpenSearchSink;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.chaos.ProcessKiller;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.convergence.SinkView;
import io.dualwrite.testkit.fault.FaultySink;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.apache.http.HttpHost;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;

/**
 * The demo: a product catalog whose MongoDB primary is kept in sync with a search index, a Kafka
 * topic (read back by a consumer through the {@link io.dualwrite.kafka.VersionGuard}) and a
 * cache, while faults hit it — the search index goes down for a while, the cache and Kafka answer
 * slowly (some cache calls time out), one product is rejected by the index as if its mapping were
 * broken, and a second writer process is killed with SIGKILL in the middle of its writes. Recovery
 * heals what the synchronous path could not finish; at the end the demo compares the primary with
 * every sink and exits with 0 only if every sink converged.
 *
 * <p>Run it with {@code ./demo} from the repository root; {@code ./demo --help} lists the options.
 */
public final class CatalogDemo {
    /** Exit code when every sink converged. */
    public static final int CONVERGED = 0;
    /** Exit code when a sink did not converge. */
    public static final int DIVERGED = 1;
    /** Exit code for a bad command line. */
    public static final int USAGE = 2;
    /** Exit code when the demo could not run (a server did not start, a child JVM failed). */
    public static final int FAILED = 3;

    private static final int WRITER_THREADS = 3;
    private static final int KILLS = 2;
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final List<String> SINKS = List.of(CatalogWiring.SEARCH, CatalogWiring.EVENTS, CatalogWiring.CACHE);

    private final DemoOptions options;
    private final PrintStream out;
    private final InputStream in;
    private final boolean terminal;
    private final Map<String, Map<SinkOutcome, LongAdder>> outcomes = new ConcurrentHashMap<>();
    private final AtomicInteger done = new AtomicInteger();
    private final LongAdder failedWrites = new LongAdder();
    private ProgressLine progress;

    private CatalogDemo(DemoOptions options, InputStream in, PrintStream out, boolean terminal) {
        this.options = options;
        this.in = in;
        this.out = out;
        this.terminal = terminal;
        for (String s : SINKS) {
            Map<SinkOutcome, LongAdder> m = new EnumMap<>(SinkOutcome.class);
            for (SinkOutcome o : SinkOutcome.values()) {
                m.put(o, new LongAdder());
            }
            outcomes.put(s, m);
        }
    }

    /**
     * Runs the demo and exits with its code. Logs go to a file whose path is printed.
     *
     * @param args see {@link DemoOptions#HELP}
     */
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.logFile") == null) {
            String log = System.getProperty("java.io.tmpdir") + "/dualwrite-demo.log";
            System.setProperty("org.slf4j.simpleLogger.logFile", log);
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        System.exit(run(args, System.in, System.out, System.console() != null));
    }

    /**
     * Runs the demo in this JVM (the writer processes it kills are started with this JVM's classpath).
     *
     * @param args     see {@link DemoOptions#HELP}
     * @param out      where the progress and the results go
     * @param terminal true to refresh the progress line in place, false for one plain line at a time
     * @return {@link #CONVERGED}, {@link #DIVERGED}, {@link #USAGE} or {@link #FAILED}
     */
    public static int run(String[] args, PrintStream out, boolean terminal) {
        return run(args, InputStream.nullInputStream(), out, terminal);
    }

    /**
     * Runs the demo in this JVM, reading the Enter that ends a {@code --keep} run on an in-JVM MongoDB from
     * {@code in}.
     *
     * @param args     see {@link DemoOptions#HELP}
     * @param in       where the Enter that stops the kept servers is read from (its end counts as Enter)
     * @param out      where the progress and the results go
     * @param terminal true to refresh the progress line in place, false for one plain line at a time
     * @return {@link #CONVERGED}, {@link #DIVERGED}, {@link #USAGE} or {@link #FAILED}
     */
    public static int run(String[] args, InputStream in, PrintStream out, boolean terminal) {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            out.println();
            out.println(DemoOptions.HELP);
            return USAGE;
        }
        if (options.help()) {
            out.println(DemoOptions.HELP);
            return CONVERGED;
        }
        try {
            return new CatalogDemo(options, in, out, terminal).run();
        } catch (Exception e) {
            out.println();
            out.println("the demo could not run: " + e);
            e.printStackTrace(out);
            return FAILED;
        }
    }

    private int run() throws Exception {
        String run = "d" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
        CatalogWiring wiring = new CatalogWiring(run);
        out.printf("dualwrite demo: a product catalog in MongoDB kept in sync with a search index, a Kafka topic and"
                + " a cache%n(run %s, seed %d, %d products, %d operations)%n%nservers:%n", run, options.seed(),
                options.products(), options.operations());
        progress = new ProgressLine(out, terminal);
        try (ProgressLine line = progress;
             DemoServers servers = DemoServers.start(options, progress);
             MongoClient mongo = CatalogWiring.mongoClient(servers.mongoUri());
             RestClient rest = RestClient.builder(HttpHost.create(servers.openSearchUrl())).build()) {
            progress.phase("creating the topic");
            servers.createTopic(wiring.topicName());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registry.config().meterFilter(percentiles());
            MongoDatabase db = wiring.database(mongo);
            MongoPrimaryStore<Product> primary = wiring.primary(db);
            MongoDeadLetterStore deadLetters = wiring.deadLetters(db);

            // the faults: an outage of the index (off until its phase) and one product it rejects
            // permanently, slow calls on Kafka, slow calls and timeouts on the cache
            String poisoned = CatalogWiring.productId(options.products() / 2);
            OpenSearchSink<Product> search = wiring.search(rest);
            FaultySink<Product> searchFaults = FaultySink.wrap(search).seed(options.seed())
                    .failProbability(1.0, ErrorKind.TRANSIENT).poison(poisoned).build();
            searchFaults.heal();
            KafkaSink<Product> events = wiring.events(servers.kafkaBootstrap());
            FaultySink<Product> eventFaults = FaultySink.wrap((Sink<Product>) events).seed(options.seed() + 1)
                    .latency(0.2, Duration.ofMillis(20)).build();
            RedisClient redisClient = servers.redisUri().map(RedisClient::create).orElse(null);
            StatefulRedisConnection<String, String> redis = redisClient == null ? null : redisClient.connect();
            RedisSink<Product> redisCache = redis == null ? null : wiring.redisCache(redis);
            InMemorySink<Product> memoryCache = redis == null ? new InMemorySink<>() : null;
            Sink<Product> cache = redisCache != null ? redisCache : memoryCache;
            FaultySink<Product> cacheFaults = FaultySink.wrap(cache).seed(options.seed() + 2)
                    .latency(0.2, Duration.ofMillis(10)).timeout(0.02, Duration.ofMillis(400)).build();

            CircuitBreakerConfig breaker = CircuitBreakerConfig.from(SinkSettings.defaultCircuitBreaker())
                    .waitDurationInOpenState(Duration.ofSeconds(1)).build();
            DualWriterBuilder<Product> builder = DualWriter.<Product>builder()
                    .entityType(CatalogWiring.ENTITY_TYPE).idOf(Product::id)
                    .primary(primary).deadLetterStore(deadLetters)
                    .gracePeriod(CatalogWiring.GRACE_PERIOD)
                    .recoveryRetry(10, Duration.ofMillis(200), Duration.ofSeconds(2))
                    .lease(Duration.ofSeconds(10))
                    .meterRegistry(registry)
                    .sink(CatalogWiring.SEARCH, searchFaults, SinkSettings.builder().maxAttempts(2)
                            .backoff(Duration.ofMillis(20), 2.0, Duration.ofMillis(100)).circuitBreaker(breaker).build())
                    .sink(CatalogWiring.EVENTS, eventFaults, SinkSettings.builder()
                            .attemptTimeout(Duration.ofSeconds(5)).circuitBreaker(breaker).build())
                    .sink(CatalogWiring.CACHE, cacheFaults, SinkSettings.builder().attemptTimeout(Duration.ofMillis(150))
                            .maxAttempts(2).backoff(Duration.ofMillis(10), 2.0, Duration.ofMillis(50))
                            .circuitBreaker(breaker).build());
            progress.phase("building the writer");
            try (DualWriter<Product> writer = builder.build();
                 RecoveryWorker recovery = RecoveryWorker.builder(writer).interval(Duration.ofMillis(250)).build()) {
                recovery.start();
                AtomicLong backlog = new AtomicLong();
                AtomicLong deadLetterCount = new AtomicLong();
                progress.say(String.format("%nrunning: %d writer threads here, and a second writer process killed %d"
                        + " times (SIGKILL) along the way%nprogress: per sink applied/deferred writes, the recovery"
                        + " backlog (entities with pending intents), dead letters waiting (one per entity and sink)",
                        WRITER_THREADS, KILLS));
                progress.figures(() -> figures(primary, deadLetters, backlog, deadLetterCount));
                CompletableFuture<ProcessKiller.Report> kills = startKills(servers, wiring);
                runTraffic(writer, searchFaults);
                progress.phase("waiting for the killed writers");
                ProcessKiller.Report killReport = kills.get(3, TimeUnit.MINUTES);

                progress.phase("recovering");
                eventFaults.heal();
                cacheFaults.heal();
                searchFaults.heal();
                long healed = System.nanoTime();
                boolean drained = awaitRecovery(primary);
                List<DeadLetter> waiting = deadLetters.list(DeadLetterQuery.ALL);
                List<String> deadLettered = waiting.stream()
                        .map(d -> d.sink() + " " + d.entityId() + " (" + d.kind() + ")").collect(Collectors.toList());
                Map<String, Long> deadBySink = waiting.stream()
                        .collect(Collectors.groupingBy(DeadLetter::sink, Collectors.counting()));
                progress.phase("replaying dead letters");
                searchFaults.clearPoison(); // the operator fixes the mapping, then replays
                int replayed = writer.deadLetters().replayAll(DeadLetterQuery.ALL);
                writer.operations().flushAcknowledgements();
                double convergedAfter = (System.nanoTime() - healed) / 1e9;
                progress.phase("done");
                progress.close();

                out.println();
                out.println(killReport);
                out.printf("writes by the killed processes: %s%n", childWrites(killReport));
                out.printf("recovery %s; backlog now %d%n", drained ? "drained the backlog" : "DID NOT DRAIN the backlog",
                        primary.pendingCount());
                out.printf("dead letters during the run: %s; after fixing the mapping, replayed %d%n",
                        deadLettered.isEmpty() ? "none" : String.join(", ", deadLettered), replayed);

                Map<String, ConvergenceReport> reports = check(wiring, servers, rest, search, primary, deadLetters,
                        redisCache, memoryCache);
                if (!options.keep()) {
                    removeRunData(wiring, db, rest, servers, redis);
                }
                boolean converged = reports.values().stream().allMatch(ConvergenceReport::converged)
                        && killReport.killed() > 0;
                printTable(reports, registry, deadBySink);
                printMetrics(registry);
                out.printf(Locale.ROOT, "%n%s %.1f s after the last fault healed (the whole run took %.1f s; seed %d)%n",
                        converged ? "CONVERGED: every sink holds the primary's state" : "NOT CONVERGED",
                        convergedAfter, progress.elapsedSeconds(), options.seed());
                if (killReport.killed() == 0) {
                    out.println("no writer process was killed while running: the crash was not exercised");
                }
                pointToTheCommandLine(servers, wiring);
                if (redis != null) {
                    redis.close();
                    redisClient.shutdown();
                }
                events.close();
                return converged ? CONVERGED : DIVERGED;
            }
        }
    }

    /**
     * The closing lines: how to look at this run with the operator's command line. With {@code --keep} the run's data
     * stays, and an in-JVM MongoDB (which ends with this JVM) runs until Enter.
     */
    private void pointToTheCommandLine(DemoServers servers, CatalogWiring wiring) throws IOException {
        boolean inJvm = options.mongoUri().isEmpty();
        String uri = inJvm ? servers.mongoUri() : DemoServers.redact(servers.mongoUri());
        String command = statusCommand(uri, wiring.databaseName(), wiring.collectionName());
        if (!options.keep()) {
            out.printf("%nto look at a run with the operator's command line (./dualwrite status, dead-letters, ...),"
                    + " run ./demo --keep:%nit keeps the run's data and prints the command for it%n");
            return;
        }
        out.printf("%nthis run's data is kept; look at it with the operator's command line:%n  %s%n", command);
        if (inJvm) {
            out.println("the in-JVM MongoDB stops with the demo: press Enter to stop it");
            out.flush();
            int c;
            do {
                c = in.read();
            } while (c != -1 && c != '\n');
        }
    }

    /**
     * @param uri        the MongoDB connection string
     * @param database   the run's database
     * @param collection the entity collection, named by the writer's entity type in the command
     * @return the command that shows the run's status
     */
    static String statusCommand(String uri, String database, String collection) {
        return "./dualwrite status --mongo-uri " + uri + " --database " + database + " --entity "
                + CatalogWiring.ENTITY_TYPE + "=" + collection;
    }

    private void runTraffic(DualWriter<Product> writer, FaultySink<Product> searchFaults) throws Exception {
        int total = options.operations();
        int outageStart = total / 4;
        int outageEnd = total * 11 / 20;
        progress.phase("writing");
        ExecutorService pool = Executors.newFixedThreadPool(WRITER_THREADS, daemon("demo-writer"));
        try {
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int t = 0; t < WRITER_THREADS; t++) {
                CatalogTraffic traffic = new CatalogTraffic(writer, options.products(), options.seed() * 31 + t);
                threads.add(CompletableFuture.runAsync(() -> {
                    int i;
                    while ((i = done.get()) < total) {
                        if (!done.compareAndSet(i, i + 1)) {
                            continue;
                        }
                        if (i == outageStart) {
                            searchFaults.unheal();
                            progress.phase("search index DOWN");
                        } else if (i == outageEnd) {
                            searchFaults.heal();
                            progress.phase("search index back");
                        }
                        try {
                            // the catalog is loaded first (every product once), then changed at random
                            WriteResult r = i < options.products()
                                    ? writer.save(traffic.randomProduct(CatalogWiring.productId(i))) : traffic.next();
                            r.outcomes().forEach((sink, o) -> outcomes.get(sink).get(o).increment());
                        } catch (DualWriteException e) {
                            failedWrites.increment();
                        }
                    }
                }, pool));
            }
            CompletableFuture.allOf(threads.toArray(new CompletableFuture<?>[0])).get();
        } finally {
            pool.shutdownNow();
        }
    }

    private CompletableFuture<ProcessKiller.Report> startKills(DemoServers servers, CatalogWiring wiring) {
        ProcessKiller killer = ProcessKiller.builder(CrashingWriter.class.getName())
                .args(servers.mongoUri(), wiring.run(), servers.openSearchUrl(), servers.kafkaBootstrap(),
                        servers.redisUri().orElse("-"), String.valueOf(options.products()),
                        String.valueOf(options.seed() + 100))
                .jvmOptions("-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .readyLine(CrashingWriter.READY)
                .kills(KILLS)
                .aliveFor(Duration.ofMillis(800), Duration.ofMillis(2000))
                .seed(options.seed())
                .build();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return killer.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while killing writers", e);
            }
        });
    }

    private boolean awaitRecovery(MongoPrimaryStore<Product> primary) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (primary.pendingCount() == 0) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private Map<String, ConvergenceReport> check(CatalogWiring wiring, DemoServers servers, RestClient rest,
                                                 OpenSearchSink<Product> search, MongoPrimaryStore<Product> primary,
                                                 MongoDeadLetterStore deadLetters, RedisSink<Product> redisCache,
                                                 InMemorySink<Product> memoryCache) throws Exception {
        rest.performRequest(new Request("POST", "/" + wiring.indexName() + "/_refresh"));
        Map<String, ConvergenceReport> reports = new LinkedHashMap<>();
        reports.put(CatalogWiring.SEARCH, check(primary, deadLetters, CatalogWiring.SEARCH, SinkView.of(search)));
        try (VersionedTopicView<Product> view = VersionedTopicView.open(
                Map.of("bootstrap.servers", servers.kafkaBootstrap()), wiring.topicName(),
                (topic, data) -> data == null ? null : readProduct(data))) {
            view.catchUp(Duration.ofSeconds(60));
            reports.put(CatalogWiring.EVENTS, check(primary, deadLetters, CatalogWiring.EVENTS,
                    Convergence.view(view::liveVersions, id -> view.get(id).flatMap(VersionedTopicView.Entry::value))));
        }
        reports.put(CatalogWiring.CACHE, check(primary, deadLetters, CatalogWiring.CACHE,
                redisCache != null ? SinkView.of(redisCache) : SinkView.of(memoryCache)));
        return reports;
    }

    /** Leaves the servers as they were: matters when they are real ones given on the command line. */
    private void removeRunData(CatalogWiring wiring, MongoDatabase db, RestClient rest, DemoServers servers,
                               StatefulRedisConnection<String, String> redis) {
        List<String> failed = new ArrayList<>();
        try {
            db.drop();
        } catch (RuntimeException e) {
            failed.add("database " + wiring.databaseName() + " (" + e.getMessage() + ")");
        }
        try {
            rest.performRequest(new Request("DELETE", "/" + wiring.indexName()));
        } catch (IOException | RuntimeException e) {
            failed.add("index " + wiring.indexName() + " (" + e.getMessage() + ")");
        }
        try {
            servers.deleteTopic(wiring.topicName());
        } catch (RuntimeException e) {
            failed.add("topic " + wiring.topicName() + " (" + e.getMessage() + ")");
        }
        if (redis != null) {
            try {
                ScanCursor cursor = ScanCursor.INITIAL;
                ScanArgs args = ScanArgs.Builder.matches(wiring.redisKeyPrefix() + "*").limit(500);
                do {
                    KeyScanCursor<String> page = redis.sync().scan(cursor, args);
                    if (!page.getKeys().isEmpty()) {
                        redis.sync().del(page.getKeys().toArray(new String[0]));
                    }
                    cursor = page;
                } while (!cursor.isFinished());
            } catch (RuntimeException e) {
                failed.add("cache keys " + wiring.redisKeyPrefix() + "* (" + e.getMessage() + ")");
            }
        }
        out.println(failed.isEmpty() ? "removed this run's database, index, topic" + (redis != null ? " and cache keys" : "")
                : "could not remove: " + String.join(", ", failed));
    }

    private static ConvergenceReport check(MongoPrimaryStore<Product> primary, MongoDeadLetterStore deadLetters,
                                           String name, SinkView<Product> view) {
        return Convergence.<Product>check().primary(primary).deadLetters(deadLetters)
                .entityType(CatalogWiring.ENTITY_TYPE).sink(name, view).report();
    }

    private static Product readProduct(byte[] json) {
        try {
            return JSON.readValue(json, Product.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void printTable(Map<String, ConvergenceReport> reports, SimpleMeterRegistry registry,
                            Map<String, Long> deadBySink) {
        out.println();
        out.printf("%-8s %9s %9s %11s %14s  %s%n", "sink", "entities", "in sync", "repaired by", "dead-lettered",
                "verdict");
        out.printf("%-8s %9s %9s %11s %14s  %s%n", "", "", "", "recovery", "", "");
        for (Map.Entry<String, ConvergenceReport> e : reports.entrySet()) {
            ConvergenceReport r = e.getValue();
            String sink = e.getKey();
            long issues = r.issues().stream().filter(d -> d.sink().equals(sink)).count();
            long explained = r.explainedByDeadLetters().stream().filter(d -> d.sink().equals(sink)).count();
            long repaired = (long) count(registry, DualWriteMetrics.RECOVERY_DELIVERIES, sink, "applied");
            long dead = deadBySink.getOrDefault(sink, 0L);
            out.printf("%-8s %9d %9d %11d %14d  %s%n", sink, r.entities(), r.entities() - issues - explained, repaired,
                    dead, r.converged() ? (explained == 0 ? "converged" : "converged, " + explained + " in dead letters")
                            : "DIVERGED: " + r.counts());
            if (!r.converged()) {
                out.println(r);
            }
        }
        out.println("(entities: live in the primary; in sync: the sink holds each at the primary's version, compared"
                + " one by one;\n repaired by recovery: deliveries recovery made that the synchronous path could not;"
                + " dead-lettered: entities\n that waited in the dead-letter store, replayed above)");
    }

    private void printMetrics(SimpleMeterRegistry registry) {
        out.println();
        out.println("Micrometer:");
        List<List<String>> writes = new ArrayList<>();
        writes.add(List.of(DualWriteMetrics.WRITE, "operation", "outcome", "count", "p50 ms", "p95 ms", "p99 ms"));
        for (Timer t : registry.find(DualWriteMetrics.WRITE).timers()) {
            Map<Double, Double> p = new LinkedHashMap<>();
            for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
                p.put(v.percentile(), v.value(TimeUnit.MILLISECONDS));
            }
            writes.add(List.of("", Optional.ofNullable(t.getId().getTag(DualWriteMetrics.TAG_OPERATION)).orElse("-"),
                    Optional.ofNullable(t.getId().getTag(DualWriteMetrics.TAG_OUTCOME)).orElse("-"),
                    String.valueOf(t.count()), millis(p.get(0.5)), millis(p.get(0.95)), millis(p.get(0.99))));
        }
        printColumns(writes, 3);
        out.println();
        List<List<String>> sinks = new ArrayList<>();
        sinks.add(List.of("sink", DualWriteMetrics.SINK_RETRIES, DualWriteMetrics.RECOVERY_DELIVERIES + " applied",
                "deferred"));
        for (String sink : SINKS) {
            sinks.add(List.of(sink, whole(count(registry, DualWriteMetrics.SINK_RETRIES, sink, null)),
                    whole(count(registry, DualWriteMetrics.RECOVERY_DELIVERIES, sink, "applied")),
                    whole(count(registry, DualWriteMetrics.RECOVERY_DELIVERIES, sink, "deferred"))));
        }
        printColumns(sinks, 1);
        if (failedWrites.sum() > 0) {
            out.printf("  writes that threw (the caller saw an error, nothing half-done): %d%n", failedWrites.sum());
        }
    }

    /**
     * Prints rows as columns, each as wide as its widest cell.
     *
     * @param rows  the header, then the rows
     * @param names how many leading columns hold names (left-aligned); the rest hold figures (right-aligned)
     */
    private void printColumns(List<List<String>> rows, int names) {
        int[] width = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder(" ");
            for (int i = 0; i < row.size(); i++) {
                String cell = row.get(i);
                String pad = " ".repeat(width[i] - cell.length());
                line.append("  ").append(i < names ? cell + pad : pad + cell);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String millis(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }

    private static String whole(double value) {
        return String.format(Locale.ROOT, "%.0f", value);
    }

    private static double count(SimpleMeterRegistry registry, String name, String sink, String outcome) {
        return registry.find(name).tag(DualWriteMetrics.TAG_SINK, sink).counters().stream()
                .filter(c -> outcome == null || outcome.equals(c.getId().getTag(DualWriteMetrics.TAG_OUTCOME)))
                .mapToDouble(Counter::count).sum();
    }

    private String figures(MongoPrimaryStore<Product> primary, MongoDeadLetterStore deadLetters,
                           AtomicLong backlog, AtomicLong deadLetterCount) {
        try {
            backlog.set(primary.pendingCount());
            deadLetterCount.set(deadLetters.count());
        } catch (RuntimeException e) {
            // a progress line is best effort: keep the last figures
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%5d/%d ops", Math.min(done.get(),
                options.operations()), options.operations()));
        for (String s : SINKS) {
            Map<SinkOutcome, LongAdder> m = outcomes.get(s);
            line.append(String.format(Locale.ROOT, "  %s %d/%d", s, m.get(SinkOutcome.APPLIED).sum(),
                    m.get(SinkOutcome.DEFERRED).sum()));
        }
        return line.append(String.format(Locale.ROOT, "  backlog %d  dead letters %d", backlog.get(),
                deadLetterCount.get())).toString();
    }

    private static String childWrites(ProcessKiller.Report report) {
        return report.rounds().stream().map(r -> {
            int last = 0;
            for (String line : r.outputTail()) {
                if (line.startsWith(CrashingWriter.WROTE)) {
                    last = Integer.parseInt(line.substring(CrashingWriter.WROTE.length()).trim());
                }
            }
            if (last == 0) {
                return "round " + r.number() + " none (" + String.join(" / ", r.outputTail()) + ")";
            }
            return "round " + r.number() + " " + last;
        }).collect(Collectors.joining(", "));
    }

    private static MeterFilter percentiles() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals(DualWriteMetrics.WRITE)) {
                    return DistributionStatisticConfig.builder().percentiles(0.5, 0.95, 0.99).build().merge(config);
                }
                return config;
            }
        };
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
