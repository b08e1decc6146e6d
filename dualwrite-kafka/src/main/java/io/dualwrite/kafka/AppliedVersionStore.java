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

import java.util.OptionalLong;

/**
 * Where a consumer's {@link VersionGuard} keeps the last version it applied per topic and key.
 * The default, {@link #inMemory()}, lives as long as the process; a durable implementation (a
 * table, a key-value store) should be written in the same transaction as the handler's own effect
 * when that effect lives in the same store, which makes the effect exactly-once across restarts.
 *
 * <p>Implementations must be thread-safe and must never lower a key's version.
 */
public interface AppliedVersionStore {

    /**
     * @param topic the topic, never null
     * @param key   the record key (the entity id), never null
     * @return the last version applied for the key, empty if none
     * @throws Exception when the store cannot be read; the guard passes it on
     */
    OptionalLong lastApplied(String topic, String key) throws Exception;

    /**
     * Records that a version was applied. A version lower than the one held must leave it unchanged.
     *
     * @param topic   the topic, never null
     * @param key     the record key, never null
     * @param version the version applied
     * @throws Exception when the store cannot be written; the guard passes it on
     */
    void recordApplied(String topic, String key, long version) throws Exception;

    /** @return a new, empty in-memory store */
    static InMemoryAppliedVersionStore inMemory() {
        return new InMemoryAppliedVersionStore();
    }
}
