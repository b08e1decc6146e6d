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
package io.dualwrite.kafka.internal;

import io.dualwrite.internal.Args;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The highest version recently sent per key, bounded (least recently used keys are forgotten).
 * Forgetting is harmless: a change whose key was forgotten is simply sent again and the
 * consumer's guard drops it. Not part of the public API. Thread-safe.
 */
public final class RecentVersions {
    private final int capacity;
    private final LinkedHashMap<String, Long> versions;

    /** @param capacity the number of keys kept; 0 keeps none */
    public RecentVersions(int capacity) {
        Args.atLeast(capacity, 0, "capacity");
        this.capacity = capacity;
        this.versions = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > RecentVersions.this.capacity;
            }
        };
    }

    /**
     * @param key     a record key
     * @param version a version
     * @return true when a version at least as high was sent for the key and is still remembered
     */
    public synchronized boolean covers(String key, long version) {
        if (capacity == 0) {
            return false;
        }
        Long v = versions.get(key);
        return v != null && v >= version;
    }

    /**
     * Remembers that a version was acknowledged by the broker (keeping the highest).
     *
     * @param key     a record key
     * @param version the version
     */
    public synchronized void sent(String key, long version) {
        if (capacity > 0) {
            versions.merge(key, version, Math::max);
        }
    }
}
