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
package io.dualwrite.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The value of an open writer's {@link io.dualwrite.DualWriteMetrics#TAG_INSTANCE instance} tag: its worker id, or
 * {@code <workerId>#<n>} (the smallest free {@code n} from 2) while another open writer of the same entity type in
 * this JVM holds that value. Micrometer keys a meter by name and tags and hands a second registration of the same
 * id the first one's meter, so two writers that shared a value would publish one writer's figures for both, and
 * the first to close would remove the other's. Released when the writer closes. Thread-safe.
 */
final class MeterInstance {
    /** Values held by open writers, by entity type. */
    private static final Map<String, Set<String>> HELD = new HashMap<>();

    private final String type;
    private final String value;
    /** Whether this instance gave its value back: a second release must not free a value a later writer holds. */
    private boolean released;

    private MeterInstance(String type, String value) {
        this.type = type;
        this.value = value;
    }

    /**
     * @param type     the writer's entity type
     * @param workerId its worker id
     * @return the instance, held until {@link #release()}
     */
    static MeterInstance claim(String type, String workerId) {
        synchronized (HELD) {
            Set<String> held = HELD.computeIfAbsent(type, t -> new HashSet<>());
            String value = workerId;
            for (int n = 2; held.contains(value); n++) {
                value = workerId + "#" + n;
            }
            held.add(value);
            return new MeterInstance(type, value);
        }
    }

    /** @return the tag value */
    String value() {
        return value;
    }

    /** Frees the value for a later writer; idempotent. */
    void release() {
        synchronized (HELD) {
            if (released) {
                return;
            }
            released = true;
            Set<String> held = HELD.get(type);
            if (held != null && held.remove(value) && held.isEmpty()) {
                HELD.remove(type);
            }
        }
    }
}
