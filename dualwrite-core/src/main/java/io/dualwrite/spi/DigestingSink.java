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

/**
 * An optional extension of a {@link ReconcilableSink} that can summarise an id range in one
 * call. The reconciler then compares a range's digest with the primary's and descends only
 * into ranges that differ (Merkle-style), instead of asking for every id's version. A sink
 * whose destination can aggregate server-side (a script, an aggregate query) gains the most;
 * one that must read every entry still saves the reconciler's per-id comparison.
 * Thread-safe like every {@link Sink}.
 *
 * @param <T> the entity type
 */
public interface DigestingSink<T> extends ReconcilableSink<T> {

    /**
     * Digests the live entities (tombstones excluded, exactly those {@link #idsAfter} lists)
     * whose id lies in the range, compared with {@link String#compareTo}.
     *
     * @param afterExclusive the range's lower bound, excluded; null for no lower bound
     * @param toInclusive    the range's upper bound, included; null for no upper bound
     * @return the digest of the range, {@link RangeDigest#EMPTY} when it holds nothing
     * @throws Exception when the sink cannot be read; classified by {@link #classifier()}
     */
    RangeDigest digest(String afterExclusive, String toInclusive) throws Exception;
}
