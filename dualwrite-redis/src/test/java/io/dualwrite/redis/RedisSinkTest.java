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

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dualwrite.Change;
import io.dualwrite.ErrorKind;
import io.dualwrite.Operation;
import io.dualwrite.Versions;
import io.dualwrite.redis.internal.VersionGuardScript;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.MappingException;
import io.dualwrite.spi.Sink;
import io.dualwrite.testkit.TestItem;
import io.dualwrite.testkit.servers.TestRedis;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What is specific to the Redis sink, against the real Redis. */
class RedisSinkTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String TYPE = "item";
    @RegisterExtension
    static final RedisFixture redis = new RedisFixture();
    private final long base = Versions.firstVersion(Instant.now());

    private static Change<TestItem> upsert(String id, long version) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.UPSERT)
                .state(TestItem.variant(id, (int) (version % 1000))).correlationId("c-" + id)
                .time(Instant.now()).build();
    }

    private static Change<TestItem> delete(String id, long version) {
        return Change.<TestItem>builder().entityType(TYPE).id(id).version(version).operation(Operation.DELETE)
                .correlationId("c-" + id).time(Instant.now()).build();
    }

    /** A Redis sink built for "items" on a writer of "item" is refused when the writer is built, naming both. */
    @Test
    void aSinkBuiltForAnotherEntityTypeIsRefusedWhenTheWriterIsBuilt() {
        RedisSink<TestItem> forItems = RedisSink.builder("items", TestItem.class).connection(redis.connection)
                .keyLayout(redis.layout("mismatch")).build();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> io.dualwrite.DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id)
                        .primary(new io.dualwrite.memory.InMemoryPrimaryStore<>())
                        .deadLetterStore(new io.dualwrite.memory.InMemoryDeadLetterStore())
                        .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                        .sink("cache", forItems).build());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'items'")
                && e.getMessage().contains("'" + TYPE + "'"), e.getMessage());
    }

    @Test
    void tombstoneExpiresAfterTheConfiguredTime() throws Exception {
        RedisKeyLayout layout = redis.layout("tomb");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout)
                .tombstoneTtl(Duration.ofMinutes(3)).build();
        sink.apply(upsert("t1", base + 1));
        String key = layout.key(TYPE, "t1");
        assertEquals(-1L, redis.connection.sync().pttl(key), "a live entry has no expiry by default");
        assertEquals(ApplyResult.APPLIED, sink.apply(delete("t1", base + 2)), "the delete must be applied");
        long pttl = redis.connection.sync().pttl(key);
        assertTrue(pttl > 170_000 && pttl <= 180_000, "the tombstone must expire after about 3 minutes, pttl " + pttl);
        assertEquals(Map.of("version", Long.toString(base + 2), "deleted", "1"), redis.connection.sync().hgetall(key),
                "a tombstone holds only its version and the deleted flag");
        assertTrue(sink.entry("t1").orElseThrow().deleted(), "entry() must report the tombstone");
        assertTrue(sink.get("t1").isEmpty(), "get() must not return a deleted entity");
    }

    @Test
    void tombstoneGuardsOnlyUntilItExpires() throws Exception {
        RedisKeyLayout layout = redis.layout("short");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout)
                .tombstoneTtl(Duration.ofMillis(150)).build();
        sink.apply(delete("t2", base + 5));
        assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("t2", base + 4)),
                "while the tombstone lives an older write must be refused");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (redis.connection.sync().exists(layout.key(TYPE, "t2")) == 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0L, redis.connection.sync().exists(layout.key(TYPE, "t2")), "the tombstone must expire");
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("t2", base + 6)),
                "after the tombstone expired a newer write is cached again");
    }

    @Test
    void tombstonesCanBeKeptForEver() throws Exception {
        RedisKeyLayout layout = redis.layout("forever");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout)
                .tombstoneTtl(Duration.ZERO).build();
        sink.apply(upsert("t3", base + 1));
        sink.apply(delete("t3", base + 2));
        assertEquals(-1L, redis.connection.sync().pttl(layout.key(TYPE, "t3")), "a zero TTL keeps the tombstone for ever");
    }

    @Test
    void liveEntriesExpireWhenConfigured() throws Exception {
        RedisKeyLayout layout = redis.layout("ttl");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout)
                .entryTtl(Duration.ofSeconds(90)).build();
        sink.apply(upsert("e1", base + 1));
        long pttl = redis.connection.sync().pttl(layout.key(TYPE, "e1"));
        assertTrue(pttl > 80_000 && pttl <= 90_000, "a live entry must expire after about 90 s, pttl " + pttl);
        sink.apply(upsert("e1", base + 2));
        assertEquals(TestItem.variant("e1", (int) ((base + 2) % 1000)), sink.get("e1").orElseThrow(),
                "get() must return the newest cached state");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RedisKeyLayout.of("no-id-here"), "a template needs {id}");
        assertThrows(IllegalArgumentException.class, () -> RedisKeyLayout.of("{id}:{id}"), "{id} only once");
        RedisSink.Builder<TestItem> b = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection);
        assertThrows(IllegalArgumentException.class, () -> b.tombstoneTtl(Duration.ofSeconds(-1)), "negative TTL");
        assertThrows(IllegalArgumentException.class, () -> b.entryTtl(Duration.ofNanos(10)), "sub-millisecond TTL");
        assertThrows(IllegalArgumentException.class, () -> b.scanCount(0), "scan count below 1");
        assertThrows(NullPointerException.class, () -> b.keyLayout(null), "null layout");
    }

    @Test
    void keyLayoutPlacesEntriesWhereConfigured() throws Exception {
        String prefix = redis.runPrefix + "shop:";
        RedisKeyLayout layout = RedisKeyLayout.of(prefix + "{type}[v1]:{id}:cache");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout).build();
        sink.apply(upsert("k*1", base + 1));
        assertEquals(1L, redis.connection.sync().exists(prefix + "item[v1]:k*1:cache"),
                "the entry must live at the key the template gives");
        assertEquals(List.of("k*1"), sink.idsAfter(null, 10),
                "glob characters in the template and the id must not confuse SCAN");
        assertEquals(Map.of("k*1", base + 1), sink.versionsOf(List.of("k*1", "k?1")), "versionsOf by exact key");
        MappingException refused = assertThrows(MappingException.class, () -> sink.apply(Change.<TestItem>builder()
                        .entityType("other").id("x").version(base).operation(Operation.DELETE).correlationId("c")
                        .time(Instant.now()).build()),
                "a change of another entity type must be refused before anything is sent");
        assertInstanceOf(IllegalArgumentException.class, refused.getCause(), "as an illegal argument: " + refused);
    }

    @Test
    void buildingNeedsAnEntityTypeAndAConnection() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RedisSink.builder(TYPE, TestItem.class).build());
        assertTrue(e.getMessage().contains("connection"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RedisSink.builder(" ", TestItem.class), "a blank type");
        assertThrows(NullPointerException.class, () -> RedisSink.builder(TYPE, null), "an entity class");
    }

    @Test
    void anUnreadableCachedEntryIsAnUncheckedPermanentSinkException() {
        RedisKeyLayout layout = redis.layout("unreadable");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout)
                .build();
        redis.connection.sync().hset(layout.key(TYPE, "bad-json"), Map.of("version", "7", "state", "{not json"));
        io.dualwrite.spi.SinkException e = assertThrows(io.dualwrite.spi.SinkException.class, () -> sink.get("bad-json"));
        assertEquals(ErrorKind.PERMANENT, e.kind(), e.getMessage());
        assertEquals(Optional.empty(), sink.get("never-cached"), "nothing cached is empty, not an error");
    }

    @Test
    void runsTheScriptWithEvalWhenTheServerForgotIt() throws Exception {
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection)
                .keyLayout(redis.layout("flush")).build();
        redis.connection.sync().scriptFlush();
        assertFalse(redis.connection.sync().scriptExists(VersionGuardScript.sha()).get(0), "the flush must forget the script");
        assertEquals(ApplyResult.APPLIED, sink.apply(upsert("f1", base + 1)), "apply must fall back to EVAL");
        assertTrue(redis.connection.sync().scriptExists(VersionGuardScript.sha()).get(0),
                "EVAL must have cached the script again for the next EVALSHA");
        redis.connection.sync().scriptFlush();
        List<Sink.BatchItem> items = sink.applyAll(List.of(upsert("f1", base + 2), upsert("f2", base + 1), upsert("f1", base)));
        assertEquals(List.of(ApplyResult.APPLIED, ApplyResult.APPLIED, ApplyResult.ALREADY_CURRENT),
                items.stream().map(Sink.BatchItem::result).toList(), "applyAll must fall back to EVAL per item too");
    }

    @Test
    void idsAfterSortsClientSideAcrossManyScanPages() throws Exception {
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection)
                .keyLayout(redis.layout("scan")).scanCount(7).build();
        TreeSet<String> live = new TreeSet<>();
        List<Change<TestItem>> batch = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String id = Integer.toString(i * 7919 % 1000, 36) + "-" + i;
            batch.add(upsert(id, base + 1));
            if (i % 5 == 0) {
                batch.add(delete(id, base + 2));
            } else {
                live.add(id);
            }
        }
        assertTrue(sink.applyAll(batch).stream().allMatch(Sink.BatchItem::succeeded), "the batch must succeed");
        List<String> seen = new ArrayList<>();
        String after = null;
        for (List<String> page = sink.idsAfter(null, 13); !page.isEmpty(); page = sink.idsAfter(after, 13)) {
            seen.addAll(page);
            after = page.get(page.size() - 1);
        }
        assertEquals(new ArrayList<>(live), seen, "pages must list every live id once, ascending, without tombstones");
    }

    @Test
    void anUnmappableEntityFailsPermanentlyBeforeTouchingRedis() throws Exception {
        RedisKeyLayout layout = redis.layout("unmappable");
        RedisSink<Object> sink = RedisSink.builder(TYPE, Object.class).connection(redis.connection).keyLayout(layout).build();
        Change<Object> change = Change.builder().entityType(TYPE).id("o1").version(base).operation(Operation.UPSERT)
                .state(new Object()).correlationId("c").time(Instant.now()).build();
        Exception v = assertThrows(Exception.class, () -> sink.validate(change), "Jackson cannot map a bare Object");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(v), "a mapping failure is PERMANENT: " + v);
        Exception a = assertThrows(Exception.class, () -> sink.apply(change), "apply fails the same way");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(a), "and PERMANENT: " + a);
        List<Sink.BatchItem> items = sink.applyAll(List.of(change));
        assertFalse(items.get(0).succeeded(), "and in a batch");
        assertEquals(0L, redis.connection.sync().exists(layout.key(TYPE, "o1")), "nothing was written");
    }

    @Test
    void wrongTypeAtTheKeyIsPermanent() {
        RedisKeyLayout layout = redis.layout("wrongtype");
        RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(redis.connection).keyLayout(layout).build();
        redis.connection.sync().set(layout.key(TYPE, "w1"), "a plain string");
        Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("w1", base + 1)),
                "a key holding another Redis type must fail the write");
        assertEquals(ErrorKind.PERMANENT, sink.classifier().classify(e), "WRONGTYPE must be PERMANENT: " + e);
        assertEquals("a plain string", redis.connection.sync().get(layout.key(TYPE, "w1")), "the key must be untouched");
    }

    @Test
    void timeoutAfterSendingIsUnknownOutcomeAndTheWriteMayStillLand() throws Exception {
        RedisKeyLayout layout = redis.layout("timeout");
        try (StatefulRedisConnection<String, String> slow = redis.client.connect()) {
            RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(slow).keyLayout(layout).build();
            sink.apply(upsert("warm", base)); // the script is cached and the connection is up
            // a blocking pop holds this connection for a second, so the script waits behind it on the server
            RedisFuture<?> blocker = slow.async().blpop(1, redis.runPrefix + "never-pushed");
            slow.setTimeout(Duration.ofMillis(200));
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("u1", base + 1)),
                    "a reply that does not come in time must fail the call");
            assertEquals(ErrorKind.UNKNOWN_OUTCOME, sink.classifier().classify(e), "a timeout after sending: " + e);
            blocker.get();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (redis.connection.sync().exists(layout.key(TYPE, "u1")) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(Long.toString(base + 1), redis.connection.sync().hget(layout.key(TYPE, "u1"), "version"),
                    "the timed-out write ran on the server after all: the outcome was truly unknown");
            slow.setTimeout(Duration.ofSeconds(5));
            assertEquals(ApplyResult.ALREADY_CURRENT, sink.apply(upsert("u1", base + 1)),
                    "redelivering the same change is harmless");
        }
    }

    @Test
    void disconnectedClientIsTransient() throws Exception {
        RedisClient client = RedisClient.create(TestRedis.uri());
        client.setOptions(ClientOptions.builder().autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisSink<TestItem> sink = RedisSink.builder(TYPE, TestItem.class).connection(c).keyLayout(redis.layout("gone")).build();
            redis.connection.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(c.sync().clientId()));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (c.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Exception e = assertThrows(Exception.class, () -> sink.apply(upsert("g1", base + 1)),
                    "a write on a closed connection must fail");
            assertEquals(ErrorKind.TRANSIENT, sink.classifier().classify(e), "nothing was sent: " + e);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void classifierReadsRedisErrorCodes() {
        RedisErrorClassifier c = RedisErrorClassifier.instance();
        assertEquals(ErrorKind.TRANSIENT, c.classify(new io.lettuce.core.RedisCommandExecutionException(
                "BUSY Redis is busy running a script")), "BUSY");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new io.lettuce.core.RedisCommandExecutionException(
                "LOADING Redis is loading the dataset in memory")), "LOADING");
        assertEquals(ErrorKind.PERMANENT, c.classify(new io.lettuce.core.RedisCommandExecutionException(
                "ERR user_script:1: Script attempted to access nonexistent global variable")), "a script error");
        assertEquals(ErrorKind.TRANSIENT, c.classify(new io.lettuce.core.RedisConnectionException("refused")), "no connection");
        assertEquals(ErrorKind.UNKNOWN_OUTCOME, c.classify(new io.lettuce.core.RedisCommandTimeoutException("late")), "timeout");
    }
}
