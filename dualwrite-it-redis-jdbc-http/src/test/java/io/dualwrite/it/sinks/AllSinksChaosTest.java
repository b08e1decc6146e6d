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
import io.dualwrite.DeliveryPolicy;
import io.dualwrite.http.HttpSink;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.chaos.ChaosReport;
import io.dualwrite.testkit.chaos.ChaosRunner;
import io.dualwrite.testkit.http.FakeThirdPartyApi;
import io.dualwrite.testkit.servers.TestPostgres;
import io.dualwrite.testkit.servers.TestRedis;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded chaos run with a MongoDB primary and the three real sinks, each behind the testkit's
 * fault-injecting wrapper: Redis (SYNC), PostgreSQL (ASYNC: recovery's batches) and a third-party
 * HTTP API (SYNC) that itself answers 503 and late on a seeded schedule. Every sink converges to
 * the primary, and the API proves that no request key was applied twice although many were sent
 * again (duplicates, redeliveries after a reply that came too late).
 * The seed comes from {@value ChaosRunner#SEED_PROPERTY} when set, the operations from
 * {@value ChaosRunner#OPERATIONS_PROPERTY} (a soak).
 */
class AllSinksChaosTest {

    @Test
    void mongoPrimaryAndRedisPostgresHttpSinksConvergeUnderChaos() throws Exception {
        long seed = Long.getLong(ChaosRunner.SEED_PROPERTY, 20261126L);
        System.out.println("AllSinksChaosTest seed " + seed + " (replay with -D" + ChaosRunner.SEED_PROPERTY + "=" + seed + ")");
        try (Destinations d = new Destinations(); FakeThirdPartyApi api = FakeThirdPartyApi.start(seed)) {
            // the API fails 8% of requests with 503 and answers 5% only after the client gave up on them
            api.failureRate(0.08).retryAfterSeconds(0).slowRate(0.05, Duration.ofMillis(250));
            HikariDataSource pool = d.pool(TestPostgres.server().host(), TestPostgres.server().port());
            var redis = d.redis(TestRedis.server().host(), TestRedis.server().port(), Duration.ofSeconds(2));
            HttpSink<TestItem> http = HttpSink.builder("item", TestItem.class).upsert("PUT", api.uri() + "/items/{id}")
                    .requestTimeout(Duration.ofMillis(150)).build();
            // the runner asks for one destination per sink, in the order the sinks are added
            Deque<ReconcilableSink<TestItem>> next = new ArrayDeque<>(List.of(
                    d.redisSink(redis), d.jdbcSink(pool, pool), new HttpApiView(http, api)));
            ChaosReport report = ChaosRunner.builder().seed(seed).operations(400).operationsFromSystemProperty()
                    .threads(4).entities(30)
                    .primary(d::mongoPrimary)
                    .sink("cache", DeliveryPolicy.SYNC)
                    .sink("reporting", DeliveryPolicy.ASYNC)
                    .sink("partner", DeliveryPolicy.SYNC)
                    .sinkFactory(next::removeFirst)
                    .attemptTimeout(Duration.ofMillis(300))
                    .build().run();
            System.out.println(report);
            System.out.println("third-party API: " + api.appliedKeys() + " keys applied, " + api.replays()
                    + " repeats answered by replay, " + api.injectedFailures() + " answered 503, "
                    + api.delayedReplies() + " answered late, " + api.received().size() + " requests");
            report.assertPromisesKept();
            assertEquals(List.of(), api.keysAppliedMoreThanOnce(), "no request key may be applied twice (seed " + seed + ")");
            assertTrue(api.appliedKeys() > 0 && api.injectedFailures() > 0 && api.delayedReplies() > 0,
                    "the API must have applied changes, failed some and answered some late (seed " + seed + ")");
            assertTrue(api.replays() > 0, "some request keys must have been sent again, or the proof proves nothing (seed "
                    + seed + ")");
        }
    }
}
