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
package io.dualwrite.benchmarks;

import io.dualwrite.Change;
import io.dualwrite.spi.ApplyResult;
import io.dualwrite.spi.Sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A sink whose destination is a map in this JVM behind a simulated network round trip: every
 * {@link #apply} and every {@link #applyAll} call waits the configured time once, then applies
 * version-guarded (idempotent and monotonic, as the sink contract asks). Thread-safe.
 *
 * @param <T> the entity type
 */
public final class SimulatedSink<T> implements Sink<T> {
    private final long roundTripNanos;
    private final ConcurrentHashMap<String, Long> versions = new ConcurrentHashMap<>();

    /** @param roundTrip the time each call waits before it applies; zero for none */
    public SimulatedSink(Duration roundTrip) {
        Objects.requireNonNull(roundTrip, "roundTrip");
        if (roundTrip.isNegative()) {
            throw new IllegalArgumentException("roundTrip must not be negative, was " + roundTrip);
        }
        this.roundTripNanos = roundTrip.toNanos();
    }

    @Override
    public ApplyResult apply(Change<T> change) {
        roundTrip();
        return applyHere(change);
    }

    /** @return true: a batch costs one round trip, as a bulk API's request does */
    @Override
    public boolean appliesAllInOneCall() {
        return true;
    }

    @Override
    public List<BatchItem> applyAll(List<Change<T>> changes) {
        roundTrip();
        List<BatchItem> out = new ArrayList<>(changes.size());
        for (Change<T> c : changes) {
            out.add(BatchItem.of(applyHere(c)));
        }
        return out;
    }

    private ApplyResult applyHere(Change<T> change) {
        boolean[] applied = new boolean[1];
        versions.compute(change.id(), (id, held) -> {
            if (held != null && held >= change.version()) {
                return held;
            }
            applied[0] = true;
            return change.version();
        });
        return applied[0] ? ApplyResult.APPLIED : ApplyResult.ALREADY_CURRENT;
    }

    private void roundTrip() {
        if (roundTripNanos > 0) {
            long until = System.nanoTime() + roundTripNanos;
            long left = roundTripNanos;
            while (left > 0) {
                LockSupport.parkNanos(left);
                left = until - System.nanoTime();
            }
        }
    }

    /** @return how many entities this sink holds */
    public int size() {
        return versions.size();
    }

    /**
     * @param id an entity id
     * @return the version held, or -1
     */
    public long versionOf(String id) {
        return versions.getOrDefault(id, -1L);
    }
}
