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
package io.dualwrite.redis;

import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.redis.RedisFaultSupport.PrivateRedis;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.ContentDigest;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.contract.Stored;
import io.dualwrite.testkit.proxy.FaultProxy;
import io.dualwrite.testkit.sink.ConcurrentDeliveries;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Redis sink under concurrency, lost replies and faults, against real redis-server processes: the shared one on 6379, and
 * private ones started by the test where a server-wide setting (maxmemory, persistence, replication)
 * is needed. Each test asserts a promise of DESIGN section 1 / docs/guarantees.md.
 */
class RedisSinkFaultsTest {
    private static final String TYPE = "item";
    @RegisterExtension
    static final RedisFixture redis = new RedisFixture();
    private final long base = Versions.firstVersion(Instant.now());

    private static Change<TestItem> upsert(String type, String id, long version, TestItem state) {
        return Change.<TestItem>builder().entityType(type).id(id).version(version).operation(Operation.UPSERT)
                .state(state).correlationId("c").time(Instant.now()).build();
    }

    private Change<TestItem> upsert(String id, long version) {
        return upsert(TYPE, id, version, TestItem.variant(id, (int) (version - base)));
    }

    private static Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.DELETE)
                .correlationId("c").time(Instant.now()).build();
    }

    private RedisSink<TestItem> sink(StatefulRedisConnection<String, String> c, RedisKeyLayout layout) {
        return RedisSink.builder(TYPE, TestItem.class).connection(c).keyLayout(layout).build();
    }

    private static Optional<Stored<TestItem>> expected(Change<TestItem> c) {
        return Optional.of(c.isDelete() ? Stored.deleted(c.version()) : Stored.live(c.version(), c.requireState()));
    }

    // ------------------------------------------------------------------ ordering and idempotence

    /**
     * 12 entities, 30 versions each (every 4th a delete, so each entity dies and is re-created many
     * times), every change delivered three times, shuffled, by 8 threads over two sinks on two
     * connections, some by apply and some by applyAll. A watcher reads the versions all along: no
     * key may ever go backwards, and each must end at the highest version with its state.
     */
    @Test
    void concurrentShuffledDeliveriesFromTwoConnectionsEndAtTheHighestVersionAndNeverGoBack() throws Exception {
        RedisKeyLayout layout = redis.layout("race");
        try (StatefulRedisConnection<String, String> second = redis.client.connect()) {
            List<RedisSink<TestItem>> sinks = List.of(sink(redis.connection, layout), sink(second, layout));
            Random rnd = new Random(42);
            List<Change<TestItem>> all = new ArrayList<>();
            Map<String, Change<TestItem>> last = new HashMap<>();
            for (int e = 0; e < 12; e++) {
                String id = "r" + e;
                for (int v = 1; v <= 30; v++) {
                    Change<TestItem> c = (v % 4 == 0 || (v == 30 && e % 3 == 0)) ? delete(id, base + v) : upsert(id, base + v);
                    for (int copy = 0; copy < 3; copy++) {
                        all.add(c);
                    }
                    last.put(id, c);
                }
            }
            Collections.shuffle(all, rnd);
            AtomicBoolean stop = new AtomicBoolean();
            List<String> regressions = new CopyOnWriteArrayList<>();
            Thread watcher = new Thread(() -> {
                Map<String, Long> seen = new HashMap<>();
                try (StatefulRedisConnection<String, String> w = redis.client.connect()) {
                    while (!stop.get()) {
                        for (String id : last.keySet()) {
                            String v = w.sync().hget(layout.key(TYPE, id), "version");
                            if (v != null) {
                                long now = Long.parseLong(v);
                                Long before = seen.put(id, now);
                                if (before != null && now < before) {
                                    regressions.add(id + ": " + before + " -> " + now);
                                }
                            }
                        }
                    }
                }
            });
            watcher.start();
            ConcurrentDeliveries.deliver(all, sinks, 8, 17, Duration.ofSeconds(120));
            stop.set(true);
            watcher.join();
            assertEquals(List.of(), regressions, "no key may ever move to an older version");
            for (Map.Entry<String, Change<TestItem>> e : last.entrySet()) {
                assertEquals(expected(e.getValue()), redis.readBack(layout, TYPE, e.getKey()),
                        "entity " + e.getKey() + " must end at its highest version");
            }
        }
    }

    /** Tombstones: an older upsert after a newer delete, a re-creation, and an older delete after it. */
    @Test
    void tombstonesRefuseOlderUpsertsAndReCreationContinuesAbove() throws Exception {
        RedisKeyLayout layout = redis.layout("tomb");
        RedisSink<TestItem> sink = sink(redis.connection, layout);
        assertEquals(ApplyResult.APPLIED, sink.apply(delete("t", base + 5)), "a delete of an unknown entity leaves a tombstone");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t", base + 4)), "older upsert after delete");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("t", base + 5)), "the same delete twice");
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("t", base + 6)), "re-created above the delete");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(delete("t", base + 5)), "the old delete again");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t", base + 3)), "an upsert of the earlier life");
        assertEquals(expected(upsert("t", base + 6)), redis.readBack(layout, TYPE, "t"));
        assertEquals(-1L, redis.connection.sync().pttl(layout.key(TYPE, "t")),
                "the re-created live entry must not inherit the tombstone's expiry");
    }

    // ------------------------------------------------------------------ lost replies

    /**
     * The script runs on the server, the connection drops before the reply: UNKNOWN_OUTCOME (retryable),
     * the write is there, and the retry (and any older version) changes nothing.
     */
    @Test
    void aLostReplyIsRetryableAndTheRetryIsHarmless() throws Exception {
        RedisKeyLayout layout = redis.layout("lost");
        RedisURI target = RedisURI.create(TestRedisUri.get());
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", target.getPort())) {
            RedisClient client = RedisClient.create(RedisURI.create("redis://127.0.0.1:" + proxy.port()));
            client.setOptions(ClientOptions.builder().autoReconnect(false).build());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                c.setTimeout(Duration.ofSeconds(3));
                RedisSink<TestItem> sink = sink(c, layout);
                assertEquals(ApplyResult.APPLIED, sink.apply(upsert("l", base + 1)));
                proxy.loseNextReply();
                Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("l", base + 2)));
                ErrorKind kind = sink.classifier().classify(e);
                assertTrue(kind.isRetryable(), "a lost reply must be retried, not dead-lettered: " + kind + " " + e);
                assertEquals(ErrorKind.UNKNOWN_OUTCOME, kind, "the script may have run: " + e);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            assertEquals(expected(upsert("l", base + 2)), redis.readBack(layout, TYPE, "l"), "the write landed");
            RedisSink<TestItem> retry = sink(redis.connection, layout);
            assertEquals(ApplyResult.ALREADY_CURRENT, retry.apply(upsert("l", base + 2)), "the retry is a no-op");
            assertEquals(ApplyResult.ALREADY_CURRENT, retry.apply(upsert("l", base + 1)), "so is an older version");
            assertEquals(expected(upsert("l", base + 2)), redis.readBack(layout, TYPE, "l"));
        }
    }

    /** With Lettuce's default options (auto-reconnect, at-least-once), the lost command is sent again. */
    @Test
    void aLostReplyWithDefaultClientOptionsIsResentHarmlessly() throws Exception {
        RedisKeyLayout layout = redis.layout("lost2");
        RedisURI target = RedisURI.create(TestRedisUri.get());
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", target.getPort())) {
            RedisClient client = RedisClient.create(RedisURI.create("redis://127.0.0.1:" + proxy.port()));
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                c.setTimeout(Duration.ofSeconds(5));
                RedisSink<TestItem> sink = sink(c, layout);
                sink.apply(upsert("l", base + 1));
                proxy.loseNextReply();
                try {
                    ApplyResult r = sink.apply(upsert("l", base + 3));
                    assertNotNull(r);
                } catch (Exception e) {
                    assertTrue(sink.classifier().classify(e).isRetryable(), "retryable: " + e);
                }
                assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("l", base + 2)), "older after the lost one");
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            assertEquals(expected(upsert("l", base + 3)), redis.readBack(layout, TYPE, "l"));
        }
    }

    // ------------------------------------------------------------------ batches

    /**
     * applyAll with stale, duplicate, new, delete and re-create items, and one poison entity (its key
     * holds a Redis string: WRONGTYPE): the poison fails PERMANENT and alone, the others land, and
     * the same again after SCRIPT FLUSH (the EVAL fallback) on a private server.
     */
    @Test
    void aBatchWithStaleDuplicateNewAndAPoisonLandsAllButThePoison() throws Exception {
        try (PrivateRedis own = PrivateRedis.start()) {
            for (boolean flush : new boolean[] {false, true}) {
                RedisKeyLayout layout = RedisKeyLayout.of("b" + flush + ":{type}:{id}");
                RedisSink<TestItem> sink = sink(own.admin, layout);
                sink.apply(upsert("stale", base + 5));
                sink.apply(upsert("dup", base + 3));
                sink.apply(delete("dead", base + 4));
                own.admin.sync().set(layout.key(TYPE, "poison"), "not a hash");
                if (flush) {
                    own.admin.sync().scriptFlush();
                }
                List<Change<TestItem>> batch = List.of(upsert("stale", base + 4), upsert("dup", base + 3),
                        upsert("new", base + 1), upsert("poison", base + 1), upsert("dead", base + 3),
                        upsert("dead", base + 6), delete("new", base + 2), upsert("new", base + 1));
                List<Sink.BatchItem> out = sink.applyAll(batch);
                assertEquals(batch.size(), out.size());
                Sink.BatchItem poison = out.get(3);
                assertFalse(poison.succeeded(), "the poison must fail");
                assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(poison.error()), "WRONGTYPE: " + poison.error());
                List<ApplyResult> others = new ArrayList<>();
                for (int i = 0; i < out.size(); i++) {
                    if (i != 3) {
                        assertTrue(out.get(i).succeeded(), "item " + i + " must succeed: " + out.get(i).error());
                        others.add(out.get(i).result());
                    }
                }
                assertEquals(List.of(ApplyResult.ALREADY_CURRENT, ApplyResult.ALREADY_CURRENT, ApplyResult.APPLIED,
                        ApplyResult.ALREADY_CURRENT, ApplyResult.APPLIED, ApplyResult.APPLIED, ApplyResult.ALREADY_CURRENT),
                        others, "flush=" + flush);
                assertEquals("not a hash", own.admin.sync().get(layout.key(TYPE, "poison")), "poison untouched");
                assertEquals("5", version(own, layout, "stale"));
                assertEquals("3", version(own, layout, "dup"));
                assertEquals("6", version(own, layout, "dead"));
                assertEquals("2", version(own, layout, "new"));
                assertEquals("1", own.admin.sync().hget(layout.key(TYPE, "new"), "deleted"));
            }
        }
    }

    private static Optional<Stored<TestItem>> readBack(PrivateRedis own, RedisKeyLayout layout, String id) throws Exception {
        Map<String, String> hash = own.admin.sync().hgetall(layout.key(TYPE, id));
        if (hash.isEmpty()) {
            return Optional.empty();
        }
        long version = Long.parseLong(hash.get("version"));
        return Optional.of("1".equals(hash.get("deleted")) ? Stored.deleted(version)
                : Stored.live(version, RedisSinkTest.JSON.readValue(hash.get("state"), TestItem.class)));
    }

    private String version(PrivateRedis own, RedisKeyLayout layout, String id) {
        String v = own.admin.sync().hget(layout.key(TYPE, id), "version");
        return v == null ? null : Long.toString(Long.parseLong(v) - base);
    }

    // ------------------------------------------------------------------ error classification against real servers

    /**
     * MISCONF: the server refuses writes because its last RDB save failed (a full or broken disk).
     * Nothing about the change is wrong and it passes once the disk is fixed, so promise 5 wants it
     * TRANSIENT; dead-lettering every change at once is what a disk incident on the cache must not do.
     */
    @Test
    void misconfAfterAFailedBackgroundSaveIsTransient() throws Exception {
        try (PrivateRedis own = PrivateRedis.start("--save", "3600 1", "--stop-writes-on-bgsave-error", "yes",
                "--enable-protected-configs", "yes")) {
            RedisKeyLayout layout = RedisKeyLayout.of("m:{type}:{id}");
            RedisSink<TestItem> sink = sink(own.admin, layout);
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("m", base + 1)));
            RedisFaultSupport.deleteRecursively(own.dir); // the server's working directory is gone: the save fails
            own.admin.sync().bgsave();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!"err".equals(own.info("persistence", "rdb_last_bgsave_status")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("err", own.info("persistence", "rdb_last_bgsave_status"), "the background save must have failed");
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("m", base + 2)),
                    "Redis refuses writes after a failed save");
            assertTrue(String.valueOf(e.getMessage()).startsWith("MISCONF"), "a MISCONF reply: " + e);
            assertEquals("1", version(own, layout, "m"), "nothing was written");
            ErrorKind kind = sink.classifier().classify(e);
            // the disk is repaired: the very same change goes through
            java.nio.file.Path fixed = java.nio.file.Files.createTempDirectory("dw-private-redis-fixed-");
            try {
                own.admin.sync().configSet("dir", fixed.toString());
                own.admin.sync().bgsave();
                deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!"ok".equals(own.info("persistence", "rdb_last_bgsave_status")) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(ApplyResult.APPLIED, sink.apply(upsert("m", base + 2)), "once the disk is fixed it applies");
            } finally {
                RedisFaultSupport.deleteRecursively(fixed);
            }
            assertEquals(ErrorKind.TRANSIENT, kind, "MISCONF is a server condition that passes, not a bad change: " + e);
        }
    }

    /** OOM (maxmemory, noeviction): TRANSIENT, and the script never leaves an entry half-written. */
    @Test
    void outOfMemoryIsTransientAndNeverLeavesAHalfWrittenEntry() throws Exception {
        try (PrivateRedis own = PrivateRedis.start("--maxmemory-policy", "noeviction")) {
            RedisKeyLayout layout = RedisKeyLayout.of("o:{type}:{id}");
            RedisSink<TestItem> sink = sink(own.admin, layout);
            sink.apply(upsert("live", base + 1));
            sink.apply(delete("gone", base + 1));
            long used = Long.parseLong(own.info("memory", "used_memory"));
            own.admin.sync().configSet("maxmemory", Long.toString(used / 2)); // over the limit from now on
            boolean oom = false;
            try {
                own.admin.sync().set("filler", "x");
            } catch (io.lettuce.core.RedisCommandExecutionException e) {
                assertTrue(e.getMessage().startsWith("OOM"), e.getMessage());
                oom = true;
            }
            assertTrue(oom, "the server must be out of memory");
            // (observed: Redis lets the guard script write anyway, since its DEL marks the script as having
            // written; so either outcome is accepted, but never a half-written entry or a lost guard)
            for (Change<TestItem> c : List.of(upsert("fresh", base + 1), upsert("live", base + 2), delete("live", base + 3),
                    upsert("gone", base + 2))) {
                Optional<Stored<TestItem>> before = readBack(own, layout, c.id());
                try {
                    sink.apply(c);
                    assertEquals(expected(c), readBack(own, layout, c.id()), c.idempotencyKey() + " applied in full");
                } catch (Exception e) {
                    assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "OOM: " + e);
                    assertEquals(before, readBack(own, layout, c.id()), c.idempotencyKey() + " failed: untouched");
                }
            }
        }
    }

    /** A read-only replica (after a fail-over to the wrong node): READONLY is TRANSIENT. */
    @Test
    void aReadOnlyReplicaIsTransient() throws Exception {
        try (PrivateRedis master = PrivateRedis.start()) {
            try (PrivateRedis replica = PrivateRedis.start("--replicaof", "127.0.0.1", Integer.toString(master.port))) {
                RedisKeyLayout layout = RedisKeyLayout.of("ro:{type}:{id}");
                sink(master.admin, layout).apply(upsert("x", base + 5));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (replica.admin.sync().exists(layout.key(TYPE, "x")) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                RedisSink<TestItem> onReplica = sink(replica.admin, layout);
                assertEquals(ApplyResult.ALREADY_CURRENT, onReplica.apply(upsert("x", base + 4)), "older: nothing to write");
                Exception e = assertThrows(Exception.class, () -> onReplica.apply(upsert("x", base + 6)));
                assertEquals(ErrorKind.TRANSIENT, onReplica.classifier().classify(e), "READONLY: " + e);
                Exception e2 = assertThrows(Exception.class, () -> onReplica.apply(upsert("y", base + 1)));
                assertEquals(ErrorKind.TRANSIENT, onReplica.classifier().classify(e2), "READONLY on a new key: " + e2);
            }
        }
    }

    /** min-replicas-to-write with its replica gone: NOREPLICAS is TRANSIENT, and nothing is written. */
    @Test
    void tooFewReplicasIsTransient() throws Exception {
        try (PrivateRedis own = PrivateRedis.start("--min-replicas-to-write", "1")) {
            RedisKeyLayout layout = RedisKeyLayout.of("norep:{type}:{id}");
            RedisSink<TestItem> sink = sink(own.admin, layout);
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("n", base + 1)));
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "NOREPLICAS: " + e);
            assertEquals(0L, own.admin.sync().exists(layout.key(TYPE, "n")));
        }
    }

    /** A server busy in a long script: BUSY is TRANSIENT, and the change applies once it is killed. */
    @Test
    void aServerBusyInALongScriptIsTransient() throws Exception {
        try (PrivateRedis own = PrivateRedis.start("--busy-reply-threshold", "100")) {
            RedisKeyLayout layout = RedisKeyLayout.of("busy:{type}:{id}");
            RedisSink<TestItem> sink = sink(own.admin, layout);
            sink.apply(upsert("b", base + 1));
            try (StatefulRedisConnection<String, String> hog = own.client.connect();
                 StatefulRedisConnection<String, String> killer = own.client.connect()) {
                RedisFuture<Long> loop = hog.async().eval("local i = 0 while true do i = i + 1 end return i",
                        ScriptOutputType.INTEGER);
                Thread.sleep(300);
                Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("b", base + 2)));
                assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "BUSY: " + e);
                killer.sync().scriptKill();
                assertThrows(Exception.class, () -> loop.get(5, TimeUnit.SECONDS));
            }
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert("b", base + 2)));
        }
    }

    /** The server goes down: every kind of client configuration sees a retryable failure, never PERMANENT. */
    @Test
    void aServerThatGoesDownIsRetryable() throws Exception {
        PrivateRedis own = PrivateRedis.start();
        RedisClient rejecting = RedisClient.create(RedisURI.create(own.uri()));
        rejecting.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        RedisClient queueing = RedisClient.create(RedisURI.create(own.uri()));
        try (StatefulRedisConnection<String, String> r = rejecting.connect();
             StatefulRedisConnection<String, String> q = queueing.connect()) {
            q.setTimeout(Duration.ofSeconds(1));
            RedisKeyLayout layout = RedisKeyLayout.of("down:{type}:{id}");
            sink(r, layout).apply(upsert("d", base + 1));
            own.kill();
            Thread.sleep(300);
            Exception e1 = assertThrows(Exception.class, () -> sink(r, layout).apply(upsert("d", base + 2)));
            assertEquals(ErrorKind.TRANSIENT, sink(r, layout).classifier().classify(e1), "rejected while down: " + e1);
            Exception e2 = assertThrows(Exception.class, () -> sink(q, layout).apply(upsert("d", base + 2)));
            assertTrue(sink(q, layout).classifier().classify(e2).isRetryable(), "queued while down: " + e2);
        } finally {
            rejecting.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            queueing.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            own.close();
        }
    }

    // ------------------------------------------------------------------ eviction

    /**
     * A cache under memory pressure with a volatile-* eviction policy, and a sink whose tombstones do not expire
     * ({@code tombstoneTtl(ZERO)}, as the docs advise for a cache that must never be stale): Redis evicts only keys
     * with an expiry, so other data goes and the tombstone stays; once the pressure passes, a late older upsert of
     * the deleted entity is refused (promise 3). (With the default 7-day tombstone expiry the tombstone would be the
     * first key evicted, and the late upsert would bring the entity back: the limit the docs state.)
     */
    @Test
    void aTombstoneThatNeverExpiresOutlivesMemoryPressureUnderAVolatilePolicy() throws Exception {
        try (PrivateRedis own = PrivateRedis.start("--maxmemory-policy", "volatile-lru")) {
            RedisKeyLayout layout = RedisKeyLayout.of("ev:{type}:{id}");
            RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(own.admin).keyLayout(layout)
                    .tombstoneTtl(Duration.ZERO).build();
            sink.apply(upsert("e", base + 1));
            assertEquals(ApplyResult.APPLIED, sink.apply(delete("e", base + 2)));
            long used = Long.parseLong(own.info("memory", "used_memory"));
            own.admin.sync().configSet("maxmemory", Long.toString(used + 2_000_000));
            String filler = "x".repeat(64 * 1024);
            int i = 0;
            boolean refused = false;
            for (; i < 2_000 && !refused; i++) {
                try {
                    // other data with an expiry, which volatile-lru may evict
                    own.admin.sync().setex("other-app-data:" + i, 3600, filler);
                } catch (io.lettuce.core.RedisCommandExecutionException oom) {
                    refused = true;
                }
            }
            assertEquals(1, own.admin.sync().exists(layout.key(TYPE, "e")), "the tombstone was not evicted after "
                    + i + " writes of other data");
            own.admin.sync().configSet("maxmemory", "0");
            for (int k = 0; k <= i; k++) {
                own.admin.sync().del("other-app-data:" + k);
            }
            ApplyResult late = sink.apply(upsert("e", base + 1));
            assertEquals(ApplyResult.ALREADY_CURRENT, late,
                    "an upsert older than the delete must never bring the entity back; cache now holds "
                            + own.admin.sync().hgetall(layout.key(TYPE, "e")).keySet());
        }
    }

    // ------------------------------------------------------------------ odd data

    /** Quotes, spaces, empty, unicode, glob characters, newlines, NUL and a 100k-character id; a 12 MB state; versions at Long.MAX_VALUE. */
    @Test
    void oddIdsHugeUnicodeStatesAndVersionsNearLongMaxRoundTripExactly() throws Exception {
        RedisKeyLayout layout = redis.layout("odd");
        RedisSink<TestItem> sink = sink(redis.connection, layout);
        List<String> ids = List.of("", "'", "\"", "a b", "ключ", "😀", "a:b", "{tag}", "*", "[x]", "\\", "line\nbreak",
                "nul\u0000id", "x".repeat(100_000));
        String huge = "é😀\u0000\"'\\".repeat(2_000_000 / 7) + "tail";
        long max = Long.MAX_VALUE;
        Map<String, Change<TestItem>> expectedById = new LinkedHashMap<>();
        for (String id : ids) {
            TestItem state = new TestItem(id, id.length() > 10 ? huge : "ünïcødé " + id, Long.MIN_VALUE,
                    List.of("ü", "\u2028", "😀", id));
            assertEquals(ApplyResult.APPLIED, sink.apply(upsert(TYPE, id, max - 1, state)), "first write of [" + id + "]");
            Change<TestItem> top = upsert(TYPE, id, max, state.withName(state.name() + "!"));
            assertEquals(ApplyResult.APPLIED, sink.apply(top), "Long.MAX_VALUE of [" + id + "]");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(TYPE, id, max - 1, state)), "older of [" + id + "]");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(TYPE, id, 9, state)), "much shorter version of [" + id + "]");
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(TYPE, id, max, state)), "same version, other state");
            expectedById.put(id, top);
            assertEquals(expected(top), redis.readBack(layout, TYPE, id), "[" + id + "] read back");
            assertEquals(top.requireState(), sink.get(id).orElseThrow(), "get [" + id + "]");
        }
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert(TYPE, "v9", 9, TestItem.variant("v9", 9))));
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert(TYPE, "v9", 10, TestItem.variant("v9", 10))), "9 -> 10 (length grows)");
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert(TYPE, "v9", 9, TestItem.variant("v9", 9))));
        expectedById.put("v9", upsert(TYPE, "v9", 10, TestItem.variant("v9", 10)));

        // reconciliation reads see exactly what was applied
        Map<String, Long> versions = sink.versionsOf(expectedById.keySet());
        Map<String, Long> want = new HashMap<>();
        expectedById.forEach((id, c) -> want.put(id, c.version()));
        assertEquals(want, new HashMap<>(versions), "versionsOf");
        Map<String, ContentDigest> digests = sink.contentDigestsOf(expectedById.keySet());
        for (Map.Entry<String, Change<TestItem>> e : expectedById.entrySet()) {
            assertEquals(sink.expectedContentDigest(e.getValue()), digests.get(e.getKey()), "digest of [" + e.getKey() + "]");
        }
        List<String> listed = new ArrayList<>();
        String after = null;
        for (List<String> page = sink.idsAfter(null, 3); !page.isEmpty(); page = sink.idsAfter(after, 3)) {
            listed.addAll(page);
            after = page.get(page.size() - 1);
            if (listed.size() > 100) {
                fail("idsAfter does not end: " + listed.size());
            }
        }
        assertEquals(new ArrayList<>(new TreeSet<>(expectedById.keySet())), listed, "idsAfter pages every id once, in order");
    }

    // ------------------------------------------------------------------ layout

    /**
     * Two entity types on the same template, one of them with a ':' (the writer only refuses '/'). Entity "line:7" of
     * "order" and entity "7" of "order:line" would get the same key, so one cache entry would hold the other type's
     * state (promise 1), and the "order" sink would list the "order:line" entities as its own ids. The sink of a type
     * that contains the template's separator is refused at build; one of a type without it keeps its keys apart.
     */
    @Test
    void twoEntityTypesOnOneTemplateNeverShareKeysOrIds() throws Exception {
        RedisKeyLayout layout = redis.layout("types");
        RedisSink<TestItem> orders = RedisSink.builder("order", TestItem.class).connection(redis.connection)
                .keyLayout(layout).build();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> RedisSink
                .builder("order:line", TestItem.class).connection(redis.connection).keyLayout(layout).build());
        assertTrue(refused.getMessage().contains("order:line"), refused.getMessage());
        RedisSink<TestItem> lines = RedisSink.builder("order-line", TestItem.class).connection(redis.connection)
                .keyLayout(layout).build();
        assertEquals(ApplyResult.APPLIED, orders.apply(upsert("order", "line:7", base + 10, TestItem.variant("line:7", 10))));
        assertEquals(ApplyResult.APPLIED, lines.apply(upsert("order-line", "7", base + 1, TestItem.variant("7", 1))));
        assertEquals("7", lines.get("7").orElseThrow().id(), "each type's entry holds its own entity");
        assertEquals(List.of("line:7"), orders.idsAfter(null, 10), "the order sink lists only orders");
        assertThrows(IllegalArgumentException.class, () -> RedisKeyLayout.of("x:{type}{id}"),
                "a template with {type} right beside {id} is refused");
    }

    /**
     * A type is refused whenever the separator could start inside it (before {id}) or end inside it (after {id}), and
     * only then: each refused pair below would otherwise give two entities of two types one key.
     */
    @Test
    void aTypeIsRefusedWhereTheSeparatorCouldReachIntoIt() {
        RedisKeyLayout slashes = RedisKeyLayout.of("cache/{type}/v1/{id}");
        assertThrows(IllegalArgumentException.class, () -> slashes.checkEntityType("a/v1"),
                "a/v1 + 1 and a + v1/1 are both cache/a/v1/v1/1");
        assertEquals("a", slashes.checkEntityType("a"));
        assertEquals("a/b", slashes.checkEntityType("a/b"));
        RedisKeyLayout doubled = RedisKeyLayout.of("x::{type}::{id}");
        assertThrows(IllegalArgumentException.class, () -> doubled.checkEntityType("order:"),
                "order: + ...: and order + :... meet");
        assertEquals("order", doubled.checkEntityType("order"));
        RedisKeyLayout after = RedisKeyLayout.of("{id}:{type}");
        assertThrows(IllegalArgumentException.class, () -> after.checkEntityType("a:b"));
        assertEquals("ab", after.checkEntityType("ab"));
        assertEquals("any:thing", RedisKeyLayout.of("shop:{id}").checkEntityType("any:thing"), "no {type}: nothing to meet");
    }

    /** The shared server's URI, as the fixture's client sees it. */
    private static final class TestRedisUri {
        static String get() {
            return io.dualwrite.testkit.servers.TestRedis.uri();
        }
    }
}
