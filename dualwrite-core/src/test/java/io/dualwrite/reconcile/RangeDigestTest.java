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
package io.dualwrite.reconcile;

import io.dualwrite.memory.InMemorySink;
import io.dualwrite.spi.RangeDigest;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RangeDigestTest {

    @Test
    void aDigestIgnoresOrderAndSplitsIntoHalvesThatAddUp() {
        Map<String, Long> all = new TreeMap<>(Map.of("a", 1L, "b", 2L, "c", 3L, "d", 4L));
        RangeDigest whole = RangeDigest.of(all);
        RangeDigest reversed = RangeDigest.EMPTY.plus("d", 4).plus("c", 3).plus("b", 2).plus("a", 1);
        assertEquals(whole, reversed, "order does not matter");
        RangeDigest left = RangeDigest.of(Map.of("a", 1L, "b", 2L));
        assertEquals(RangeDigest.of(Map.of("c", 3L, "d", 4L)), whole.minus(left), "the right half is the whole minus the left");
        assertEquals(whole, left.plus(whole.minus(left)));
        assertNotEquals(whole, RangeDigest.of(Map.of("a", 1L, "b", 2L, "c", 3L, "d", 5L)), "a version changes the digest");
        assertNotEquals(RangeDigest.hashOf("ab", 1), RangeDigest.hashOf("a", 1), "the id is part of the pair");
        assertThrows(IllegalArgumentException.class, () -> left.minus(whole));
        assertThrows(IllegalArgumentException.class, () -> new RangeDigest(-1, 0));
    }

    @Test
    void theHashIsPinnedSoOtherImplementationsCanMatchIt() {
        // values from an independent implementation of the documented algorithm (FNV-1a 64 over
        // UTF-8 id, a zero byte, the big-endian version; SplitMix64 finish); a change here breaks
        // every server-side digest
        assertEquals(1832928462902879712L, RangeDigest.hashOf("p-1", 1767225600000000L));
        assertEquals(9027180203533296002L, RangeDigest.hashOf("\u00e9", 1L), "ids hash as UTF-8");
    }

    @Test
    void theInMemorySinkDigestsExactlyTheLiveEntitiesOfARange() {
        InMemorySink<Item> sink = new InMemorySink<>();
        sink.force("a", 1, new Item("a", "a", 1));
        sink.force("b", 2, new Item("b", "b", 1));
        sink.force("c", 3, null);
        sink.force("d", 4, new Item("d", "d", 1));
        assertEquals(RangeDigest.of(Map.of("a", 1L, "b", 2L, "d", 4L)), sink.digest(null, null));
        assertEquals(RangeDigest.of(Map.of("b", 2L)), sink.digest("a", "c"), "(a, c] without the tombstone");
        assertEquals(RangeDigest.of(Map.of("d", 4L)), sink.digest("b", null));
        assertEquals(RangeDigest.of(Map.of("a", 1L)), sink.digest(null, "a"));
        assertEquals(RangeDigest.EMPTY, sink.digest("d", "a"), "an empty range");
        assertEquals(java.util.List.of("b", "d"), sink.idsAfter("a", 10), "listing skips tombstones");
    }
}
