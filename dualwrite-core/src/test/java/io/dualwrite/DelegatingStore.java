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
package io.dualwrite;

import io.dualwrite.spi.Ack;
import io.dualwrite.spi.Committed;
import io.dualwrite.spi.Intent;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.spi.Snapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Forwards every call; tests override the one they want to break. */
public class DelegatingStore<T> implements PrimaryStore<T> {
    final PrimaryStore<T> delegate;

    public DelegatingStore(PrimaryStore<T> delegate) {
        this.delegate = delegate;
    }

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        return delegate.commit(write);
    }

    @Override
    public Optional<Snapshot<T>> read(String id) {
        return delegate.read(id);
    }

    @Override
    public void acknowledge(Collection<Ack> acks) {
        delegate.acknowledge(acks);
    }

    @Override
    public List<Snapshot<T>> claimDue(Instant now, int limit, String owner, Duration lease) {
        return delegate.claimDue(now, limit, owner, lease);
    }

    @Override
    public void reschedule(String id, Collection<Intent> updated) {
        delegate.reschedule(id, updated);
    }

    @Override
    public void release(String id, String owner) {
        delegate.release(id, owner);
    }

    @Override
    public List<Snapshot<T>> scan(String afterExclusive, int limit) {
        return delegate.scan(afterExclusive, limit);
    }

    @Override
    public long pendingCount() {
        return delegate.pendingCount();
    }

    @Override
    public Optional<Instant> oldestDue() {
        return delegate.oldestDue();
    }
}
