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
package io.dualwrite.spi;

import io.dualwrite.internal.Args;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * A digest of the (id, version) pairs of the live entities in one id range: how many there are
 * and the sum, modulo 2<sup>64</sup>, of one 64-bit hash per pair. The sum does not depend on
 * the order the pairs are added in, and the digest of a range is the digest of its two halves
 * {@linkplain #plus added}, so the digest of one half is the whole {@linkplain #minus minus} the
 * other: the reconciler needs one sink call per level of descent, not two.
 *
 * <p>The hash of a pair, which a sink computing digests inside its own server must reproduce:
 * 64-bit FNV-1a over the id's UTF-8 bytes, then a zero byte, then the version's eight bytes
 * big-endian, finished with the SplitMix64 mixing step. {@link #hashOf(String, long)} is the
 * reference.
 *
 * <p>Two different sets collide with a probability near 2<sup>-64</sup>; reconciliation treats
 * equal digests as equal ranges. Immutable and thread-safe.
 *
 * @param count how many live entities the range holds
 * @param hash  the sum of their pair hashes, modulo 2<sup>64</sup>
 */
public record RangeDigest(long count, long hash) {
    /** The digest of an empty range. */
    public static final RangeDigest EMPTY = new RangeDigest(0, 0);

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /**
     * @param count at least 0
     * @param hash  any value
     * @throws IllegalArgumentException if count is negative
     */
    public RangeDigest {
        Args.atLeast(count, 0, "count");
    }

    /**
     * @param versions live entities' versions by id, not null
     * @return their digest
     */
    public static RangeDigest of(Map<String, Long> versions) {
        Objects.requireNonNull(versions, "versions");
        RangeDigest d = EMPTY;
        for (Map.Entry<String, Long> e : versions.entrySet()) {
            d = d.plus(e.getKey(), e.getValue());
        }
        return d;
    }

    /**
     * @param id      an entity id, not null
     * @param version its version
     * @return this digest with one more pair
     */
    public RangeDigest plus(String id, long version) {
        return new RangeDigest(count + 1, hash + hashOf(id, version));
    }

    /**
     * @param other the digest of a disjoint range, not null
     * @return the digest of both ranges together
     */
    public RangeDigest plus(RangeDigest other) {
        return new RangeDigest(count + other.count, hash + other.hash);
    }

    /**
     * @param part the digest of a sub-range of this one, not null
     * @return the digest of the rest of this range
     * @throws IllegalArgumentException if the part counts more entities than this digest
     */
    public RangeDigest minus(RangeDigest part) {
        if (part.count > count) {
            throw new IllegalArgumentException("a part of " + count + " entities cannot hold " + part.count);
        }
        return new RangeDigest(count - part.count, hash - part.hash);
    }

    /**
     * The reference hash of one (id, version) pair.
     *
     * @param id      an entity id, not null
     * @param version its version
     * @return the pair's 64-bit hash
     */
    public static long hashOf(String id, long version) {
        long h = FNV_OFFSET;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        h *= FNV_PRIME; // the zero separator byte: h ^ 0 == h
        for (int shift = 56; shift >= 0; shift -= 8) {
            h = (h ^ ((version >>> shift) & 0xff)) * FNV_PRIME;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
