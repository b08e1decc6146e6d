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

import io.dualwrite.Change;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.DigestingSink;
import io.dualwrite.spi.RangeDigest;
import io.dualwrite.spi.ReconcilableSink;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Reads another sink and lets a test step in: fail the n-th {@code versionsOf} (a crash halfway),
 * or run something just after reading versions (a concurrent write). Digests pass through when the
 * delegate has them and digests are wanted. Thread-safe as far as the tests need.
 */
final class HookedSink implements DigestingSink<Item> {
    private final ReconcilableSink<Item> delegate;
    final AtomicInteger versionsCalls = new AtomicInteger();
    volatile int failOnVersionsCall = -1;
    /** Fails the first versionsOf call that asks for this id (a comparison, not a repair's check). */
    volatile String failOnVersionsOf;
    volatile Consumer<Collection<String>> afterVersionsOf = ids -> { };

    HookedSink(ReconcilableSink<Item> delegate) {
        this.delegate = delegate;
    }

    @Override
    public ApplyResult apply(Change<Item> change) throws Exception {
        return delegate.apply(change);
    }

    @Override
    public Map<String, Long> versionsOf(Collection<String> ids) throws Exception {
        int n = versionsCalls.incrementAndGet();
        if (n == failOnVersionsCall) {
            throw new IOException("connection reset (injected on versionsOf call " + n + ")");
        }
        String failOn = failOnVersionsOf;
        if (failOn != null && ids.contains(failOn)) {
            failOnVersionsOf = null;
            throw new IOException("connection reset (injected on versionsOf call " + n + ", asking for " + failOn + ")");
        }
        Map<String, Long> out = delegate.versionsOf(ids);
        afterVersionsOf.accept(ids);
        return out;
    }

    @Override
    public List<String> idsAfter(String afterExclusive, int limit) throws Exception {
        return delegate.idsAfter(afterExclusive, limit);
    }

    @Override
    public RangeDigest digest(String afterExclusive, String toInclusive) throws Exception {
        return ((DigestingSink<Item>) delegate).digest(afterExclusive, toInclusive);
    }
}
