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
package io.dualwrite.kafka;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link AppliedVersionStore}: a map in memory, one entry per topic and key, kept for
 * the life of the process (a forgotten key would let a stale record through, so nothing is
 * evicted). Thread-safe.
 */
public final class InMemoryAppliedVersionStore implements AppliedVersionStore {
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Long>> byTopic = new ConcurrentHashMap<>();

    @Override
    public OptionalLong lastApplied(String topic, String key) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(key, "key");
        Map<String, Long> versions = byTopic.get(topic);
        Long v = versions == null ? null : versions.get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    @Override
    public void recordApplied(String topic, String key, long version) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(key, "key");
        byTopic.computeIfAbsent(topic, t -> new ConcurrentHashMap<>()).merge(key, version, Math::max);
    }

    /**
     * @param topic a topic, not null
     * @return a copy of the last applied version per key of that topic, sorted by key
     */
    public Map<String, Long> versions(String topic) {
        Objects.requireNonNull(topic, "topic");
        Map<String, Long> versions = byTopic.get(topic);
        return versions == null ? new TreeMap<>() : new TreeMap<>(versions);
    }
}
