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
package io.dualwrite.it.sinks;

import com.zaxxer.hikari.HikariDataSource;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.RecoveryReport;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.WriteResult;
import io.dualwrite.jdbc.JdbcSink;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.mongo.MongoPrimaryStore;
import io.dualwrite.redis.RedisSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.convergence.Convergence;
import io.dualwrite.testkit.convergence.ConvergenceReport;
import io.dualwrite.testkit.proxy.FaultProxy;
import io.dualwrite.testkit.servers.TestPostgres;
import io.dualwrite.testkit.servers.TestRedis;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cuts the connections to the real Redis and PostgreSQL in the middle of a run of writes (the
 * testkit's TCP fault proxy closes every connection and refuses new ones), while a recovery loop
 * runs alongside as it would in an application. Writes go on committing to the MongoDB primary
 * and their sink deliveries are deferred; once the connections return, recovery brings both sinks
 * to the primary's latest state: nothing lost, nothing dead-lettered.
 */
class ConnectionCutTest {

    @Test
    void cuttingRedisAndPostgresMidRunLosesNothingOnceTheyReturn() throws Exception {
        long seed = Long.getLong("dualwrite.chaos.seed", 11L);
        System.out.println("ConnectionCutTest seed " + seed + " (replay with -Ddualwrite.chaos.seed=" + seed + ")");
        try (Destinations d = new Destinations();
             FaultProxy redisProxy = FaultProxy.start(TestRedis.server().host(), TestRedis.server().port());
             FaultProxy pgProxy = FaultProxy.start(TestPostgres.server().host(), TestPostgres.server().port())) {
            HikariDataSource direct = d.pool(TestPostgres.server().host(), TestPostgres.server().port());
            RedisSink<TestItem> cache = d.redisSink(d.redis(redisProxy.host(), redisProxy.port(), Duration.ofMillis(500)));
            JdbcSink<TestItem> table = d.jdbcSink(direct, d.pool(pgProxy.host(), pgProxy.port()));
            MongoPrimaryStore<TestItem> primary = d.mongoPrimary();
            InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
            SinkSettings settings = SinkSettings.builder().attemptTimeout(Duration.ofSeconds(2)).maxAttempts(2)
                    .backoff(Duration.ofMillis(5), 2.0, Duration.ofMillis(20))
                    .circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(10).minimumNumberOfCalls(5)
                            .failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(200)).build())
                    .build();
            Random random = new Random(seed);
            Map<SinkOutcome, Integer> before;
            Map<SinkOutcome, Integer> duringCut;
            Map<SinkOutcome, Integer> after;
            RecoveryReport[] recovered = {new RecoveryReport(0, 0, 0, 0)};
            long convergeMillis;
            String phases;
            try (DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType("item").idOf(TestItem::id)
                    .primary(primary).deadLetterStore(deadLetters).gracePeriod(Duration.ZERO)
                    .recoveryRetry(200, Duration.ofMillis(5), Duration.ofMillis(100))
                    .sink("cache", cache, settings).sink("reporting", table, settings).build()) {
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicReference<RecoveryReport> during = new AtomicReference<>(new RecoveryReport(0, 0, 0, 0));
                Thread recovery = new Thread(() -> {
                    while (running.get()) {
                        RecoveryReport r = writer.operations().recoverDue();
                        during.accumulateAndGet(r, RecoveryReport::plus);
                        if (r.claimed() == 0) {
                            sleep(5);
                        }
                    }
                }, "cut-test-recovery");
                recovery.start();
                long t0 = System.nanoTime();
                before = writes(writer, random, 120);
                long t1 = System.nanoTime();
                redisProxy.cut();
                pgProxy.cut();
                duringCut = writes(writer, random, 60);
                long t2 = System.nanoTime();
                redisProxy.restore();
                pgProxy.restore();
                after = writes(writer, random, 80);
                long t3 = System.nanoTime();
                phases = String.format("writes took %d ms before the cut, %d ms during, %d ms after",
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
                running.set(false);
                recovery.join();
                recovered[0] = during.get();
                long start = System.nanoTime();
                long deadline = start + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline) {
                    writer.operations().flushAcknowledgements();
                    RecoveryReport r = writer.operations().recoverDue();
                    recovered[0] = recovered[0].plus(r);
                    writer.operations().flushAcknowledgements();
                    if (r.claimed() == 0 && writer.operations().backlog() == 0) {
                        break;
                    }
                    if (r.claimed() == 0) {
                        sleep(20);
                    }
                }
                convergeMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertEquals(0, writer.operations().backlog(), "nothing may stay pending once the connections are back (seed " + seed + ")");
            }
            ConvergenceReport report = Convergence.<TestItem>check().primary(primary).deadLetters(deadLetters)
                    .entityType("item").sink("cache", cache).sink("reporting", table).report();
            System.out.println("outcomes before the cut " + before + ", during " + duringCut + ", after " + after
                    + "; recovery " + recovered[0] + "; converged " + convergeMillis + " ms after the last write; proxies: "
                    + redisProxy + ", " + pgProxy + "; " + phases);
            System.out.println(report);
            assertTrue(duringCut.getOrDefault(SinkOutcome.DEFERRED, 0) > 0,
                    "the cut must have deferred deliveries, or it tested nothing (seed " + seed + ")");
            assertTrue(report.converged(), "both sinks must hold the primary's latest state (seed " + seed + "):\n" + report);
            assertEquals(0, deadLetters.list(DeadLetterQuery.builder().limit(100).build()).size(),
                    "a cut connection is transient: nothing may be dead-lettered (seed " + seed + ")");
            assertTrue(report.entities() > 0, "the run must have written entities");
        }
    }

    /** Saves or deletes random entities among 25 and counts the sinks' outcomes. */
    private static Map<SinkOutcome, Integer> writes(DualWriter<TestItem> writer, Random random, int count) {
        Map<SinkOutcome, Integer> outcomes = new EnumMap<>(SinkOutcome.class);
        for (int i = 0; i < count; i++) {
            String id = "cut-" + random.nextInt(25);
            WriteResult r = random.nextDouble() < 0.8 ? writer.save(TestItem.variant(id, random.nextInt(1000)))
                    : writer.delete(id);
            r.outcomes().values().forEach(o -> outcomes.merge(o, 1, Integer::sum));
        }
        return outcomes;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
