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

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash of a string that is the same on every JVM, instance and run (FNV-1a over the
 * UTF-8 bytes, then a 64-bit finalizer), for decisions that must not depend on where or when
 * they are made. Thread-safe (stateless).
 */
final class StableHash {
    private StableHash() {
    }

    /**
     * @param key the text to hash
     * @return its hash
     */
    static long of(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    /**
     * @param key the text to hash
     * @return a number in [0, 1) derived from its hash
     */
    static double unit(String key) {
        return (of(key) >>> 11) * 0x1.0p-53;
    }
}
