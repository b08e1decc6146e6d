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
package io.dualwrite.testkit.internal;

import io.dualwrite.spi.Committed;
import io.dualwrite.spi.PrimaryStore;
import io.dualwrite.spi.PrimaryWrite;
import io.dualwrite.testkit.ForwardingPrimaryStore;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A primary store wrapper that remembers every version the wrapped store committed, so a check
 * can tell a version the primary never committed (a phantom) from an old one. Thread-safe.
 *
 * @param <T> the entity type
 */
public final class CommitLog<T> extends ForwardingPrimaryStore<T> {
    private final ConcurrentHashMap<String, Set<Long>> versions = new ConcurrentHashMap<>();

    /** @param delegate the store to watch */
    public CommitLog(PrimaryStore<T> delegate) {
        super(delegate);
    }

    /** @return every committed version per id; a live view */
    public Map<String, Set<Long>> committedVersions() {
        return versions;
    }

    @Override
    public Committed<T> commit(PrimaryWrite<T> write) {
        Committed<T> c = super.commit(write);
        if (c.status() == Committed.Status.WRITTEN) {
            versions.computeIfAbsent(c.id(), k -> ConcurrentHashMap.newKeySet()).add(c.version());
        }
        return c;
    }
}
