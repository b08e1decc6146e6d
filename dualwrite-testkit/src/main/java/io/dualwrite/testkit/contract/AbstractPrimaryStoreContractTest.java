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
package io.dualwrite.testkit.contract;

import io.dualwrite.Operation;
import io.dualwrite.VersionConflictException;
import io.dualwrite.Versions;
import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.IntentSpec;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link PrimaryStore} keeps. An implementation's test extends this class,
 * supplies a fresh empty store per test ({@link #newStore()}) and distinct entity states
 * ({@link #state(String, int)}); every test here is {@code final}, so every store proves the
 * same promises. A store that commits differently (the write-ahead mode runs the caller's own
 * save) overrides {@link #commit(PrimaryStore, PrimaryWrite)} and, where its versions come from
 * elsewhere, {@link #expectedFirstVersion(Instant)}; a store without request keys says so in
 * {@link #supportsRequestKeys()} and those tests are skipped with that reason.
 *
 * <p>All times are fixed instants, so nothing here sleeps. Not thread-safe (a JUnit test).
 *
 * @param <T> the entity type
 */
public abstract class AbstractPrimaryStoreContractTest<T> {
    /** The commit time of the first write in every test. */
    protected static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final Duration LEASE = Duration.ofSeconds(30);

    private PrimaryStore<T> store;
    private int correlation;

    /** @return a new, empty store; called before every test */
    protected abstract PrimaryStore<T> newStore();

    /**
     * @param id the entity id
     * @param n  a number that makes the state distinct from the others of this id
     * @return an entity state with that id
     */
    protected abstract T state(String id, int n);

    /**
     * Commits a write. The default calls {@link PrimaryStore#commit}; a write-ahead store adds
     * the caller's own write here.
     *
     * @param store the store
     * @param write the write
     * @return what was committed
     */
    protected Committed<T> commit(PrimaryStore<T> store, PrimaryWrite<T> write) {
        return store.commit(write);
    }

    /**
     * @param commitTime the commit time of an entity's first write
     * @return the version the store gives it; default {@link Versions#firstVersion(Instant)}
     */
    protected long expectedFirstVersion(Instant commitTime) {
        return Versions.firstVersion(commitTime);
    }

    /** @return true when the store deduplicates request keys; default true */
    protected boolean supportsRequestKeys() {
        return true;
    }

    /**
     * Asserts that two states are the same entity state; default {@code assertEquals}.
     *
     * @param expected the state written
     * @param actual   the state read back
     * @param message  what is being checked
     */
    protected void assertSameState(T expected, T actual, String message) {
        assertEquals(expected, actual, message);
    }

    /** @return the store under test in the running test */
    protected final PrimaryStore<T> store() {
        return store;
    }

    @BeforeEach
    final void freshStore() {
        store = newStore();
        assertNotNull(store, "newStore() must return a store");
    }

    // ------------------------------------------------------------------ helpers

    /**
     * @param id the entity id
     * @param n  which variant of the entity's state ({@link #state})
     * @return a builder for an UPSERT at {@link #T0} with intents for sinks "a" and "b" due one minute later
     */
    protected final PrimaryWrite.Builder<T> upsert(String id, int n) {
        return PrimaryWrite.<T>builder().id(id).operation(Operation.UPSERT).state(state(id, n))
                .intents(intents(T0.plusSeconds(60), "a", "b")).correlationId("corr-" + (++correlation))
                .requestKeyWindow(WINDOW).time(T0);
    }

    /**
     * @param id the entity id
     * @return a builder for a DELETE at {@link #T0} with intents for sinks "a" and "b" due one minute later
     */
    protected final PrimaryWrite.Builder<T> delete(String id) {
        return PrimaryWrite.<T>builder().id(id).operation(Operation.DELETE)
                .intents(intents(T0.plusSeconds(60), "a", "b")).correlationId("corr-" + (++correlation))
                .requestKeyWindow(WINDOW).time(T0);
    }

    private static List<IntentSpec> intents(Instant due, String... sinks) {
        return java.util.Arrays.stream(sinks).map(s -> new IntentSpec(s, due)).collect(Collectors.toList());
    }

    private Committed<T> write(PrimaryWrite.Builder<T> b) {
        return commit(store, b.build());
    }

    private Snapshot<T> snapshot(String id) {
        Optional<Snapshot<T>> s = store.read(id);
        assertTrue(s.isPresent(), "the store holds " + id);
        return s.get();
    }

    // ------------------------------------------------------------------ versions and atomic commits

    @Test
    final void firstWriteGetsTheFirstVersionAndEachWriteAddsOne() {
        Committed<T> first = write(upsert("v-1", 1));
        assertEquals(Committed.Status.WRITTEN, first.status(), "a new entity is written");
        assertEquals(expectedFirstVersion(T0), first.version(), "the first version derives from the commit time");
        assertTrue(first.previous().isEmpty(), "a new entity has no before-image");
        Committed<T> second = write(upsert("v-1", 2).time(T0.plusSeconds(1)));
        assertEquals(first.version() + 1, second.version(), "the second write adds one");
        if (store.supportsCompensation()) {
            // the before-image is what compensation writes back; a store that cannot compensate need not read it
            assertEquals(first.version(), second.previous().orElseThrow().version(),
                    "the before-image is the first version");
            assertSameState(state("v-1", 1), second.previous().orElseThrow().state().orElseThrow(),
                    "the before-image holds the first state");
        }
        Committed<T> deleted = write(delete("v-1").time(T0.plusSeconds(2)));
        assertEquals(first.version() + 2, deleted.version(), "a delete is a write and adds one");
        Committed<T> again = write(upsert("v-1", 3).time(T0.plusSeconds(3)));
        assertEquals(first.version() + 3, again.version(), "writing over a tombstone adds one");
        assertEquals(again.version(), snapshot("v-1").version(), "read returns the latest version");
    }

    @Test
    final void commitMakesStateVersionAndIntentsVisibleTogether() {
        Committed<T> c = write(upsert("atomic-1", 1).correlationId("corr-x").idempotencyKey("key-x"));
        Snapshot<T> s = snapshot("atomic-1");
        assertEquals(c.version(), s.version(), "read returns the committed version");
        assertSameState(state("atomic-1", 1), s.state().orElseThrow(), "read returns the committed state");
        assertFalse(s.deleted(), "an upsert is no tombstone");
        assertEquals(List.of("a", "b"), List.copyOf(s.pending().keySet()), "an intent per sink, in sink-name order");
        for (Intent i : s.pending().values()) {
            assertTrue(i.version() == c.version() || i.version() == 0,
                    "the intent asks for the committed version (or learns it on delivery): " + i);
            assertEquals(T0.plusSeconds(60), i.dueAt(), "the intent keeps its due time");
            assertEquals(0, i.attempts(), "no attempt made yet");
            assertEquals(Optional.of("corr-x"), i.correlationId(), "the intent keeps the correlation id");
            assertEquals(Optional.of("key-x"), i.idempotencyKey(), "the intent keeps the idempotency key");
        }
        assertTrue(store.read("atomic-absent").isEmpty(), "an entity never written is absent");
    }

    @Test
    final void expectedVersionMismatchThrowsAndWritesNothing() {
        Committed<T> c = write(upsert("occ-1", 1));
        VersionConflictException e = assertThrows(VersionConflictException.class,
                () -> write(upsert("occ-1", 2).expectedVersion(c.version() - 1)), "a stale expected version conflicts");
        assertEquals(c.version(), e.actualVersion(), "the conflict names the actual version");
        assertThrows(VersionConflictException.class, () -> write(upsert("occ-1", 3).expectedVersion(0)),
                "expected version 0 means 'must not exist'");
        Snapshot<T> s = snapshot("occ-1");
        assertEquals(c.version(), s.version(), "a conflicting write changes no version");
        assertSameState(state("occ-1", 1), s.state().orElseThrow(), "a conflicting write changes no state");
        assertThrows(VersionConflictException.class, () -> write(upsert("occ-2", 1).expectedVersion(5)),
                "an absent entity has version 0");
        assertTrue(store.read("occ-2").isEmpty(), "a conflicting insert writes nothing");
        Committed<T> ok = write(upsert("occ-1", 4).expectedVersion(c.version()).time(T0.plusSeconds(1)));
        assertEquals(c.version() + 1, ok.version(), "the matching expected version writes");
        Committed<T> fresh = write(upsert("occ-3", 1).expectedVersion(0));
        assertEquals(Committed.Status.WRITTEN, fresh.status(), "expected version 0 inserts a new entity");
    }

    // ------------------------------------------------------------------ request keys

    @Test
    final void sameRequestKeyWithinTheWindowReturnsTheFirstResultAndWritesNothing() {
        Assumptions.assumeTrue(supportsRequestKeys(), "this store does not deduplicate request keys");
        Committed<T> first = write(upsert("rk-1", 1).requestKey("req-1"));
        Committed<T> again = write(upsert("rk-1", 2).requestKey("req-1").time(T0.plus(WINDOW).minusSeconds(1)));
        assertEquals(Committed.Status.DUPLICATE_REQUEST, again.status(), "a repeated key within the window is a duplicate");
        assertEquals(first.version(), again.version(), "a duplicate reports the first write's version");
        Snapshot<T> s = snapshot("rk-1");
        assertEquals(first.version(), s.version(), "a duplicate writes no version");
        assertSameState(state("rk-1", 1), s.state().orElseThrow(), "a duplicate writes no state");
        Committed<T> other = write(upsert("rk-1", 3).requestKey("req-2").time(T0.plusSeconds(2)));
        assertEquals(first.version() + 1, other.version(), "another key writes");
    }

    @Test
    final void sameRequestKeyAfterTheWindowWritesAgain() {
        Assumptions.assumeTrue(supportsRequestKeys(), "this store does not deduplicate request keys");
        Committed<T> first = write(upsert("rk-2", 1).requestKey("req-1"));
        Committed<T> later = write(upsert("rk-2", 2).requestKey("req-1").time(T0.plus(WINDOW).plusSeconds(1)));
        assertEquals(Committed.Status.WRITTEN, later.status(), "a key older than the window is forgotten");
        assertEquals(first.version() + 1, later.version(), "the write after the window gets a new version");
    }

    @Test
    final void aCompensationForgetsTheRequestKeyOfTheWriteItUndoes() {
        Assumptions.assumeTrue(supportsRequestKeys(), "this store does not deduplicate request keys");
        Committed<T> before = write(upsert("rk-3", 1).requestKey("req-0"));
        Committed<T> undone = write(upsert("rk-3", 2).requestKey("req-1").time(T0.plusSeconds(1)));
        write(upsert("rk-3", 1).expectedVersion(undone.version()).undoes(undone.version()).time(T0.plusSeconds(2)));
        Committed<T> retry = write(upsert("rk-3", 2).requestKey("req-1").time(T0.plusSeconds(3)));
        assertEquals(Committed.Status.WRITTEN, retry.status(), "the undone write's key is forgotten: the retry writes");
        assertEquals(undone.version() + 2, retry.version());
        assertEquals(Committed.Status.DUPLICATE_REQUEST,
                write(upsert("rk-3", 1).requestKey("req-0").time(T0.plusSeconds(4))).status(),
                "keys of other versions are kept");
        assertEquals(before.version(), write(upsert("rk-3", 1).requestKey("req-0").time(T0.plusSeconds(5))).version());
    }

    // ------------------------------------------------------------------ deletes and tombstones

    @Test
    final void deleteLeavesATombstoneWithAVersionAndIntents() {
        Committed<T> c = write(upsert("del-1", 1));
        Committed<T> d = write(delete("del-1").time(T0.plusSeconds(1)));
        assertEquals(Committed.Status.WRITTEN, d.status(), "deleting an existing entity writes");
        assertEquals(Operation.DELETE, d.operation(), "the commit is a delete");
        assertTrue(d.state().isEmpty(), "a delete commits no state");
        assertSameState(state("del-1", 1), d.previous().orElseThrow().state().orElseThrow(),
                "the before-image of a delete holds the deleted state");
        Snapshot<T> s = snapshot("del-1");
        assertTrue(s.deleted(), "the entity is a tombstone");
        assertEquals(c.version() + 1, s.version(), "the tombstone carries the delete's version");
        assertEquals(List.of("a", "b"), List.copyOf(s.pending().keySet()), "the tombstone carries the intents");
    }

    @Test
    final void deleteOfAnAbsentOrDeletedEntityHasNothingToDelete() {
        Committed<T> absent = write(delete("del-2"));
        assertEquals(Committed.Status.NOTHING_TO_DELETE, absent.status(), "nothing to delete for an absent entity");
        assertTrue(store.read("del-2").isEmpty(), "deleting an absent entity leaves nothing behind");
        write(upsert("del-3", 1));
        Committed<T> d = write(delete("del-3").time(T0.plusSeconds(1)));
        Committed<T> twice = write(delete("del-3").time(T0.plusSeconds(2)));
        assertEquals(Committed.Status.NOTHING_TO_DELETE, twice.status(), "nothing to delete for a tombstone");
        assertEquals(d.version(), snapshot("del-3").version(), "a second delete writes no version");
    }

    // ------------------------------------------------------------------ acknowledgements

    @Test
    final void acknowledgeRemovesOnlyIntentsAtOrBelowTheAcknowledgedVersion() {
        Committed<T> v1 = write(upsert("ack-1", 1));
        Committed<T> v2 = write(upsert("ack-1", 2).time(T0.plusSeconds(1)));
        Map<String, Intent> pending = snapshot("ack-1").pending();
        store.acknowledge(List.of(new Ack("ack-1", "a", v1.version(), refOf(pending, "a"))));
        assertTrue(snapshot("ack-1").pending().containsKey("a"),
                "an acknowledgement of the older version leaves the newer write's intent");
        store.acknowledge(List.of(new Ack("ack-1", "a", v2.version(), refOf(pending, "a"))));
        Map<String, Intent> after = snapshot("ack-1").pending();
        assertFalse(after.containsKey("a"), "an acknowledgement of the intent's version removes it");
        assertTrue(after.containsKey("b"), "another sink's intent stays");
        store.acknowledge(List.of(new Ack("ack-absent", "a", 99, null), new Ack("ack-1", "zzz", v2.version(), null)));
        assertTrue(snapshot("ack-1").pending().containsKey("b"), "acknowledgements of unknown entities or sinks are ignored");
        assertEquals(v2.version(), snapshot("ack-1").version(), "acknowledging never changes the version");
        assertSameState(state("ack-1", 2), snapshot("ack-1").state().orElseThrow(), "acknowledging never changes the state");
    }

    @Test
    final void aTombstoneStaysWithItsVersionOnceEverySinkHasTheDelete() {
        write(upsert("ack-2", 1));
        Committed<T> d = write(delete("ack-2").time(T0.plusSeconds(1)));
        Map<String, Intent> pending = snapshot("ack-2").pending();
        store.acknowledge(List.of(new Ack("ack-2", "a", d.version(), refOf(pending, "a"))));
        assertTrue(snapshot("ack-2").deleted(), "the tombstone stays while a sink has not acknowledged");
        store.acknowledge(List.of(new Ack("ack-2", "b", d.version(), refOf(pending, "b"))));
        Snapshot<T> s = snapshot("ack-2");
        assertTrue(s.deleted(), "once every sink acknowledged the delete, the tombstone stays, without state");
        assertEquals(d.version(), s.version(), "it keeps the delete's version");
        assertTrue(s.pending().isEmpty(), "and nothing is pending");
        assertEquals(0, store.pendingCount(), "nothing is pending afterwards");
        assertEquals(Committed.Status.NOTHING_TO_DELETE, write(delete("ack-2").time(T0.plusSeconds(2))).status(),
                "there is still nothing to delete");
    }

    @Test
    final void aReCreatedIdContinuesAboveItsTombstoneWhateverTheClockSays() {
        write(upsert("re-1", 1));
        Committed<T> d = write(delete("re-1").time(T0.plusSeconds(1)));
        acknowledgeAll("re-1", d.version());
        // the instance that re-creates the id has a clock an hour behind the one that deleted it
        Committed<T> reborn = write(upsert("re-1", 2).time(T0.minus(Duration.ofHours(1))));
        assertEquals(Committed.Status.WRITTEN, reborn.status(), "the id is created again");
        assertEquals(d.version() + 1, reborn.version(),
                "its versions continue above the tombstone, so every sink that guards the tombstone takes it");
        assertSameState(state("re-1", 2), snapshot("re-1").state().orElseThrow(), "it holds the new state");
    }

    @Test
    final void aRequestKeyIsHonouredForItsWholeWindowAfterTheDeleteIsAcknowledged() {
        Assumptions.assumeTrue(supportsRequestKeys(), "this store does not deduplicate request keys");
        Committed<T> created = write(upsert("rk-4", 1).requestKey("create-1"));
        Committed<T> d = write(delete("rk-4").time(T0.plusSeconds(1)));
        acknowledgeAll("rk-4", d.version());
        Committed<T> retry = write(upsert("rk-4", 1).requestKey("create-1").time(T0.plusSeconds(2)));
        assertEquals(Committed.Status.DUPLICATE_REQUEST, retry.status(),
                "a client retrying the create within the window is answered with the first result");
        assertEquals(created.version(), retry.version(), "the first write's version");
        assertTrue(snapshot("rk-4").deleted(), "the deleted entity is not created again");
    }

    @Test
    final void expectedVersionZeroAcceptsADeletedEntity() {
        write(upsert("occ-4", 1));
        Committed<T> d = write(delete("occ-4").time(T0.plusSeconds(1)));
        Committed<T> fresh = write(upsert("occ-4", 2).expectedVersion(0).time(T0.plusSeconds(2)));
        assertEquals(d.version() + 1, fresh.version(), "'must not exist' holds for a deleted entity");
        assertThrows(VersionConflictException.class, () -> write(upsert("occ-4", 3).expectedVersion(0)
                .time(T0.plusSeconds(3))), "and no longer once it was created again");
    }

    private void acknowledgeAll(String id, long version) {
        Map<String, Intent> pending = snapshot(id).pending();
        store.acknowledge(List.of(new Ack(id, "a", version, refOf(pending, "a")),
                new Ack(id, "b", version, refOf(pending, "b"))));
        assertTrue(snapshot(id).pending().isEmpty(), "every sink acknowledged " + id);
    }

    private static String refOf(Map<String, Intent> pending, String sink) {
        Intent i = pending.get(sink);
        return i == null ? null : i.ref().orElse(null);
    }

    // ------------------------------------------------------------------ claims and leases

    @Test
    final void claimDueHonoursDueTimes() {
        write(upsert("due-1", 1).intents(intents(T0.plusSeconds(10), "a")));
        write(upsert("due-2", 1).intents(intents(T0.plusSeconds(5), "a")));
        write(upsert("due-3", 1).intents(intents(T0.plusSeconds(20), "a")));
        assertTrue(store.claimDue(T0.plusSeconds(4), 10, "w1", LEASE).isEmpty(), "nothing is due yet");
        List<Snapshot<T>> due = store.claimDue(T0.plusSeconds(10), 10, "w1", LEASE);
        assertEquals(List.of("due-2", "due-1"), due.stream().map(Snapshot::id).collect(Collectors.toList()),
                "exactly the due entities, oldest due first");
        assertSameState(state("due-2", 1), due.get(0).state().orElseThrow(), "a claim returns the current state");
        assertTrue(due.get(0).pending().containsKey("a"), "a claim returns the pending intents");
        List<Snapshot<T>> limited = store.claimDue(T0.plusSeconds(30), 1, "w2", LEASE);
        assertEquals(List.of("due-3"), limited.stream().map(Snapshot::id).collect(Collectors.toList()),
                "the limit holds and leased entities are skipped");
        assertThrows(IllegalArgumentException.class, () -> store.claimDue(T0, 0, "w1", LEASE), "limit must be positive");
    }

    @Test
    final void leaseKeepsOtherOwnersOutUntilItExpiresOrIsReleased() {
        write(upsert("lease-1", 1).intents(intents(T0, "a")));
        write(upsert("lease-2", 1).intents(intents(T0, "a")));
        Instant now = T0.plusSeconds(1);
        List<String> w1 = store.claimDue(now, 1, "w1", LEASE).stream().map(Snapshot::id).collect(Collectors.toList());
        List<String> w2 = store.claimDue(now, 10, "w2", LEASE).stream().map(Snapshot::id).collect(Collectors.toList());
        assertEquals(1, w1.size(), "w1 claims one entity");
        assertEquals(1, w2.size(), "w2 claims only the other entity");
        assertFalse(w2.contains(w1.get(0)), "two owners never hold the same entity while the lease lives");
        assertTrue(store.claimDue(now.plus(LEASE).minusMillis(1), 10, "w3", LEASE).isEmpty(),
                "no entity is claimable while both leases live");
        store.release(w1.get(0), "w2");
        assertTrue(store.claimDue(now.plusSeconds(1), 10, "w3", LEASE).isEmpty(),
                "release by another owner does nothing");
        store.release(w1.get(0), "w1");
        assertEquals(w1, store.claimDue(now.plusSeconds(2), 10, "w3", LEASE).stream().map(Snapshot::id)
                .collect(Collectors.toList()), "a released entity is claimable again");
        assertEquals(w2, store.claimDue(now.plus(LEASE), 10, "w4", LEASE).stream().map(Snapshot::id)
                .collect(Collectors.toList()), "an expired lease is claimable again");
    }

    @Test
    final void rescheduleOnlyTouchesIntentsOfTheSameVersion() {
        Committed<T> v1 = write(upsert("res-1", 1).intents(intents(T0, "a", "b")));
        Snapshot<T> claimed = store.claimDue(T0.plusSeconds(1), 10, "w1", LEASE).get(0);
        Intent a = claimed.pending().get("a");
        Intent b = claimed.pending().get("b");
        write(upsert("res-1", 2).intents(intents(T0.plusSeconds(2), "b")).time(T0.plusSeconds(2)));
        Instant later = T0.plusSeconds(500);
        store.reschedule("res-1", List.of(a.failedAttempt(later, 1, "boom"), b.failedAttempt(later, 1, "boom")));
        store.release("res-1", "w1");
        Snapshot<T> s = snapshot("res-1");
        assertEquals(later, s.pending().get("a").dueAt(), "the same version's intent is rescheduled");
        assertEquals(1, s.pending().get("a").attempts(), "the attempt is counted");
        assertEquals(Optional.of("boom"), s.pending().get("a").lastError(), "the error is kept");
        assertEquals(T0.plusSeconds(2), s.pending().get("b").dueAt(), "a newer write's intent is not touched");
        assertEquals(0, s.pending().get("b").attempts(), "a newer write's intent keeps its attempts");
        assertEquals(v1.version() + 1, s.version(), "rescheduling writes no version");
        assertEquals(Optional.of(T0.plusSeconds(2)), store.oldestDue(), "the due time follows the rescheduled intents");
    }

    // ------------------------------------------------------------------ scan and backlog

    @Test
    final void scanListsEntitiesInIdOrderIncludingTombstones() {
        for (String id : List.of("s-3", "s-1", "s-5", "s-2", "s-4")) {
            write(upsert(id, 1));
        }
        write(delete("s-2").time(T0.plusSeconds(1)));
        List<Snapshot<T>> first = store.scan(null, 2);
        assertEquals(List.of("s-1", "s-2"), first.stream().map(Snapshot::id).collect(Collectors.toList()), "first page");
        assertTrue(first.get(1).deleted(), "tombstones are scanned too");
        List<Snapshot<T>> rest = store.scan("s-2", 10);
        assertEquals(List.of("s-3", "s-4", "s-5"), rest.stream().map(Snapshot::id).collect(Collectors.toList()),
                "the next page starts after the given id");
        assertTrue(store.scan("s-5", 10).isEmpty(), "nothing after the last id");
        assertThrows(IllegalArgumentException.class, () -> store.scan(null, 0), "limit must be positive");
    }

    @Test
    final void pendingCountAndOldestDueFollowTheIntents() {
        assertEquals(0, store.pendingCount(), "an empty store has no backlog");
        assertEquals(Optional.empty(), store.oldestDue(), "an empty store has nothing due");
        Committed<T> c1 = write(upsert("p-1", 1).intents(intents(T0.plusSeconds(30), "a")));
        Committed<T> c2 = write(upsert("p-2", 1).intents(intents(T0.plusSeconds(20), "a", "b")));
        assertEquals(2, store.pendingCount(), "two entities have intents");
        assertEquals(Optional.of(T0.plusSeconds(20)), store.oldestDue(), "the earliest due time");
        Map<String, Intent> p2 = snapshot("p-2").pending();
        store.acknowledge(List.of(new Ack("p-2", "a", c2.version(), refOf(p2, "a")),
                new Ack("p-2", "b", c2.version(), refOf(p2, "b"))));
        assertEquals(1, store.pendingCount(), "an entity without intents leaves the backlog");
        assertEquals(Optional.of(T0.plusSeconds(30)), store.oldestDue(), "the due time of what is left");
        Map<String, Intent> p1 = snapshot("p-1").pending();
        store.acknowledge(List.of(new Ack("p-1", "a", c1.version(), refOf(p1, "a"))));
        assertEquals(0, store.pendingCount(), "nothing pending");
        assertEquals(Optional.empty(), store.oldestDue(), "nothing due");
        assertTrue(store.claimDue(T0.plusSeconds(1000), 10, "w1", LEASE).isEmpty(), "nothing to claim");
    }
}
