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
