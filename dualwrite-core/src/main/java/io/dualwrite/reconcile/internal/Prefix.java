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
package io.dualwrite.reconcile.internal;

import io.dualwrite.spi.RangeDigest;
import io.dualwrite.spi.Snapshot;

import java.util.List;

/** Prefix sums of the live entries' pair hashes of one primary page, for digests of any sub-range. */
final class Prefix {
    final long[] counts;
    final long[] hashes;

    private Prefix(int n) {
        counts = new long[n + 1];
        hashes = new long[n + 1];
    }

    /**
     * @param page the page
     * @param live whether the sink is to hold a snapshot of it (alive, and within its ramp)
     */
    static <T> Prefix of(List<Snapshot<T>> page, java.util.function.Predicate<Snapshot<T>> live) {
        Prefix p = new Prefix(page.size());
        for (int i = 0; i < page.size(); i++) {
            Snapshot<T> snap = page.get(i);
            boolean held = live.test(snap);
            p.counts[i + 1] = p.counts[i] + (held ? 1 : 0);
            p.hashes[i + 1] = p.hashes[i] + (held ? RangeDigest.hashOf(snap.id(), snap.version()) : 0);
        }
        return p;
    }

    RangeDigest digest(int from, int to) {
        return new RangeDigest(counts[to] - counts[from], hashes[to] - hashes[from]);
    }
}
