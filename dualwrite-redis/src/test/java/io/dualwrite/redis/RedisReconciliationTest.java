package io.dualwrite.redis;

import io.dualwrite.DualWriter;
import io.dualwrite.Operation;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemoryReconcileStore;
import io.dualwrite.reconcile.DriftClass;
import io.dualwrite.reconcile.ReconcileException;
import io.dualwrite.reconcile.ReconcileReport;
import io.dualwrite.reconcile.ReconcileScope;
import io.dualwrite.reconcile.Reconciler;
import io.dualwrite.reconcile.RepairOutcome;
import io.dualwrite.reconcile.RunStatus;
import io.dualwrite.redis.internal.VersionGuardScript;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.ReconcilableSink;
import io.dualwrite.spi.Snapshot;
import io.dualwrite.testkit.TestItem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reconciliation against the real Redis: drift of every class found, content edited in Redis by
 * hand too, repaired through the coordinator, resumed.
 */
class RedisReconciliationTest {
    private static final String TYPE = "item";
    @RegisterExtension
    static final RedisFixture redis = new RedisFixture();

    /** A primary in memory, the Redis sink registered with a writer, drift injected straight into Redis. */
    private static final class Setup implements AutoCloseable {
        final InMemoryPrimaryStore<TestItem> primary = new InMemoryPrimaryStore<>();
        final RedisKeyLayout layout = redis.layout("reconcile");
        final RedisSink<TestItem> sink = RedisSink.builder(redis.connection, TYPE, TestItem.class).keyLayout(layout)
                .build();
        final InMemoryReconcileStore store = new InMemoryReconcileStore();
        final DualWriter<TestItem> writer = DualWriter.<TestItem>builder().entityType(TYPE).idOf(TestItem::id)
                .primary(primary).deadLetterStore(new InMemoryDeadLetterStore()).sink("cache", sink)
                .meterRegistry(new SimpleMeterRegistry()).build();

        Setup(int n) {
            for (int i = 0; i < n; i++) {
                writer.save(TestItem.variant(id(i), i));
            }
            writer.operations().flushAcknowledgements();
        }

        static String id(int i) {
            return String.format("r-%03d", i);
        }

        long version(String id) {
            return primary.read(id).orElseThrow().version();
        }

        void setRedisVersion(String id, long version) {
            redis.connection.sync().hset(layout.key(TYPE, id), VersionGuardScript.FIELD_VERSION, Long.toString(version));
        }

        /** missing r-003, stale r-007, orphan r-011 (deleted, the delete never sent), orphan zz-ghost, ahead r-015. */
        void injectEveryClass() throws Exception {
            redis.connection.sync().del(layout.key(TYPE, id(3)));
            setRedisVersion(id(7), version(id(7)) - 1);
            primary.commit(PrimaryWrite.<TestItem>builder().id(id(11)).operation(Operation.DELETE).intents(List.of())
                    .correlationId("test").time(Instant.now()).build());
            assertEquals(ApplyResult.APPLIED, sink.apply(io.dualwrite.Change.<TestItem>builder().entityType(TYPE)
                    .id("zz-ghost").version(42).operation(Operation.UPSERT).state(TestItem.variant("zz-ghost", 1))
                    .correlationId("test").time(Instant.now()).build()));
            setRedisVersion(id(15), version(id(15)) + 5);
        }

        Reconciler reconciler(ReconcilableSink<TestItem> reader) {
            return Reconciler.<TestItem>builder().writer(writer).primary(primary).sink("cache", reader).store(store)
                    .meterRegistry(new SimpleMeterRegistry()).chunkSize(6).repairsPerSecond(10_000).build();
        }

        Map<String, Long> primaryLive() {
            Map<String, Long> out = new TreeMap<>();
            for (Snapshot<TestItem> s : primary.scan(null, 10_000)) {
                if (!s.deleted()) {
                    out.put(s.id(), s.version());
                }
            }
            return out;
        }

        Map<String, Long> redisLive() throws Exception {
            return new TreeMap<>(sink.versionsOf(sink.idsAfter(null, 10_000)));
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    @Test
    void everyDriftClassIsFoundInRedisAndRepairedAndASecondRunFindsOnlyThePhantom() throws Exception {
        try (Setup s = new Setup(24)) {
            s.injectEveryClass();
            Reconciler reconciler = s.reconciler(s.sink);

            ReconcileReport dry = reconciler.dryRun(ReconcileScope.all());
            assertEquals(1, dry.count(DriftClass.MISSING), dry.summary());
            assertEquals(1, dry.count(DriftClass.STALE), dry.summary());
            assertEquals(2, dry.count(DriftClass.ORPHAN), dry.summary());
            assertEquals(1, dry.count(DriftClass.AHEAD), dry.summary());
            assertEquals(20, dry.count(DriftClass.IN_SYNC), dry.summary());
            assertTrue(s.sink.get(Setup.id(3)).isEmpty(), "the dry run left Redis alone");

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());
            assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
            assertEquals(2, applied.actions(RepairOutcome.ORPHAN_DELETED), applied.summary());
            Map<String, Long> expected = s.primaryLive();
            expected.put(Setup.id(15), s.version(Setup.id(15)) + 5);
            assertEquals(expected, s.redisLive(), "Redis matches the primary but for the phantom");
            assertEquals(TestItem.variant(Setup.id(3), 3), s.sink.get(Setup.id(3)).orElseThrow(),
                    "the primary's state was republished");
            assertEquals(43, s.sink.entry("zz-ghost").orElseThrow().version(), "the orphan's delete carried 42 + 1");
            assertTrue(s.sink.entry("zz-ghost").orElseThrow().deleted(), "Redis keeps a tombstone for the orphan");
            assertEquals(s.version(Setup.id(11)), s.sink.entry(Setup.id(11)).orElseThrow().version(),
                    "the deleted entity's orphan is deleted at the tombstone's version");

            ReconcileReport second = reconciler.apply(ReconcileScope.all());
            assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
            assertEquals(0, second.repaired(), second.summary());
        }
    }

    @Test
    void contentEditedInRedisIsFoundAmongTheOtherClassesAndRewritten() throws Exception {
        try (Setup s = new Setup(24)) {
            s.injectEveryClass();
            String key19 = s.layout.key(TYPE, Setup.id(19));
            String key20 = s.layout.key(TYPE, Setup.id(20));
            redis.connection.sync().hset(key19, VersionGuardScript.FIELD_STATE,
                    RedisSinkTest.JSON.writeValueAsString(TestItem.variant(Setup.id(19), 90)));
            redis.connection.sync().hset(key20, VersionGuardScript.FIELD_STATE, "not json at all");
            long v19 = s.version(Setup.id(19));
            Reconciler reconciler = Reconciler.<TestItem>builder().writer(s.writer).primary(s.primary)
                    .sink("cache", s.sink).store(s.store).meterRegistry(new SimpleMeterRegistry()).chunkSize(6)
                    .repairsPerSecond(10_000).compareContent(true).build();

            ReconcileReport applied = reconciler.apply(ReconcileScope.all());

            assertEquals(2, applied.count(DriftClass.CONTENT_MISMATCH), applied.summary());
            assertEquals(1, applied.count(DriftClass.STALE), "the other classes as before: " + applied.summary());
            assertEquals(2, applied.count(DriftClass.ORPHAN), applied.summary());
            assertEquals(1, applied.count(DriftClass.AHEAD), "the phantom's content is not compared: " + applied.summary());
            assertEquals(2, applied.actions(RepairOutcome.REWRITTEN), applied.summary());
            assertEquals(2, applied.actions(RepairOutcome.REPUBLISHED), applied.summary());
            assertEquals(TestItem.variant(Setup.id(19), 19), s.sink.get(Setup.id(19)).orElseThrow(),
                    "Redis holds the primary's state again");
            assertEquals(v19 + 1, s.sink.entry(Setup.id(19)).orElseThrow().version(), "at the primary's next version");
            assertEquals(TestItem.variant(Setup.id(20), 20), s.sink.get(Setup.id(20)).orElseThrow(),
                    "a state that is not JSON is drift like any other");
            Map<String, Long> expected = s.primaryLive();
            expected.put(Setup.id(15), s.version(Setup.id(15)) + 5);
            assertEquals(expected, s.redisLive(), "Redis matches the primary but for the phantom");
            ReconcileReport second = reconciler.apply(ReconcileScope.all());
            assertEquals(1, second.drift(), "only the phantom is left: " + second.summary());
        }
    }

    @Test
    void aRunKilledHalfwayResumesAndEndsWithRedisInSync() throws Exception {
        try (Setup s = new Setup(24)) {
            s.injectEveryClass();
            AtomicInteger calls = new AtomicInteger();
            ReconcilableSink<TestItem> dying = new ReconcilableSink<>() {
                @Override
                public ApplyResult apply(io.dualwrite.Change<TestItem> change) throws Exception {
                    return s.sink.apply(change);
                }

                @Override
                public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
                    // the comparison of the third chunk fails: two are done and checkpointed
                    if (ids.contains(Setup.id(12)) && calls.incrementAndGet() == 1) {
                        throw new IOException("Redis connection lost (injected)");
                    }
                    return s.sink.versionsOf(ids);
                }

                @Override
                public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
                    return s.sink.idsAfter(afterExclusive, limit);
                }
            };
            ReconcileException crash = assertThrows(ReconcileException.class,
                    () -> s.reconciler(dying).apply(ReconcileScope.all()));
            assertEquals(2, crash.report().chunks(), crash.report().summary());

            ReconcileReport resumed = s.reconciler(s.sink).apply(ReconcileScope.all());

            assertEquals(RunStatus.COMPLETED, resumed.status());
            assertEquals(1, resumed.resumes());
            assertEquals(5, resumed.drift(), "every injected id counted once across the crash: " + resumed.summary());
            assertEquals(4, resumed.repaired(), resumed.summary());
            Map<String, Long> expected = s.primaryLive();
            expected.put(Setup.id(15), s.version(Setup.id(15)) + 5);
            assertEquals(expected, s.redisLive(), "Redis ends in sync but for the phantom");
        }
    }
}
