package io.dualwrite.reconcile;

import io.dualwrite.Change;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.DualWriter;
import io.dualwrite.ErrorKind;
import io.dualwrite.SinkOutcome;
import io.dualwrite.SinkSettings;
import io.dualwrite.VersionConflictException;
import io.dualwrite.WriteResult;
import io.dualwrite.memory.InMemoryDeadLetterStore;
import io.dualwrite.memory.InMemoryPrimaryStore;
import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;
import io.dualwrite.spi.SinkException;
import io.dualwrite.spi.Snapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator's reconciliation hooks, on their own. */
class RedeliverTest {

    @Test
    void redeliverSendsThePrimarysCurrentStateAndSkipsWhatItDoesNotHold() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String id = ReconcileFixture.id(1);
            f.search.force(id, 0, null);
            Map<String, SinkOutcome> out = f.writer.redeliver("search", List.of(id, "absent", id));
            assertEquals(Map.of(id, SinkOutcome.APPLIED, "absent", SinkOutcome.SKIPPED), out);
            assertEquals(List.of(id, "absent"), List.copyOf(out.keySet()), "in the given order, duplicates once");
            assertEquals(f.version(id), f.search.versionOf(id).getAsLong());
            assertEquals(SinkOutcome.APPLIED, f.writer.redeliver("search", List.of(id)).get(id),
                    "a redelivery of what the sink holds is harmless");
            assertThrows(IllegalArgumentException.class, () -> f.writer.redeliver("nope", List.of(id)));
        }
    }

    @Test
    void removeOrphansDeletesAtTheHeldVersionPlusOneAndLeavesLiveEntitiesAlone() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String live = ReconcileFixture.id(0);
            f.search.force("ghost", 9, new Item("ghost", "x", 1));
            Map<String, Long> held = new LinkedHashMap<>();
            held.put("ghost", 9L);
            held.put(live, f.version(live));
            Map<String, SinkOutcome> out = f.writer.removeOrphans("search", held);
            assertEquals(SinkOutcome.APPLIED, out.get("ghost"));
            assertEquals(SinkOutcome.SKIPPED, out.get(live), "the primary holds it: not an orphan");
            assertTrue(f.search.isDeleted("ghost"));
            assertEquals(10, f.search.versionOf("ghost").getAsLong(), "held version + 1");
            assertTrue(f.search.get(live).isPresent());
            f.writer.save(new Item("ghost", "created for real later", 1));
            assertEquals("created for real later", f.search.get("ghost").orElseThrow().name(),
                    "a later real write beats the orphan's tombstone");
            assertThrows(IllegalArgumentException.class, () -> f.writer.removeOrphans("search", Map.of("x", 0L)));
            assertThrows(IllegalArgumentException.class,
                    () -> f.writer.removeOrphans("search", Map.of("x", Long.MAX_VALUE)));
        }
    }

    @Test
    void rewriteCommitsTheStoredStateAsTheNextVersionOnlyWhileThePrimaryHoldsTheExpectedOne() {
        try (ReconcileFixture f = new ReconcileFixture().seed(3)) {
            String id = ReconcileFixture.id(1);
            long v = f.version(id);
            Item stored = f.primary.read(id).orElseThrow().state().orElseThrow();
            f.search.force(id, v, new Item(id, "edited by hand", 9));

            WriteResult result = f.writer.rewrite(id, v);

            assertEquals(v + 1, result.version(), "the next version");
            assertEquals(Map.of("search", SinkOutcome.APPLIED, "cache", SinkOutcome.APPLIED), result.outcomes(),
                    "delivered like a save");
            assertEquals(stored, f.search.get(id).orElseThrow(), "the stored state, unchanged");
            VersionConflictException moved = assertThrows(VersionConflictException.class, () -> f.writer.rewrite(id, v),
                    "the entity moved on since version " + v);
            assertEquals(v + 1, moved.actualVersion());
            assertThrows(VersionConflictException.class, () -> f.writer.rewrite("absent", 1));
            f.writer.delete(id);
            assertThrows(VersionConflictException.class, () -> f.writer.rewrite(id, v + 2), "a tombstone has no state");
            assertEquals(v + 2, f.version(id), "nothing was written by the refused rewrites");
        }
    }

    @Test
    void changeForIsWhatARedeliverySendsWithTheSinksSchemaVersion() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(new InMemoryDeadLetterStore()).sink("v2", new InMemorySink<>(),
                        SinkSettings.builder().schemaVersion(2).build())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Item("a", "x", 1));
            Snapshot<Item> snap = writer.read("a").orElseThrow();
            Change<Item> change = writer.changeFor("v2", snap);
            assertEquals(snap.version(), change.version());
            assertEquals(new Item("a", "x", 1), change.requireState());
            assertEquals(2, change.schemaVersion(), "the sink's schema version");
            assertEquals("item", change.entityType());
            assertThrows(IllegalArgumentException.class, () -> writer.changeFor("nope", snap));
        }
    }

    @Test
    void aPermanentFailureOfARepairIsDeadLettered() {
        InMemoryPrimaryStore<Item> primary = new InMemoryPrimaryStore<>();
        InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
        InMemorySink<Item> ok = new InMemorySink<>();
        Sink<Item> rejecting = new Sink<>() {
            @Override
            public ApplyResult apply(Change<Item> change) throws Exception {
                throw new SinkException("mapping rejected " + change.id(), ErrorKind.PERMANENT, null);
            }
        };
        try (DualWriter<Item> writer = DualWriter.<Item>builder().entityType("item").idOf(Item::id).primary(primary)
                .deadLetterStore(dls).sink("ok", ok)
                .sink("rejecting", rejecting, SinkSettings.builder().maxAttempts(1).attemptTimeout(Duration.ofSeconds(5)).build())
                .meterRegistry(new SimpleMeterRegistry()).build()) {
            writer.save(new Item("a", "A", 1));
            assertEquals(1, writer.deadLetters().discardAll(DeadLetterQuery.builder().sink("rejecting").build()),
                    "the save itself dead-lettered the rejecting sink's delivery");

            Map<String, SinkOutcome> out = writer.redeliver("rejecting", List.of("a"));

            assertEquals(Map.of("a", SinkOutcome.DEAD_LETTERED), out);
            assertEquals(1, writer.deadLetters().list(DeadLetterQuery.builder().sink("rejecting").build()).size(),
                    "the repair is in the dead-letter store with its reason");
            assertEquals(Map.of("a", SinkOutcome.APPLIED), writer.redeliver("ok", List.of("a")),
                    "the other sink is not affected");
        }
    }
}
