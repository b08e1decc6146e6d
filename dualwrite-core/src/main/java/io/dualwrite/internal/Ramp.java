package io.dualwrite.internal;

import java.nio.charset.StandardCharsets;

/**
 * Decides by a stable hash of the entity id whether an entity falls within a sink's ramp, so
 * the same entity always gets the same answer on every instance and every run. Thread-safe.
 */
public final class Ramp {
    private Ramp() {
    }

    /**
     * @param id      the entity id
     * @param percent the ramp, 0 to 100
     * @return true when the entity is within the first {@code percent} of the hash space
     */
    public static boolean includes(String id, double percent) {
        if (percent >= 100) {
            return true;
        }
        if (percent <= 0) {
            return false;
        }
        return bucket(id) < percent * 100;
    }

    /**
     * @param id an entity id
     * @return its bucket in 0..9999 (FNV-1a over the UTF-8 bytes, then a 64-bit finalizer)
     */
    static int bucket(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, 10_000);
    }
}
