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
package io.dualwrite.memory;

import io.dualwrite.DeadLetter;
import io.dualwrite.DeadLetterQuery;
import io.dualwrite.spi.DeadLetterStore;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The reference {@link DeadLetterStore}, in memory: for tests and examples only, since it keeps
 * nothing across a restart. Thread-safe.
 */
public final class InMemoryDeadLetterStore implements DeadLetterStore {
    private final ConcurrentHashMap<String, DeadLetter> letters = new ConcurrentHashMap<>();

    @Override
    public void add(DeadLetter deadLetter) {
        Objects.requireNonNull(deadLetter, "deadLetter");
        letters.merge(deadLetter.id(), deadLetter, DeadLetter::mergeWith);
    }

    @Override
    public List<DeadLetter> list(DeadLetterQuery query) {
        Objects.requireNonNull(query, "query");
        return letters.values().stream().filter(query::matches)
                .sorted(Comparator.comparing(DeadLetter::createdAt).thenComparing(DeadLetter::id))
                .limit(query.limit())
                .collect(Collectors.toList());
    }

    @Override
    public Optional<DeadLetter> get(String id) {
        return Optional.ofNullable(letters.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public boolean remove(String id) {
        return letters.remove(Objects.requireNonNull(id, "id")) != null;
    }

    @Override
    public boolean removeIfAtMost(String id, long version) {
        java.util.concurrent.atomic.AtomicBoolean removed = new java.util.concurrent.atomic.AtomicBoolean();
        letters.computeIfPresent(Objects.requireNonNull(id, "id"), (k, d) -> {
            if (d.version() > version) {
                return d;
            }
            removed.set(true);
            return null;
        });
        return removed.get();
    }

    @Override
    public boolean removeIfUnchanged(DeadLetter seen) {
        Objects.requireNonNull(seen, "seen");
        return letters.remove(seen.id(), seen);
    }

    @Override
    public long count() {
        return letters.size();
    }
}
