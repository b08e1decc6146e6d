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

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.ErrorKind;
import io.dualwrite.spi.DeadLetterStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link DeadLetterStore} keeps. An implementation's test extends this class
 * and supplies a fresh, empty store per test ({@link #newStore()}); every test here is
 * {@code final}, so every store proves the same promises: what is added reads back equal, a
 * second failure of the same entity and sink merges as {@link DeadLetter#mergeWith} says (also
 * when several threads add at once), queries filter and order as documented, and a replay never
 * removes the dead letter of a newer version ({@link DeadLetterStore#removeIfAtMost}).
 *
 * <p>All times are fixed instants, so nothing here sleeps. Not thread-safe (a JUnit test).
 */
public abstract class AbstractDeadLetterStoreContractTest extends FreshStoreContract<DeadLetterStore> {
    /** The creation time of the first dead letter in every test. */
    protected static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");


    private static DeadLetter letter(String type, String id, long version, String sink, int attempts, ErrorKind kind,
                                     String first, String last, Instant at) {
        return new DeadLetter(type, id, version, sink, attempts, kind, first, last, "corr-" + id + "-" + version,
                type + "/" + id + "@" + version, at, at);
    }

    @Test
    final void whatIsAddedReadsBackEqualAndIsCounted() {
        DeadLetter d = letter("product", "p-1", 5, "search", 3, ErrorKind.TRANSIENT, "timeout", "503", T0);
        DeadLetter bare = new DeadLetter("order", "o-1", 1, "cache", 1, ErrorKind.PERMANENT, null, "400", null, null,
                T0, T0);
        store().add(d);
        store().add(bare);
        assertEquals(d, store().get(d.id()).orElseThrow(), "every field reads back");
        assertEquals(bare, store().get(bare.id()).orElseThrow(), "absent optional fields stay absent");
        assertTrue(store().get("product/p-2#search").isEmpty(), "an unknown id is absent");
        assertEquals(2, store().count(), "count covers every entity type");
    }

    @Test
    final void aSecondFailureOfTheSameEntityAndSinkMergesAsMergeWithSays() {
        DeadLetter first = letter("product", "m1", 5, "search", 2, ErrorKind.TRANSIENT, "timeout", "timeout", T0);
        DeadLetter later = letter("product", "m1", 7, "search", 3, ErrorKind.PERMANENT, null, "400",
                T0.plusSeconds(60));
        DeadLetter older = letter("product", "m1", 4, "search", 1, ErrorKind.TRANSIENT, "reset", "reset",
                T0.plusSeconds(120));
        store().add(first);
        store().add(later);
        assertEquals(1, store().count(), "one dead letter per entity and sink");
        assertEquals(first.mergeWith(later), store().get(first.id()).orElseThrow());
        store().add(older);
        assertEquals(first.mergeWith(later).mergeWith(older), store().get(first.id()).orElseThrow(),
                "an older version arriving late never lowers the version");
        assertEquals(7, store().get(first.id()).orElseThrow().version());
    }

    @Test
    final void concurrentFailuresOfOneEntityAndSinkMergeWithoutLosingAnAttempt() throws Exception {
        int threads = 4;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        store().add(letter("product", "hot", 1 + thread * each + i, "search", 1, ErrorKind.TRANSIENT,
                                "e", "e" + thread + "." + i, T0.plusSeconds(i)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        DeadLetter merged = store().get(DeadLetter.idOf("product", "hot", "search")).orElseThrow();
        assertEquals(1, store().count());
        assertEquals(threads * each, merged.attempts(), "every add's attempt is counted");
        assertEquals(threads * each, merged.version(), "the highest version wins");
    }

    @Test
    final void aQueryFiltersByEveryFieldAndListsOldestFirstUpToItsLimit() {
        DeadLetter a = letter("product", "a", 1, "search", 1, ErrorKind.TRANSIENT, null, "503", T0.plusSeconds(2));
        DeadLetter b = letter("product", "b", 1, "search", 1, ErrorKind.PERMANENT, null, "400", T0);
        DeadLetter c = letter("product", "c", 1, "cache", 1, ErrorKind.PERMANENT, null, "400", T0.plusSeconds(1));
        DeadLetter d = letter("order", "a", 1, "search", 1, ErrorKind.PERMANENT, null, "400", T0);
        for (DeadLetter x : List.of(a, b, c, d)) {
            store().add(x);
        }
        assertEquals(List.of(d, b, c, a), store().list(DeadLetterQuery.ALL), "by creation time, then by id");
        assertEquals(List.of(b, c, a), store().list(DeadLetterQuery.builder().entityType("product").build()));
        assertEquals(List.of(d, a), store().list(DeadLetterQuery.builder().entityId("a").build()));
        assertEquals(List.of(d, b, a), store().list(DeadLetterQuery.builder().sink("search").build()));
        assertEquals(List.of(d, b, c), store().list(DeadLetterQuery.builder().kind(ErrorKind.PERMANENT).build()));
        assertEquals(List.of(b), store().list(DeadLetterQuery.builder().entityType("product").sink("search")
                .kind(ErrorKind.PERMANENT).build()), "every set field must match");
        assertEquals(List.of(d, b), store().list(DeadLetterQuery.builder().limit(2).build()));
        assertTrue(store().list(DeadLetterQuery.builder().entityType("invoice").build()).isEmpty());
        assertEquals(List.of(c, a), store().list(DeadLetterQuery.builder().createdFrom(T0.plusSeconds(1)).build()),
                "created at or after the start");
        assertEquals(List.of(d, b), store().list(DeadLetterQuery.builder().createdBefore(T0.plusSeconds(1)).build()),
                "created before the end");
        assertEquals(List.of(c), store().list(DeadLetterQuery.builder().createdFrom(T0.plusSeconds(1))
                .createdBefore(T0.plusSeconds(2)).build()), "a time window");
    }

    @Test
    final void removeSaysWhetherItRemovedSomething() {
        DeadLetter d = letter("product", "r", 3, "search", 1, ErrorKind.PERMANENT, null, "400", T0);
        store().add(d);
        assertTrue(store().remove(d.id()));
        assertFalse(store().remove(d.id()), "nothing the second time");
        assertTrue(store().get(d.id()).isEmpty());
        assertEquals(0, store().count());
    }

    @Test
    final void anOperatorRemovesOnlyTheDeadLetterAsTheySawIt() {
        DeadLetter seen = letter("product", "u", 5, "search", 2, ErrorKind.PERMANENT, "400", "400", T0);
        store().add(seen);
        DeadLetter again = letter("product", "u", 5, "search", 1, ErrorKind.PERMANENT, null, "413", T0.plusSeconds(5));
        store().add(again);
        assertFalse(store().removeIfUnchanged(seen), "the same version failed again since it was read");
        DeadLetter now = store().get(seen.id()).orElseThrow();
        assertEquals(seen.mergeWith(again), now, "and stays, merged");
        assertTrue(store().removeIfUnchanged(now), "removed as it is now");
        assertTrue(store().get(seen.id()).isEmpty());
        assertFalse(store().removeIfUnchanged(now), "nothing the second time");
    }

    @Test
    final void aReplayNeverRemovesTheDeadLetterOfANewerVersion() {
        DeadLetter d = letter("product", "v", 5, "search", 1, ErrorKind.TRANSIENT, null, "503", T0);
        store().add(d);
        assertFalse(store().removeIfAtMost(d.id(), 4), "version 4 was delivered; the dead letter is about 5");
        assertTrue(store().get(d.id()).isPresent(), "and stays");
        store().add(letter("product", "v", 6, "search", 1, ErrorKind.TRANSIENT, null, "503", T0.plusSeconds(1)));
        assertFalse(store().removeIfAtMost(d.id(), 5), "a newer version failed meanwhile: it stays");
        assertTrue(store().removeIfAtMost(d.id(), 6), "the version it is about was delivered");
        assertTrue(store().get(d.id()).isEmpty());
        assertFalse(store().removeIfAtMost(d.id(), 6), "nothing left to remove");
    }
}
